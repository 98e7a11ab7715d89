// Real `lilo` processes for fault tests: a cloud (`lilo cloud serve`, on PGlite or a scratch PostgreSQL
// database) and a simulated cabinet (`lilo appliance run --config`) claimed through the real flow.
// Every process started here is tracked and killed by `killAll()`, also when the test process exits.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Sqlite from "better-sqlite3";
import { eq, sql } from "drizzle-orm";
import type { ApplianceConfigInput } from "../../appliance/config.js";
import { SimCabinet } from "../../appliance/hardware/sim-cabinet.js";
import { simConfigInput } from "../../appliance/sim/sim-config.js";
import { connectDatabase, type Database, queryRows } from "../../cloud/db/database.js";
import { migrateAll } from "../../cloud/db/migrator.js";
import { DEMO_SHELVES, type DemoOrg, ensureDemoOrg } from "../../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../../cloud/devices/provisioning.service.js";
import { fromRoot } from "../../shared/paths.js";
import { cabinets } from "../../shared/schema/tenant.js";
import { backends, serverUrl } from "./databases.js";
import { freePort } from "./free-port.js";
import { waitFor } from "./wait-for.js";

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** SIGKILLs every process these helpers started that is still running, and waits for them. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      return Promise.race([exited, sleep(5_000)]);
    }),
  );
}

const T0 = Date.now();
export const trace = (what: string) => {
  if (process.env.FAULT_TRACE) process.stderr.write(`[${((Date.now() - T0) / 1000).toFixed(1)}s] ${what}\n`);
};

export interface HttpResult<T = unknown> {
  status: number;
  json: T;
}

export async function http<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
}

/** A `lilo` process whose output is kept (the last lines) for failure messages. */
class LiloProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private readonly tail: string[] = [];
  private stopping = false;
  starts = 0;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: Record<string, string | undefined>,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Running, and not being stopped. */
  get alive(): boolean {
    return Boolean(
      !this.stopping && this.child && this.child.exitCode === null && this.child.signalCode === null,
    );
  }

  spawn(): void {
    if (this.alive) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, [fromRoot("bin/lilo.js"), ...this.args], {
      env: { ...process.env, LOG_LEVEL: "warn", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.starts++;
    this.stopping = false;
    const generation = this.starts;
    running.add(child);
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        this.tail.push(`[${this.name}#${generation}] ${line.slice(0, 400)}`);
        if (this.tail.length > 40) this.tail.shift();
      }
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        running.delete(child);
        this.tail.push(`[${this.name}#${generation}] exited (${signal ?? code})`);
        resolve();
      }),
    );
    this.child = child;
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.stopping = true;
    this.child!.kill(signal);
    trace(`${this.name} ${signal}`);
    const done = await Promise.race([this.exited!.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      this.child!.kill("SIGKILL");
      await this.exited;
    }
  }

  logs(): string {
    return this.tail.join("\n");
  }
}

/**
 * The cloud process. On PostgreSQL the test keeps its own connection; on PGlite (one process per
 * data directory) a query stops the cloud, opens the directory, and starts the cloud again.
 */
export class CloudProcess {
  private readonly proc: LiloProcess;
  readonly url: string;

  private constructor(
    private readonly backend: { url?: string; ownerUrl?: string; dataDir?: string; handle?: Database },
    readonly port: number,
    readonly mqttPort: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.proc = new LiloProcess("cloud", ["cloud", "serve"], {
      DATABASE_URL: backend.url,
      DATABASE_OWNER_URL: backend.ownerUrl,
      LILO_CLOUD_DATA_DIR: backend.dataDir,
      LILO_CLOUD_PORT: String(port),
      LILO_MQTT_HOST: "127.0.0.1",
      LILO_MQTT_PORT: String(mqttPort),
    });
  }

  static async create(backend: {
    url?: string;
    ownerUrl?: string;
    dataDir?: string;
    handle?: Database;
  }): Promise<CloudProcess> {
    return new CloudProcess(backend, await freePort(), await freePort());
  }

  /**
   * A cloud on the tests' PostgreSQL server when there is one, else on PGlite under `tmp`; `prepare`
   * seeds its database first. The process is not started yet; `dispose` drops the server database.
   */
  static async prepared(
    tmp: string,
    prepare: (database: Database) => Promise<void>,
  ): Promise<{ cloud: CloudProcess; dispose: () => Promise<void> }> {
    // On PostgreSQL too the cloud keeps files there (evidence blobs, its audit signing key).
    const dataDir = join(tmp, "cloud");
    if (serverUrl) {
      const created = await backends.find((b) => b.name === "postgres")!.create();
      await prepare(created.database);
      const cloud = await CloudProcess.create({
        url: created.url,
        ownerUrl: created.ownerUrl,
        dataDir,
        handle: created.database,
      });
      return { cloud, dispose: created.dispose };
    }
    const database = await connectDatabase({ dataDir });
    try {
      await prepare(database);
    } finally {
      await database.close();
    }
    return { cloud: await CloudProcess.create({ dataDir }), dispose: async () => {} };
  }

  get running(): boolean {
    return this.proc.alive;
  }

  async start(): Promise<void> {
    trace(`${this.proc.name} start`);
    this.proc.spawn();
    await waitFor(async () => (await http("GET", `${this.url}/health`)).status === 200, {
      what: "the cloud to answer /health",
      timeoutMs: 60_000,
      intervalMs: 100,
      context: () => this.logs(),
    });
  }

  /** SIGTERM: a clean stop, as systemd or an orchestrator would do it. */
  stop(): Promise<void> {
    return this.proc.stop("SIGTERM");
  }

  /**
   * Runs `fn` on the cloud's database (as its owner). On PGlite the cloud is stopped for it; it is
   * started again afterwards unless `leaveStopped` (which on PostgreSQL stops it after `fn`).
   */
  async query<T>(fn: (database: Database) => Promise<T>, opts: { leaveStopped?: boolean } = {}): Promise<T> {
    if (this.backend.handle) {
      const result = await fn(this.backend.handle);
      if (opts.leaveStopped) await this.stop();
      return result;
    }
    const wasRunning = this.running;
    await this.stop();
    const database = await connectDatabase({ dataDir: this.backend.dataDir });
    try {
      return await fn(database);
    } finally {
      await database.close();
      if (wasRunning && !opts.leaveStopped) await this.start();
    }
  }

  logs(): string {
    return this.proc.logs();
  }
}

/** A simulated cabinet running as its own process; its SQLite file is readable while it runs. */
export class CabinetProcess {
  private readonly proc: LiloProcess;
  readonly url: string;
  readonly dbPath: string;

  constructor(
    readonly dataDir: string,
    readonly configPath: string,
    port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.dbPath = join(dataDir, "appliance.db");
    this.proc = new LiloProcess("cabinet", ["appliance", "run", "--config", configPath], {});
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return this.proc.alive;
  }

  async start(): Promise<void> {
    trace(`${this.proc.name} start`);
    this.proc.spawn();
    await waitFor(async () => (await http("GET", `${this.url}/api/health`)).status === 200, {
      what: "the cabinet to answer /api/health",
      timeoutMs: 60_000,
      intervalMs: 100,
      context: () => this.logs(),
    });
  }

  /** kill -9: no handler runs, nothing is flushed. */
  kill9(): Promise<void> {
    return this.proc.stop("SIGKILL");
  }

  stop(): Promise<void> {
    return this.proc.stop("SIGTERM");
  }

  status(): Promise<CabinetStatus> {
    return http<CabinetStatus>("GET", `${this.url}/api/status`).then((r) => r.json);
  }

  sim<T = unknown>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    return http<T>(method, `${this.url}/sim${path}`, body);
  }

  /** Runs `fn` on a read-only connection to the cabinet's database (safe while it runs: WAL). */
  read<T>(fn: (db: Sqlite.Database) => T): T {
    const db = new Sqlite(this.dbPath, { readonly: true, fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  logs(): string {
    return this.proc.logs();
  }
}

export interface CabinetStatus {
  cabinet_id: string;
  device?: { device_id: string; thing_name: string };
  sync?: { pending: number; acked_through: number; last_error?: string };
  door: string;
  lock: string;
  session?: { state: string; session_id?: string };
}

export interface SeededFleet {
  org: DemoOrg;
  /** A claim token for the demo cabinet (for the cabinet process). */
  claimToken: string;
  /** A second cabinet in the same lab with its own claim token (for a hand-driven device). */
  spare: { cabinet_id: string; claimToken: string };
}

/** Migrates and creates the demo organization, a spare cabinet and a claim token for each. */
export async function seedCloud(database: Database): Promise<SeededFleet> {
  await migrateAll(database);
  const org = await ensureDemoOrg(database);
  const spareCabinet = await database.withTenant(org.org_id, async (tx) => {
    const [demo] = await tx.select().from(cabinets).where(eq(cabinets.cabinet_id, org.cabinet_id));
    const [spare] = await tx
      .insert(cabinets)
      .values({
        lab_id: demo!.lab_id,
        cabinet_name: "Spare cabinet",
        cabinet_code: "SPARE-CAB-1",
        num_shelves: 1,
      })
      .returning();
    return spare!.cabinet_id;
  });
  const provisioning = new ProvisioningService(database);
  const { claim_token } = await provisioning.createClaimToken(org.org_id, org.cabinet_id);
  const spare = await provisioning.createClaimToken(org.org_id, spareCabinet);
  return { org, claimToken: claim_token, spare: { cabinet_id: spareCabinet, claimToken: spare.claim_token } };
}

/** Writes a cabinet's config and its stocked simulated shelves, as `lilo demo` prepares them. */
export function prepareCabinet(
  dir: string,
  opts: {
    port: number;
    cloudUrl: string;
    claimToken: string;
    placements: DemoOrg["placements"];
    cloud?: Partial<NonNullable<ApplianceConfigInput["cloud"]>>;
  },
): string {
  mkdirSync(dir, { recursive: true });
  const base = simConfigInput(dir, opts.port);
  const config: ApplianceConfigInput = {
    ...base,
    cabinet: undefined,
    credentialSecret: undefined,
    // No scheduled scans: every scan in a test comes from a session.
    scan: { intervalMinutes: 0, afterSession: true },
    cloud: {
      url: opts.cloudUrl,
      claimToken: opts.claimToken,
      serialNumber: `FAULT-${randomUUID().slice(0, 8)}`,
      ...opts.cloud,
    },
  };
  const path = join(dir, "appliance.json");
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const sim = SimCabinet.load(join(dir, "sim-cabinet.json"), { shelves: DEMO_SHELVES });
  for (const p of opts.placements) sim.addContainer(p.shelf, { qr_code: p.qr_code, x: p.x, y: p.y });
  return path;
}

/** Primary keys of a tenant table, as the cloud's owner sees them. */
export async function cloudIds(
  database: Database,
  schema: string,
  table: string,
  pk: string,
  where?: string,
): Promise<string[]> {
  const rows = await database.asOwner((tx) =>
    queryRows<{ id: string }>(
      tx,
      sql.raw(`SELECT ${pk}::text AS id FROM "${schema}".${table}${where ? ` WHERE ${where}` : ""}`),
    ),
  );
  return rows.map((r) => r.id);
}
