// Hostile tests of the live channel: a real cloud (in this process) and a simulated cabinet running as
// its own process, connected over TLS to the embedded aedes broker and to a private Mosquitto, on
// PGlite and PostgreSQL. The attacker holds the cloud's broker account (or the broker itself): it can
// publish anything on a cabinet's command topic, and still cannot make the cabinet act.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { eq, sql } from "drizzle-orm";
import mqtt, { type MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCloudConfig } from "../cloud/config.js";
import { type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { CommandKeyService } from "../cloud/fleet/command-key.service.js";
import { AedesBroker } from "../cloud/mqtt/broker.aedes.js";
import { type CertificatePair, selfSignedCertificate } from "../cloud/mqtt/self-signed-cert.js";
import type { SignableCommand } from "../shared/commands/command-signature.js";
import { silentLogger } from "../shared/logger.js";
import { type AckMessage, topics } from "../shared/mqtt/topics.js";
import { iotDevices, userOrgMemberships, userPasswords } from "../shared/schema/platform.js";
import { cabinets } from "../shared/schema/tenant.js";
import { lilo } from "./support/cli.js";
import { startCloud, type TestCloud } from "./support/cloud.js";
import { backends } from "./support/databases.js";
import { CabinetProcess, http, killAll, prepareCabinet } from "./support/fleet-processes.js";
import { freePort } from "./support/free-port.js";
import {
  mosquittoAvailable,
  type PrivateMosquitto,
  StaticAuthenticator,
  setUpServiceAccount,
  startMosquitto,
} from "./support/mqtt.js";
import { waitFor } from "./support/wait-for.js";

const KEY_SECRET = "test-command-key-secret-0123456789abcdef";
const SERVICE = { username: "lilo-cloud", password: `svc-${randomUUID()}` };
const MIN = 60_000;

interface BrokerSetup {
  name: string;
  enabled: boolean;
  /**
   * Env for the cloud, and how the attacker reaches the broker with the cloud's own account, given
   * the URL the cabinet was told to use.
   */
  start(
    tls: CertificatePair,
    files: { certFile: string; keyFile: string },
  ): Promise<{
    env: NodeJS.ProcessEnv;
    attacker: (deviceUrl: string) => { url: string; username: string; password: string };
    stop(): Promise<void>;
  }>;
}

const brokers: BrokerSetup[] = [
  {
    name: "aedes (embedded)",
    enabled: true,
    async start(_tls, files) {
      return {
        // The embedded broker's account is configured here, so the attacker holds it (as someone who
        // read the cloud's configuration would) and uses it on the devices' own TLS listener.
        env: {
          LILO_MQTT_TLS_CERT: files.certFile,
          LILO_MQTT_TLS_KEY: files.keyFile,
          MQTT_USERNAME: SERVICE.username,
          MQTT_PASSWORD: SERVICE.password,
        },
        attacker: (deviceUrl) => ({ url: deviceUrl, ...SERVICE }),
        stop: async () => {},
      };
    },
  },
  {
    name: "mosquitto (dynsec)",
    enabled: mosquittoAvailable(),
    async start(tls, files) {
      const mosquitto: PrivateMosquitto = await startMosquitto({ tls });
      await setUpServiceAccount(mosquitto, SERVICE);
      return {
        env: {
          MQTT_URL: mosquitto.tlsUrl!,
          MQTT_CA_FILE: files.certFile,
          MQTT_USERNAME: SERVICE.username,
          MQTT_PASSWORD: SERVICE.password,
          LILO_MQTT_PROVISIONER: "mosquitto-dynsec",
        },
        attacker: () => ({ url: mosquitto.url, ...SERVICE }),
        stop: () => mosquitto.stop(),
      };
    },
  },
];

const combos = brokers.flatMap((broker) => backends.map((backend) => ({ broker, backend })));

describe.each(combos)("live channel on $broker.name, $backend.name", ({ broker, backend }) => {
  if (!broker.enabled) {
    it.skip("mosquitto is not installed", () => {});
    return;
  }
  let dir: string;
  let t: TestCloud;
  let org: DemoOrg;
  let cabinet: CabinetProcess;
  let stopBroker: () => Promise<void>;
  let attacker: MqttClient;
  let thing: string;
  let keys: CommandKeyService;
  const acks: AckMessage[] = [];

  /** What the cabinet received at claim (device.json). */
  const deviceIdentity = () =>
    JSON.parse(readFileSync(join(dir, "cabinet", "device.json"), "utf8")) as {
      mqtt_url: string;
      command_key?: string;
    };
  const lockState = async () =>
    ((await cabinet.sim<{ lock: string }>("GET", "/state")).json as { lock: string }).lock;
  const ackFor = (id: string, status: string) =>
    waitFor(() => acks.find((a) => a.id === id && a.status === status), {
      what: `${status} ack for ${id}`,
      timeoutMs: 15_000,
      context: () => `${JSON.stringify(acks.slice(-5))}\n${cabinet.logs()}`,
    });

  /** A command signed with the organization's real key; `over` changes fields before signing. */
  async function signed(over: Partial<SignableCommand> = {}): Promise<SignableCommand & { sig: string }> {
    const tech = org.users.find((u) => u.role === "technician")!;
    const cmd: SignableCommand = {
      id: randomUUID(),
      command: "unlock",
      params: { user_id: tech.user_id },
      issued_at: new Date().toISOString(),
      issued_by: "attacker",
      thing,
      approved_by: ["attacker-1", "attacker-2"],
      ...over,
    };
    return { ...cmd, sig: await keys.sign(org.org_id, cmd) };
  }
  const publish = (payload: unknown) =>
    attacker.publishAsync(topics.cmd(thing), JSON.stringify(payload), { qos: 1 });

  async function relock(): Promise<void> {
    await cabinet.sim("POST", "/door", { open: true });
    await cabinet.sim("POST", "/door", { open: false });
    await waitFor(async () => (await lockState()) === "locked", { what: "the cabinet to lock again" });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lilo-security-mqtt-"));
    const tls = await selfSignedCertificate();
    const caFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    writeFileSync(caFile, tls.cert);
    writeFileSync(keyFile, tls.key, { mode: 0o600 });
    const b = await broker.start(tls, { certFile: caFile, keyFile });
    stopBroker = b.stop;
    t = await startCloud(backend, { ...b.env, LILO_COMMAND_KEY_SECRET: KEY_SECRET });
    org = await ensureDemoOrg(t.cloud.db);
    keys = new CommandKeyService(t.cloud.db, KEY_SECRET);
    // A dual-approval cabinet from its first downlink on.
    await t.cloud.db.withTenant(org.org_id, (tx) =>
      tx
        .update(cabinets)
        .set({ requires_dual_approval: true })
        .where(eq(cabinets.cabinet_id, org.cabinet_id)),
    );
    const { claim_token } = await new ProvisioningService(t.cloud.db).createClaimToken(
      org.org_id,
      org.cabinet_id,
    );
    const port = await freePort();
    const configPath = prepareCabinet(join(dir, "cabinet"), {
      port,
      cloudUrl: t.cloud.url,
      claimToken: claim_token,
      placements: org.placements,
      cloud: { mqttCaFile: caFile, downlinkIntervalMs: 2000 },
    });
    cabinet = new CabinetProcess(join(dir, "cabinet"), configPath, port);
    await cabinet.start();
    const status = await cabinet.status();
    thing = status.device!.thing_name;
    await waitFor(
      async () => {
        const [d] = await t.cloud.db.asService((tx) =>
          tx.select().from(iotDevices).where(eq(iotDevices.iot_thing_name, thing)),
        );
        return d?.status === "active" && d.last_seen_at !== null;
      },
      { what: "the cabinet online over MQTT", context: () => cabinet.logs() },
    );
    const a = b.attacker(deviceIdentity().mqtt_url);
    attacker = await mqtt.connectAsync(a.url, {
      ca: tls.cert,
      clientId: `attacker-${randomUUID().slice(0, 8)}`,
      username: a.username,
      password: a.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    attacker.on("message", (_topic, payload) => acks.push(JSON.parse(payload.toString()) as AckMessage));
    await attacker.subscribeAsync(topics.cmdAck(thing), { qos: 1 });
  });

  afterAll(async () => {
    await attacker?.endAsync();
    await cabinet?.stop();
    await killAll();
    await t?.dispose();
    await stopBroker?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects the cabinet over TLS (mqtts) with the broker's self-signed certificate", () => {
    const identity = deviceIdentity();
    expect(identity.mqtt_url).toMatch(/^mqtts:\/\//);
    expect(identity.command_key).toMatch(/^MCowBQYDK2Vw/); // Ed25519 SPKI, received at claim
  });

  it("refuses unsigned, badly signed, wrong-thing, expired, future-dated and replayed commands", async () => {
    const cases: [string, unknown, string][] = [];
    const unsigned = await signed();
    cases.push(["unsigned", { ...unsigned, sig: undefined }, "refused: unsigned"]);
    const tampered = await signed();
    cases.push(["tampered", { ...tampered, params: { user_id: randomUUID() } }, "refused: bad_signature"]);
    const foreignKey = await signed();
    cases.push([
      "signed by another organization's key",
      { ...foreignKey, sig: Buffer.alloc(64, 7).toString("base64") },
      "refused: bad_signature",
    ]);
    cases.push(["for another cabinet", await signed({ thing: "lilo-someone-else" }), "refused: wrong_thing"]);
    const old = new Date(Date.now() - 6 * MIN).toISOString();
    cases.push(["issued 6 min ago", await signed({ issued_at: old }), "refused: expired"]);
    const future = new Date(Date.now() + 6 * MIN).toISOString();
    cases.push(["issued 6 min ahead", await signed({ issued_at: future }), "refused: future_dated"]);
    for (const [what, payload, detail] of cases) {
      await publish(payload);
      const id = (payload as { id: string }).id;
      expect((await ackFor(id, "rejected")).detail, what).toBe(detail);
    }
    expect(await lockState()).toBe("locked");

    // The same command signed properly is carried out: the refusals above were not for lack of a path.
    const genuine = await signed();
    await publish(genuine);
    await ackFor(genuine.id, "done");
    expect(await lockState()).toBe("unlocked");
    await relock();

    // Replayed after a restart (its in-memory memory gone): the id is in the cabinet's database.
    await cabinet.stop();
    await cabinet.start();
    await waitFor(async () => (await cabinet.status()).sync !== undefined, {
      what: "the cabinet back on MQTT",
    });
    acks.length = 0;
    await waitFor(
      async () => {
        await publish(genuine);
        return acks.find((a) => a.id === genuine.id);
      },
      { what: "the replay refused", intervalMs: 1000, context: () => cabinet.logs() },
    );
    expect(acks.find((a) => a.id === genuine.id)).toMatchObject({
      status: "rejected",
      detail: "refused: replayed",
    });
    expect(await lockState()).toBe("locked");
  });

  it("refuses a remote unlock approved by one person on a dual-approval cabinet, even signed", async () => {
    const one = await signed({ approved_by: ["manager-1"] });
    await publish(one);
    expect(await ackFor(one.id, "rejected")).toMatchObject({ detail: "second_approval_required" });
    const same = await signed({ approved_by: ["manager-1", "manager-1"] });
    await publish(same);
    expect(await ackFor(same.id, "rejected")).toMatchObject({ detail: "second_approval_required" });
    expect(await lockState()).toBe("locked");
  });

  it("sends a remote unlock only once two different people approved it", async () => {
    const manager = org.users.find((u) => u.role === "lab_manager")!;
    const tech = org.users.find((u) => u.role === "technician")!;
    // A second administrator: the technician is made an org admin, with the manager's password.
    await t.cloud.db.asOwner(async (tx) => {
      await tx
        .update(userOrgMemberships)
        .set({ org_role: "admin" })
        .where(
          sql`${userOrgMemberships.user_id} = ${tech.user_id} AND ${userOrgMemberships.org_id} = ${org.org_id}`,
        );
      const [hash] = await tx.select().from(userPasswords).where(eq(userPasswords.user_id, manager.user_id));
      await tx
        .insert(userPasswords)
        .values({ user_id: tech.user_id, password_hash: hash!.password_hash })
        .onConflictDoUpdate({ target: userPasswords.user_id, set: { password_hash: hash!.password_hash } });
    });
    const login = async (u: { email: string; password: string | null }) =>
      (
        await http<{ token: string }>("POST", `${t.cloud.url}/api/v1/auth/login`, {
          email: u.email,
          password: u.password,
        })
      ).json.token;
    const [first, second] = [await login(manager), await login({ ...tech, password: manager.password })];
    const status = await cabinet.status();
    const unlock = (token: string) =>
      http<{ status: string }>(
        "POST",
        `${t.cloud.url}/api/v1/orgs/${org.org_id}/devices/${status.device!.device_id}/commands`,
        { command: "unlock", params: { user_id: tech.user_id } },
        { authorization: `Bearer ${token}` },
      );
    expect(await unlock(first)).toMatchObject({ status: 202, json: { status: "awaiting_second_approval" } });
    // Asking twice is still one person.
    expect(await unlock(first)).toMatchObject({ status: 202, json: { status: "awaiting_second_approval" } });
    expect(await lockState()).toBe("locked");
    expect(await unlock(second)).toMatchObject({ status: 200, json: { status: "done" } });
    expect(await lockState()).toBe("unlocked");
    await relock();
  });

  it("does not connect to a plaintext broker on another machine (mqtt://example.com)", async () => {
    await cabinet.stop();
    const path = join(dir, "cabinet", "device.json");
    const identity = deviceIdentity();
    writeFileSync(path, JSON.stringify({ ...identity, mqtt_url: "mqtt://example.com:1883" }), {
      mode: 0o600,
    });
    try {
      await cabinet.start();
      await waitFor(
        () => /the cloud's MQTT broker mqtt:\/\/example.com:1883 is not encrypted/.test(cabinet.logs()),
        { what: "the refusal in the cabinet's log" },
      );
      // The cabinet itself keeps working offline from MQTT.
      expect(await lockState()).toBe("locked");
    } finally {
      await cabinet.stop();
      writeFileSync(path, JSON.stringify(identity), { mode: 0o600 });
      await cabinet.start();
    }
  });

  // Mosquitto has its own limit (max_packet_size); this guards the embedded aedes.
  it.skipIf(!broker.name.startsWith("aedes"))(
    "disconnects a client that announces an oversized MQTT packet",
    async () => {
      const url = new URL(deviceIdentity().mqtt_url);
      const socket = tlsConnect({
        host: url.hostname,
        port: Number(url.port),
        ca: readFileSync(join(dir, "cert.pem")),
      });
      await new Promise<void>((resolve, reject) =>
        socket.once("secureConnect", resolve).once("error", reject),
      );
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      // A CONNECT announcing 100 MiB, before any authentication: only the header is sent.
      const sentAt = Date.now();
      socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x32]));
      await closed;
      // At the header, not when aedes's 30 s connect timeout would have ended the wait for the body.
      expect(Date.now() - sentAt).toBeLessThan(5000);
    },
  );
});

describe("bind and URL checks", () => {
  it("refuses to start a cabinet whose cloud is http:// on another machine", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lilo-insecure-"));
    try {
      const config = (extra: Record<string, unknown>) =>
        prepareCabinet(join(dir, "cabinet"), {
          port: 0,
          cloudUrl: "http://10.0.0.5:8080",
          claimToken: "lilo_claim_not_used_here",
          placements: [],
          cloud: extra,
        });
      const refused = await lilo(["appliance", "run", "--config", config({})]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(
        /cloud.url http:\/\/10.0.0.5:8080 is not encrypted and not on this machine/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves plaintext MQTT only on loopback unless told otherwise", async () => {
    expect(loadCloudConfig({}).mqtt.host).toBe("127.0.0.1");
    expect(() => loadCloudConfig({ LILO_MQTT_HOST: "0.0.0.0" })).toThrow(/plaintext beyond this machine/);
    expect(loadCloudConfig({ LILO_MQTT_HOST: "0.0.0.0", LILO_MQTT_ALLOW_PLAINTEXT: "1" }).mqtt.host).toBe(
      "0.0.0.0",
    );
    const broker = new AedesBroker({
      authenticator: new StaticAuthenticator(new Map()),
      service: SERVICE,
      logger: silentLogger,
      host: "0.0.0.0",
      port: 0,
    });
    await expect(broker.start()).rejects.toThrow(/refusing to serve MQTT in plaintext on 0.0.0.0/);
  });

  it("takes the cloud's broker account from MQTT_USERNAME and MQTT_PASSWORD, given together", () => {
    expect(loadCloudConfig({}).mqtt).toMatchObject({ username: undefined, password: undefined });
    expect(loadCloudConfig({ MQTT_USERNAME: "svc", MQTT_PASSWORD: "pw" }).mqtt).toMatchObject({
      username: "svc",
      password: "pw",
    });
    expect(() => loadCloudConfig({ MQTT_USERNAME: "svc" })).toThrow(/give both or neither/);
    expect(() => loadCloudConfig({ MQTT_PASSWORD: "pw" })).toThrow(/give both or neither/);
  });

  it("refuses a plaintext MQTT connection on the TLS listener", async () => {
    const tls = await selfSignedCertificate();
    const broker = new AedesBroker({
      authenticator: new StaticAuthenticator(new Map()),
      service: SERVICE,
      logger: silentLogger,
      host: "127.0.0.1",
      port: 0,
      tls,
    });
    await broker.start();
    try {
      expect(broker.url).toMatch(/^mqtts:/);
      // A plaintext CONNECT with valid credentials: the TLS listener closes without a CONNACK.
      const socket = netConnect({ host: "127.0.0.1", port: broker.port });
      const received: Buffer[] = [];
      socket.on("data", (d: Buffer) => received.push(d));
      socket.on("error", () => undefined);
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      socket.write(
        mqttPacket.generate({
          cmd: "connect",
          protocolId: "MQTT",
          protocolVersion: 4,
          clientId: "plain",
          clean: true,
          keepalive: 10,
          username: SERVICE.username,
          password: Buffer.from(SERVICE.password),
        }),
      );
      await closed;
      expect(Buffer.concat(received)[0]).not.toBe(0x20);
      const ok = await mqtt.connectAsync(broker.url, { ...SERVICE, ca: tls.cert, reconnectPeriod: 0 });
      await ok.endAsync();
    } finally {
      await broker.stop();
    }
  });
});
