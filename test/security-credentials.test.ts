// Hostile tests of the device credential lifecycle against a real cloud (HTTP + MQTT) on PGlite and
// PostgreSQL, with the embedded aedes broker and with Mosquitto (dynamic security): what a revoked,
// rotated or decommissioned cabinet, or someone holding a claim token, can still do.
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { and, eq } from "drizzle-orm";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudClient } from "../appliance/sync/cloud-client.js";
import { ensureProvisioned } from "../appliance/sync/provisioning.js";
import { type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { MosquittoProvisioner } from "../cloud/mqtt/mosquitto.js";
import { CabinetService } from "../cloud/orgs/cabinet.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { createLogger, silentLogger } from "../shared/logger.js";
import { EventMessage, encodeMessage, TelemetryMessage, topics } from "../shared/mqtt/topics.js";
import { deviceTelemetry, eventStream, systemEvents } from "../shared/schema/partitioned.js";
import { claimTokens, iotDevices } from "../shared/schema/platform.js";
import { lilo } from "./support/cli.js";
import { startCloud, type TestCloud } from "./support/cloud.js";
import { backends } from "./support/databases.js";
import { http } from "./support/fleet-processes.js";
import { mosquittoAvailable, type PrivateMosquitto, startMosquitto } from "./support/mqtt.js";
import { waitFor } from "./support/wait-for.js";

interface Claimed {
  device_id: string;
  thing_name: string;
  cabinet_id: string;
  credential: string;
  mqtt_url: string;
  serial: string;
}

interface Broker {
  name: string;
  enabled: boolean;
  start(): Promise<{ env: NodeJS.ProcessEnv; stop(): Promise<void> }>;
}

const brokers: Broker[] = [
  { name: "aedes", enabled: true, start: async () => ({ env: {}, stop: async () => {} }) },
  {
    name: "mosquitto",
    enabled: mosquittoAvailable(),
    start: async () => {
      const m: PrivateMosquitto = await startMosquitto();
      // As in production: the dynsec admin only creates the cloud's own, narrower account.
      const service = { username: "lilo-cloud", password: `svc-${randomUUID()}` };
      const setup = new MosquittoProvisioner({
        url: m.url,
        username: m.adminUser,
        password: m.adminPassword,
        logger: silentLogger,
      });
      await setup.start();
      await setup.ensureServiceAccount(service);
      await setup.stop();
      return {
        env: {
          MQTT_URL: m.url,
          MQTT_USERNAME: service.username,
          MQTT_PASSWORD: service.password,
          LILO_MQTT_PROVISIONER: "mosquitto-dynsec",
        },
        stop: () => m.stop(),
      };
    },
  },
];

const suites = backends.flatMap((db) =>
  brokers.map((broker) => ({ db, broker, name: `${db.name} + ${broker.name}` })),
);

/** A device's MQTT connection that remembers whether the broker closed it. */
interface Session {
  client: MqttClient;
  closed: () => boolean;
}

function connect(d: Claimed, credential = d.credential): Promise<MqttClient> {
  return mqtt.connectAsync(d.mqtt_url, {
    clientId: d.thing_name,
    username: d.thing_name,
    password: credential,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
}

async function session(d: Claimed): Promise<Session> {
  const client = await connect(d);
  let closed = false;
  client.on("close", () => {
    closed = true;
  });
  client.on("error", () => {});
  return { client, closed: () => closed };
}

const telemetry = (uptime: number) =>
  encodeMessage(TelemetryMessage, {
    cpu_usage_percent: 10,
    memory_usage_percent: 20,
    disk_usage_percent: 30,
    temperature_celsius: 40,
    uptime_seconds: uptime,
    at: new Date().toISOString(),
  });

describe.each(suites)("device credential lifecycle on $name", ({ db, broker }) => {
  if (!broker.enabled) {
    it.skip("mosquitto is not installed", () => {});
    return;
  }
  let t: TestCloud;
  let stopBroker: () => Promise<void>;
  let org: DemoOrg;
  let admin: string;
  let otherOrg: { org_id: string; cabinet_id: string };
  let provisioning: ProvisioningService;
  let serials = 0;
  let codes = 0;
  const sessions: MqttClient[] = [];

  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, token?: string) =>
    http<T>(method, `${t.cloud.url}/api/v1${path}`, body, token ? { authorization: `Bearer ${token}` } : {});

  const newCabinet = async (orgId = org.org_id) =>
    (
      await new CabinetService(t.cloud.db).create(orgId, {
        department: "Security",
        lab: "Lifecycle lab",
        name: `Cabinet ${++codes}`,
        code: `SEC-${codes}`,
      })
    ).cabinet_id;

  const claimToken = async (cabinetId?: string, orgId = org.org_id) =>
    (await provisioning.createClaimToken(orgId, cabinetId ?? (await newCabinet(orgId)))).claim_token;

  /** A cabinet claimed through the real HTTP flow, on a cabinet of its own. */
  const claimDevice = async (): Promise<Claimed> => {
    const serial = `SEC-BOARD-${broker.name}-${++serials}`;
    const res = await api<Omit<Claimed, "serial">>("POST", "/devices/claim", {
      claim_token: await claimToken(),
      serial_number: serial,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return { ...res.json, serial };
  };

  /** A device of the rival organization. */
  const claimRival = async (): Promise<Claimed> => {
    const serial = `SEC-RIVAL-${broker.name}-${++serials}`;
    const res = await api<Omit<Claimed, "serial">>("POST", "/devices/claim", {
      claim_token: await claimToken(undefined, otherOrg.org_id),
      serial_number: serial,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return { ...res.json, serial };
  };

  const open = async (d: Claimed) => {
    const s = await session(d);
    sessions.push(s.client);
    return s;
  };

  const syncState = (credential: string) => api("GET", "/device/sync/state", undefined, credential);

  beforeAll(async () => {
    const started = await broker.start();
    stopBroker = started.stop;
    // Far more claims than a real cabinet makes come from this one address.
    t = await startCloud(db, { ...started.env, LILO_CLAIM_LIMIT_PER_IP: "10000" });
    org = await ensureDemoOrg(t.cloud.db);
    provisioning = new ProvisioningService(t.cloud.db);
    const manager = org.users.find((u) => u.password)!;
    const login = await api<{ token: string }>("POST", "/auth/login", {
      email: manager.email,
      password: manager.password,
    });
    expect(login.status).toBe(200);
    admin = login.json.token;
    const created = await new OrganizationService(t.cloud.db).create({
      name: "Rival Labs",
      slug: `rival-${broker.name}`,
      type: "biotech",
    });
    otherOrg = { org_id: created.org_id, cabinet_id: await newCabinet(created.org_id) };
  });

  afterAll(async () => {
    for (const c of sessions) c.end(true);
    await t?.dispose();
    await stopBroker?.();
  });

  it("revocation closes the live MQTT session; the old credential is refused over MQTT and HTTP", async () => {
    const d = await claimDevice();
    const s = await open(d);
    const res = await api("POST", `/orgs/${org.org_id}/devices/${d.device_id}/revoke`, undefined, admin);
    expect(res.status).toBe(204);
    await waitFor(() => s.closed(), { what: "the broker to close the revoked session", timeoutMs: 10_000 });
    await expect(connect(d)).rejects.toThrow();
    expect((await syncState(d.credential)).status).toBe(401);
  });

  it("rotation closes the live MQTT session; only the new credential connects", async () => {
    const d = await claimDevice();
    const s = await open(d);
    const res = await api<{ credential: string }>(
      "POST",
      `/orgs/${org.org_id}/devices/${d.device_id}/rotate`,
      undefined,
      admin,
    );
    expect(res.status).toBe(200);
    await waitFor(() => s.closed(), { what: "the broker to close the rotated session", timeoutMs: 10_000 });
    await expect(connect(d)).rejects.toThrow();
    expect((await syncState(d.credential)).status).toBe(401);
    const fresh = await connect(d, res.json.credential);
    sessions.push(fresh);
    expect(fresh.connected).toBe(true);
    expect((await syncState(res.json.credential)).status).toBe(200);
  });

  it("a revocation made outside the cloud process (the CLI's database path) closes the session within seconds", async () => {
    const d = await claimDevice();
    const s = await open(d);
    // No broker hook: exactly what `lilo cloud device revoke` does without MQTT settings.
    await provisioning.revoke(d.device_id);
    await waitFor(() => s.closed(), { what: "the cloud's sweep to close the session", timeoutMs: 10_000 });
    await expect(connect(d)).rejects.toThrow();
  });

  it.runIf(db.name === "postgres")(
    "the `lilo cloud device` commands, run as processes: revoke and decommission close live sessions, revoke-claim-token and approve-reclaim work",
    async () => {
      const env = {
        DATABASE_URL: t.cloud.config.databaseUrl,
        MQTT_URL: t.cloud.config.mqtt.url,
        MQTT_USERNAME: t.cloud.config.mqtt.username,
        MQTT_PASSWORD: t.cloud.config.mqtt.password,
        LILO_MQTT_PROVISIONER: t.cloud.config.mqtt.provisioner,
      };
      for (const command of ["revoke", "decommission"]) {
        const d = await claimDevice();
        const s = await open(d);
        const run = await lilo(["cloud", "device", command, "--device", d.device_id], env);
        expect(run.code, run.stderr).toBe(0);
        await waitFor(() => s.closed(), { what: `the session to close after ${command}`, timeoutMs: 10_000 });
        await expect(connect(d)).rejects.toThrow();
        expect((await syncState(d.credential)).status).toBe(401);
      }

      const cabinet = await newCabinet();
      const issued = await lilo(
        ["cloud", "device", "claim-token", "--org", org.org_id, "--cabinet", cabinet],
        env,
      );
      const { claim_token, token_id } = JSON.parse(issued.stdout) as {
        claim_token: string;
        token_id: string;
      };
      const revoked = await lilo(
        ["cloud", "device", "revoke-claim-token", "--org", org.org_id, "--token-id", token_id],
        env,
      );
      expect(JSON.parse(revoked.stdout)).toEqual({ revoked: 1 });
      expect((await api("POST", "/devices/claim", { claim_token, serial_number: "SEC-CLI" })).status).toBe(
        401,
      );

      const lost = await claimDevice();
      const approved = await lilo(["cloud", "device", "approve-reclaim", "--serial", lost.serial], env);
      expect(JSON.parse(approved.stdout)).toMatchObject({ device_id: lost.device_id });
      const again = await api<Claimed>("POST", "/devices/claim", {
        claim_token: await claimToken(),
        serial_number: lost.serial,
      });
      expect(again.json.device_id).toBe(lost.device_id);
      const vague = await lilo(["cloud", "device", "approve-reclaim"], env);
      expect(vague.code).toBe(2);
      expect(vague.stderr).toContain("--device or --serial");
    },
    // Eight `lilo` processes on a busy 2-core machine.
    180_000,
  );

  it("a claim token plus another board's serial number does not take that device over", async () => {
    const victim = await claimDevice();
    const s = await open(victim);
    const attackerToken = await claimToken();
    const sameOrg = await api<{ error: { code: string } }>("POST", "/devices/claim", {
      claim_token: attackerToken,
      serial_number: victim.serial,
    });
    expect(sameOrg.status).toBe(409);
    expect(sameOrg.json.error.code).toBe("conflict");
    // Across organizations not even the device's own credential helps.
    const rival = await api<{ error: { code: string } }>("POST", "/devices/claim", {
      claim_token: await claimToken(otherOrg.cabinet_id, otherOrg.org_id),
      serial_number: victim.serial,
      device_credential: victim.credential,
    });
    expect(rival.status).toBe(409);

    // Nothing changed: the victim still works, and the attacker's token is unused.
    expect((await syncState(victim.credential)).status).toBe(200);
    expect(s.closed()).toBe(false);
    await s.client.publishAsync(topics.telemetry(victim.thing_name), telemetry(1), { qos: 1 });
    const [row] = await t.cloud.db.asService((tx) =>
      tx.select().from(iotDevices).where(eq(iotDevices.device_id, victim.device_id)),
    );
    expect(row).toMatchObject({ assigned_cabinet_id: victim.cabinet_id, org_id: org.org_id });
    const fresh = await api("POST", "/devices/claim", {
      claim_token: attackerToken,
      serial_number: `SEC-NEW-${broker.name}-${++serials}`,
    });
    expect(fresh.status).toBe(201);
  });

  it("re-claim works with the device's current credential, or once after an admin's approval", async () => {
    const d = await claimDevice();
    const s = await open(d);
    const proven = await api<Claimed>("POST", "/devices/claim", {
      claim_token: await claimToken(),
      serial_number: d.serial,
      device_credential: d.credential,
    });
    expect(proven.status).toBe(201);
    expect(proven.json.device_id).toBe(d.device_id);
    await waitFor(() => s.closed(), { what: "the old session to close", timeoutMs: 10_000 });
    expect((await syncState(d.credential)).status).toBe(401);
    expect((await syncState(proven.json.credential)).status).toBe(200);

    // Lost identity file: no credential to show, so an admin approves the re-claim.
    const lost = await api("POST", "/devices/claim", {
      claim_token: await claimToken(),
      serial_number: d.serial,
    });
    expect(lost.status).toBe(409);
    const approval = await api<{ reclaim_approved_until: string }>(
      "POST",
      `/orgs/${org.org_id}/devices/${d.device_id}/approve-reclaim`,
      undefined,
      admin,
    );
    expect(approval.status).toBe(200);
    expect(new Date(approval.json.reclaim_approved_until).getTime()).toBeGreaterThan(Date.now());
    const approved = await api<Claimed>("POST", "/devices/claim", {
      claim_token: await claimToken(),
      serial_number: d.serial,
    });
    expect(approved.status).toBe(201);
    expect(approved.json.device_id).toBe(d.device_id);
    expect((await syncState(proven.json.credential)).status).toBe(401);
    // The approval is used up.
    const again = await api("POST", "/devices/claim", {
      claim_token: await claimToken(),
      serial_number: d.serial,
    });
    expect(again.status).toBe(409);

    const events = await t.cloud.db.asService((tx) =>
      tx.select().from(systemEvents).where(eq(systemEvents.org_id, org.org_id)),
    );
    const mine = events.filter((e) => (e.event_data as { device_id?: string }).device_id === d.device_id);
    expect(mine.map((e) => e.event_type).sort()).toEqual([
      "device_reclaim_approved",
      "device_reclaimed",
      "device_reclaimed",
    ]);
    expect(mine.find((e) => e.event_type === "device_reclaim_approved")?.user_id).toBeTruthy();

    // An admin approves only within their organization.
    const rival = await claimRival();
    const foreign = await api(
      "POST",
      `/orgs/${org.org_id}/devices/${rival.device_id}/approve-reclaim`,
      undefined,
      admin,
    );
    expect(foreign.status).toBe(404);
  });

  it("a decommissioned device is refused over HTTP, and its MQTT telemetry and events do not land", async () => {
    const d = await claimDevice();
    const witness = await claimDevice();
    const s = await open(d);
    const w = await open(witness);
    const telemetryOf = (deviceId: string) =>
      t.cloud.db.asService((tx) =>
        tx.select().from(deviceTelemetry).where(eq(deviceTelemetry.device_id, deviceId)),
      );
    await s.client.publishAsync(topics.telemetry(d.thing_name), telemetry(1), { qos: 1 });
    await waitFor(async () => (await telemetryOf(d.device_id)).length === 1, {
      what: "telemetry before decommissioning",
    });

    // The CLI's path (no broker hook): the session stays open until the cloud's sweep closes it, and what
    // the device publishes meanwhile must not land or bring it back to life.
    await provisioning.decommission(d.device_id);
    const late = [
      s.client.publishAsync(topics.telemetry(d.thing_name), telemetry(2), { qos: 1 }),
      s.client.publishAsync(
        topics.events(d.thing_name),
        encodeMessage(EventMessage, { type: "after_decommission", at: new Date().toISOString(), data: {} }),
        { qos: 1 },
      ),
    ];
    await Promise.allSettled(late);
    // Published after the late reports: once the witness's telemetry lands, the gateway has passed them on.
    await w.client.publishAsync(topics.telemetry(witness.thing_name), telemetry(3), { qos: 1 });
    await waitFor(async () => (await telemetryOf(witness.device_id)).length === 1, {
      what: "the witness's telemetry",
    });
    await waitFor(() => s.closed(), {
      what: "the sweep to close the decommissioned session",
      timeoutMs: 10_000,
    });

    expect(await telemetryOf(d.device_id)).toHaveLength(1);
    const events = await t.cloud.db.asService((tx) =>
      tx
        .select()
        .from(eventStream)
        .where(
          and(eq(eventStream.cabinet_id, d.cabinet_id), eq(eventStream.event_type, "after_decommission")),
        ),
    );
    expect(events).toEqual([]);
    const [row] = await t.cloud.db.asService((tx) =>
      tx.select().from(iotDevices).where(eq(iotDevices.device_id, d.device_id)),
    );
    expect(row?.status).toBe("decommissioned");

    expect((await syncState(d.credential)).status).toBe(401);
    expect((await api("GET", "/device/downlink", undefined, d.credential)).status).toBe(401);
    expect((await api("POST", "/device/sync/changes", { changes: [] }, d.credential)).status).toBe(401);
    await expect(connect(d)).rejects.toThrow();
    // A decommissioned board cannot prove itself back in with its old credential.
    const back = await api("POST", "/devices/claim", {
      claim_token: await claimToken(),
      serial_number: d.serial,
      device_credential: d.credential,
    });
    expect(back.status).toBe(409);
  });

  it("decommissioning through the admin API closes the live session at once", async () => {
    const d = await claimDevice();
    const s = await open(d);
    const res = await api(
      "POST",
      `/orgs/${org.org_id}/devices/${d.device_id}/decommission`,
      undefined,
      admin,
    );
    expect(res.status).toBe(204);
    await waitFor(() => s.closed(), { what: "the session to close", timeoutMs: 10_000 });
    await expect(connect(d)).rejects.toThrow();
    // Another organization's device, named under the admin's own organization, is not found and untouched.
    const rival = await claimRival();
    for (const action of ["decommission", "revoke", "rotate"]) {
      const res = await api(
        "POST",
        `/orgs/${org.org_id}/devices/${rival.device_id}/${action}`,
        undefined,
        admin,
      );
      expect(res.status).toBe(404);
    }
    expect((await syncState(rival.credential)).status).toBe(200);
  });

  it("a revoked claim token cannot claim", async () => {
    const cabinet = await newCabinet();
    const issued = await api<{ claim_token: string; token_id: string }>(
      "POST",
      `/orgs/${org.org_id}/cabinets/${cabinet}/claim-tokens`,
      undefined,
      admin,
    );
    expect(issued.status).toBe(201);
    const revoked = await api(
      "POST",
      `/orgs/${org.org_id}/claim-tokens/revoke`,
      { token_id: issued.json.token_id },
      admin,
    );
    expect(revoked.json).toEqual({ revoked: 1 });
    const attempt = await api<{ error: { code: string; message: string } }>("POST", "/devices/claim", {
      claim_token: issued.json.claim_token,
      serial_number: `SEC-REVOKED-${broker.name}`,
    });
    expect(attempt.status).toBe(401);
    expect(attempt.json.error.message).toMatch(/revoked/);

    // Every open token of a cabinet at once; a used one cannot be revoked, an unknown one is not found.
    const a = await claimToken(cabinet);
    const b = await claimToken(cabinet);
    expect(
      (await api("POST", `/orgs/${org.org_id}/claim-tokens/revoke`, { cabinet_id: cabinet }, admin)).json,
    ).toEqual({ revoked: 2 });
    for (const token of [a, b]) {
      expect(
        (await api("POST", "/devices/claim", { claim_token: token, serial_number: "SEC-X" })).status,
      ).toBe(401);
    }
    const used = await claimDevice();
    const [usedToken] = await t.cloud.db.asService((tx) =>
      tx.select().from(claimTokens).where(eq(claimTokens.used_by_device_id, used.device_id)),
    );
    const late = await api(
      "POST",
      `/orgs/${org.org_id}/claim-tokens/revoke`,
      { token_id: usedToken!.token_id },
      admin,
    );
    expect(late.status).toBe(409);
    const bad = await api(
      "POST",
      `/orgs/${org.org_id}/claim-tokens/revoke`,
      { claim_token: "lilo_claim_nope" },
      admin,
    );
    expect(bad.status).toBe(404);
    const vague = await api("POST", `/orgs/${org.org_id}/claim-tokens/revoke`, {}, admin);
    expect(vague.status).toBe(400);
  });

  it("the claim-token file is removed after a successful claim and kept after a failed one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lilo-boot-"));
    try {
      const client = new CloudClient(t.cloud.url);
      const lines: string[] = [];
      const failed = new AbortController();
      const logger = createLogger(
        "info",
        new Writable({
          write(chunk: Buffer, _enc, done) {
            lines.push(chunk.toString());
            if (chunk.toString().includes("claim failed")) failed.abort();
            done();
          },
        }),
      );
      const base = {
        cloudUrl: t.cloud.url,
        firmwareVersion: "test",
        maxBackoffMs: 60_000,
      };

      const bad = join(dir, "bad-token.txt");
      const revoked = await claimToken();
      await provisioning.revokeClaimToken(org.org_id, { claim_token: revoked });
      writeFileSync(bad, `${revoked}\n`);
      await expect(
        ensureProvisioned(
          client,
          {
            ...base,
            claimTokenFile: bad,
            serialNumber: `SEC-FILE-${broker.name}-bad`,
            identityPath: join(dir, "bad.json"),
            signal: failed.signal,
          },
          logger,
        ),
      ).rejects.toThrow();
      expect(readFileSync(bad, "utf8").trim()).toBe(revoked);

      const good = join(dir, "claim-token.txt");
      writeFileSync(good, `${await claimToken()}\n`);
      const identity = await ensureProvisioned(
        client,
        {
          ...base,
          claimTokenFile: good,
          serialNumber: `SEC-FILE-${broker.name}-good`,
          identityPath: join(dir, "device.json"),
        },
        logger,
      );
      expect(identity.device_id).toBeTruthy();
      expect(existsSync(good)).toBe(false);
      expect(lines.join("")).toContain("claim token file removed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
