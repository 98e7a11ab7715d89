// Hostile suite at process level: the product as `npm start` runs it (`lilo demo`: cloud and cabinet A),
// a second cabinet and its claim token made with the CLI, claimed through the real API; with that
// credential, uploads against cabinet A's containers, transactions, alerts and events. Every one must
// be answered 403 with nothing applied. On PGlite the demo is stopped whenever the CLI or the test
// opens the database (one process per data directory); on PostgreSQL it keeps running.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "../cloud/db/database.js";
import { fromRoot } from "../shared/paths.js";
import { chemicalInventory } from "../shared/schema/tenant.js";
import type { Change } from "../shared/sync/change.js";
import {
  attacks,
  type CabinetRows,
  existingRows,
  newAlert,
  newCheckout,
  newContainer,
  newEvent,
  newScan,
  numbered,
  readRows,
} from "./support/cabinet-rows.js";
import { lilo } from "./support/cli.js";
import { backends } from "./support/databases.js";
import { http } from "./support/fleet-processes.js";
import { freePort } from "./support/free-port.js";
import { waitFor } from "./support/wait-for.js";

interface DemoFile {
  cloud_url: string;
  org_id: string;
  cabinet_id: string;
}

/** `lilo demo`, what `npm start` runs, on a data directory of its own. */
class Demo {
  private child?: ChildProcess;
  private output: string[] = [];

  constructor(
    readonly dataDir: string,
    private readonly env: Record<string, string | undefined>,
    private readonly ports: { cloud: number; appliance: number },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.ports.cloud}`;
  }

  async start(): Promise<DemoFile> {
    const file = join(this.dataDir, "demo.json");
    rmSync(file, { force: true });
    const args = ["demo", "--data-dir", this.dataDir];
    args.push("--cloud-port", String(this.ports.cloud), "--appliance-port", String(this.ports.appliance));
    const child = spawn(process.execPath, [fromRoot("bin/lilo.js"), ...args], {
      env: {
        ...process.env,
        LOG_LEVEL: "warn",
        LILO_MQTT_HOST: "127.0.0.1",
        LILO_MQTT_PORT: "0",
        ...this.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString("utf8"));
      if (this.output.length > 50) this.output.shift();
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    this.child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`demo exited (${child.exitCode})`);
        return (await http("GET", `${this.url}/health`)).status === 200 && existsSync(file);
      },
      { what: "the demo's cloud to answer /health", timeoutMs: 90_000, context: () => this.output.join("") },
    );
    return JSON.parse(readFileSync(file, "utf8")) as DemoFile;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    if (!(await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]))) {
      child.kill("SIGKILL");
      await exited;
    }
  }
}

describe.each(backends)("device B against cabinet A, process level, on $name", (backend) => {
  let dir: string;
  let demo: Demo;
  let env: Record<string, string | undefined>;
  let server: Database | undefined;
  let dropDatabase = async () => {};
  let info: DemoFile;
  let cabinetB: string;
  let credentialB: string;
  let victim: CabinetRows;
  let ownContainer: Record<string, unknown>;

  /** The cloud's database, as its owner: alongside the demo on PostgreSQL, with the demo stopped on PGlite. */
  async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
    if (server) return fn(server);
    await demo.stop();
    const database = await connectDatabase({ dataDir: env.LILO_CLOUD_DATA_DIR });
    try {
      return await fn(database);
    } finally {
      await database.close();
      await demo.start();
    }
  }

  async function cli(args: string[]): Promise<Record<string, string>> {
    const result = await lilo(["cloud", ...args], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, string>;
  }

  const upload = (credential: string, changes: Change[]) =>
    http<{ error?: { code: string; message: string } }>(
      "POST",
      `${demo.url}/api/v1/device/sync/changes`,
      numbered(changes),
      { authorization: `Bearer ${credential}` },
    );

  async function claim(claim_token: string): Promise<string> {
    const res = await http<{ credential: string }>("POST", `${demo.url}/api/v1/devices/claim`, {
      claim_token,
      serial_number: `HOSTILE-${randomUUID().slice(0, 8)}`,
    });
    expect(res.status).toBe(201);
    return res.json.credential;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lilo-security-ingest-"));
    if (backend.name === "postgres") {
      const scratch = await backend.create();
      server = scratch.database;
      dropDatabase = scratch.dispose;
      env = { DATABASE_URL: scratch.url, DATABASE_OWNER_URL: scratch.ownerUrl };
    } else {
      env = { DATABASE_URL: undefined, LILO_CLOUD_DATA_DIR: join(dir, "data", "cloud") };
    }
    demo = new Demo(join(dir, "data"), env, { cloud: await freePort(), appliance: await freePort() });
    info = await demo.start();

    // The admin sets up cabinet B and a second controller for cabinet A with the CLI.
    const tokens = await withDatabase(async () => {
      const created = await cli([
        "cabinet",
        "create",
        ...["--org", info.org_id, "--department", "Department of Chemistry"],
        ...["--lab", "Teaching Lab", "--name", "Acids cabinet", "--code", "HOSTILE-B"],
      ]);
      cabinetB = created.cabinet_id!;
      const forB = await cli(["device", "claim-token", "--org", info.org_id, "--cabinet", cabinetB]);
      const forA = await cli(["device", "claim-token", "--org", info.org_id, "--cabinet", info.cabinet_id]);
      return { b: forB.claim_token!, a: forA.claim_token! };
    });
    credentialB = await claim(tokens.b);
    const credentialA = await claim(tokens.a);

    // Cabinet A's history, uploaded by A's own controller: a checkout, an open alert, an event, a scan.
    const downlink = await http<{ containers: Record<string, unknown>[] }>(
      "GET",
      `${demo.url}/api/v1/device/downlink`,
      undefined,
      { authorization: `Bearer ${credentialA}` },
    );
    expect(downlink.status).toBe(200);
    const container = downlink.json.containers[0]!;
    const history = [
      newCheckout(info.cabinet_id, container),
      newAlert(info.cabinet_id),
      newEvent(info.cabinet_id),
      newScan(info.cabinet_id),
    ];
    const own = await upload(credentialA, history);
    expect(own.status, JSON.stringify(own.json)).toBe(200);
    const mine = newContainer(cabinetB);
    expect((await upload(credentialB, [mine])).status).toBe(200);
    ownContainer = mine.payload;

    victim = await withDatabase((database) =>
      database.withTenant(info.org_id, (tx) =>
        readRows(tx, {
          container: container.container_id as string,
          transaction: history[0]!.entity_id,
          alert: history[1]!.entity_id,
          event: history[2]!.entity_id,
          scan: history[3]!.entity_id,
        }),
      ),
    );
  }, 300_000);

  afterAll(async () => {
    await demo?.stop();
    await dropDatabase();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses every upload against cabinet A's rows with 403, and applies none of it", async () => {
    const list = attacks(victim, info.cabinet_id, cabinetB, ownContainer);
    const { container, transaction, alert, event, scan } = victim;
    const victimIds = new Set([
      container.container_id,
      transaction.transaction_id,
      alert.alert_id,
      event.event_id,
      scan.scan_id,
    ]);
    const created = list.map(([, c]) => c).filter((c) => !victimIds.has(c.entity_id));
    const decoys: Change[] = [];
    for (const [what, attack] of list) {
      // A harmless change of B's own rides along: the refusal must take it back too.
      const decoy = newEvent(cabinetB);
      decoys.push(decoy);
      const res = await upload(credentialB, [decoy, attack]);
      expect(res.status, `${what}: ${JSON.stringify(res.json)}`).toBe(403);
      expect(res.json.error?.code, what).toBe("forbidden");
      expect(res.json.error?.message, what).not.toMatch(/insert|update|select|constraint|\bat\b.*\.ts/i);
    }

    const after = await withDatabase((database) =>
      database.withTenant(info.org_id, async (tx) => ({
        rows: await readRows(tx, {
          container: victim.container.container_id as string,
          transaction: victim.transaction.transaction_id as string,
          alert: victim.alert.alert_id as string,
          event: victim.event.event_id as string,
          scan: victim.scan.scan_id as string,
        }),
        // Rows the attacks and their decoys would have created: none may exist.
        created: await existingRows(tx, [...decoys, ...created]),
        containersOfA: await tx
          .select({ id: chemicalInventory.container_id })
          .from(chemicalInventory)
          .where(eq(chemicalInventory.cabinet_id, info.cabinet_id)),
      })),
    );
    // The demo's own cabinet keeps scanning, so A's container may have been seen again meanwhile;
    // where it is, whose it is and whether it is out must not have changed.
    const where = (c: Record<string, unknown>) => ({
      cabinet_id: c.cabinet_id,
      shelf_level: c.shelf_level,
      status: c.status,
      chemical_name: c.chemical_name,
    });
    expect(where(after.rows.container)).toEqual(where(victim.container));
    expect(after.rows.transaction).toEqual(victim.transaction);
    expect(after.rows.alert).toEqual(victim.alert);
    expect(after.rows.event).toEqual(victim.event);
    expect(after.rows.scan).toEqual(victim.scan);
    expect(after.created).toEqual([]);
    expect(after.containersOfA.map((c) => c.id)).toContain(victim.container.container_id);
  }, 300_000);
});
