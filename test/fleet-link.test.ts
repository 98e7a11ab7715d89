// End to end over a real broker: the appliance's DeviceLink, the cloud's MqttGateway, and broker-side
// authentication/ACLs, once on the embedded aedes broker and once on a private Mosquitto (dynsec).
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceLink } from "../appliance/mqtt/device-link.service.js";
import { AedesBroker } from "../cloud/mqtt/broker.aedes.js";
import { MosquittoProvisioner } from "../cloud/mqtt/mosquitto.js";
import { CommandTimeoutError, MqttGateway } from "../cloud/mqtt/mqtt-gateway.service.js";
import type { BrokerDevice } from "../cloud/mqtt/provisioning.js";
import { silentLogger } from "../shared/logger.js";
import { type CommandMessage, topics } from "../shared/mqtt/topics.js";
import { testCommandKey } from "./support/command-key.js";
import {
  dynsecAdmin,
  mosquittoAvailable,
  type PrivateMosquitto,
  type Recorded,
  RecordingSink,
  StaticAuthenticator,
  setUpServiceAccount,
  startMosquitto,
} from "./support/mqtt.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { waitFor } from "./support/wait-for.js";

const SERVICE = { username: "lilo-cloud", password: `svc-${randomUUID()}` };
const A: BrokerDevice = { thing_name: "lilo-cab-aaaaaa", device_id: randomUUID(), org_id: randomUUID() };
const B: BrokerDevice = { thing_name: "lilo-cab-bbbbbb", device_id: randomUUID(), org_id: randomUUID() };
const tokens = new Map([
  [A.thing_name, `tok-${randomUUID()}`],
  [B.thing_name, `tok-${randomUUID()}`],
]);
const tokenOf = (d: BrokerDevice) => tokens.get(d.thing_name)!;
const key = testCommandKey();

interface Harness {
  url: string;
  shareGroup?: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
  provisioner?: MosquittoProvisioner;
}

async function aedesHarness(): Promise<Harness> {
  const authenticator = new StaticAuthenticator(
    new Map([A, B].map((d) => [d.thing_name, { identity: d, token: tokenOf(d) }])),
  );
  const make = (port: number) =>
    new AedesBroker({ authenticator, service: SERVICE, logger: silentLogger, host: "127.0.0.1", port });
  let broker = make(0);
  await broker.start();
  const port = broker.port;
  return {
    url: broker.url,
    restart: async () => {
      await broker.stop();
      broker = make(port);
      await broker.start();
    },
    stop: () => broker.stop(),
  };
}

async function mosquittoHarness(): Promise<Harness> {
  const mosquitto: PrivateMosquitto = await startMosquitto();
  // The dynsec admin only creates the cloud's account (`lilo cloud mqtt-setup`); devices are then
  // provisioned with that account, as the running cloud does.
  await setUpServiceAccount(mosquitto, { ...SERVICE, shareGroup: "lilo-cloud" });
  const provisioner = new MosquittoProvisioner({ url: mosquitto.url, ...SERVICE, logger: silentLogger });
  await provisioner.start();
  for (const d of [A, B]) await provisioner.addDevice(d, tokenOf(d));
  return {
    url: mosquitto.url,
    shareGroup: "lilo-cloud",
    provisioner,
    restart: () => mosquitto.restart(),
    stop: async () => {
      await provisioner.stop();
      await mosquitto.stop();
    },
  };
}

function rawClient(url: string, clientId: string, username: string, password: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId,
    username,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 3000,
  });
}

const presence =
  (thing: string, status: "online" | "offline") =>
  (r: Recorded): r is Extract<Recorded, { kind: "presence" }> =>
    r.kind === "presence" && r.thing === thing && r.status === status;

const backends = [
  { name: "aedes (embedded)", make: aedesHarness, enabled: true },
  { name: "mosquitto (dynsec)", make: mosquittoHarness, enabled: mosquittoAvailable() },
];

describe.each(backends)("fleet link over $name", ({ make, enabled }) => {
  if (!enabled) {
    it.skip("mosquitto is not installed", () => {});
    return;
  }
  let harness: Harness;
  const sink = new RecordingSink();
  let gateway: MqttGateway;
  let deviceA: DeviceLink;
  /** Device A reaches the broker through this relay, so a test can kill its connection abruptly. */
  let cable: TcpProxy;
  const handled: CommandMessage[] = [];

  beforeAll(async () => {
    harness = await make();
    cable = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(harness.url).port) });
    gateway = new MqttGateway({
      url: harness.url,
      ...SERVICE,
      sink,
      logger: silentLogger,
      shareGroup: harness.shareGroup,
      commandTimeoutMs: 1500,
      reconnectPeriodMs: 200,
    });
    await gateway.start();
    deviceA = new DeviceLink({
      url: `mqtt://127.0.0.1:${cable.port}`,
      thingName: A.thing_name,
      token: tokenOf(A),
      dataDir: tmpdir(),
      logger: silentLogger,
      telemetryIntervalMs: 60_000,
      reconnectMinMs: 300,
      reconnectMaxMs: 1000,
      guard: key.guard(A.thing_name),
    });
    deviceA.onCommand(async (cmd) => {
      handled.push(cmd);
      return cmd.command === "unlock" ? { status: "failed", detail: "door jammed" } : { status: "done" };
    });
  });

  afterAll(async () => {
    await deviceA?.stop();
    await gateway?.stop();
    await cable?.stop();
    await harness?.stop();
  });

  it("a device that connects goes online and reports sane telemetry", async () => {
    await deviceA.start();
    await sink.waitForRecord(presence(A.thing_name, "online"));
    const t = await sink.waitForRecord(
      (r): r is Extract<Recorded, { kind: "telemetry" }> =>
        r.kind === "telemetry" && r.thing === A.thing_name,
    );
    for (const v of [
      t.metrics.cpu_usage_percent,
      t.metrics.memory_usage_percent,
      t.metrics.disk_usage_percent,
    ]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
    expect(t.metrics.memory_usage_percent).toBeGreaterThan(0);
    expect(t.metrics.disk_usage_percent).toBeGreaterThan(0);
    expect(t.metrics.uptime_seconds).toBeGreaterThan(0);
    expect(t.metrics.temperature_celsius === null || typeof t.metrics.temperature_celsius === "number").toBe(
      true,
    );
    expect(Date.now() - Date.parse(t.metrics.at)).toBeLessThan(10_000);
  });

  it("publishes live events", async () => {
    expect(deviceA.publishEvent("door", { open: true })).toBe(true);
    const e = await sink.waitForRecord((r) => r.kind === "event" && r.thing === A.thing_name);
    expect(e).toMatchObject({ event: { type: "door", data: { open: true } } });
  });

  it("round-trips a command with accepted and done acks", async () => {
    const ack = await gateway.sendCommand(A.thing_name, "scan_now", {
      params: { shelf: 2 },
      issuedBy: "user-1",
      sign: key.sign,
    });
    expect(ack.status).toBe("done");
    expect(handled.at(-1)).toMatchObject({
      id: ack.id,
      command: "scan_now",
      params: { shelf: 2 },
      issued_by: "user-1",
    });
    // The sink sees both acks (it is fed asynchronously, so wait rather than inspect).
    await sink.waitForRecord((r) => r.kind === "ack" && r.ack.id === ack.id && r.ack.status === "accepted");
    await sink.waitForRecord((r) => r.kind === "ack" && r.ack.id === ack.id && r.ack.status === "done");
    const failed = await gateway.sendCommand(A.thing_name, "unlock", { sign: key.sign });
    expect(failed).toMatchObject({ status: "failed", detail: "door jammed" });
  });

  it("rejects an unknown command and times out on an absent device", async () => {
    const cloud = await rawClient(
      harness.url,
      `lilo-cloud-raw-${randomUUID().slice(0, 6)}`,
      SERVICE.username,
      SERVICE.password,
    );
    const id = randomUUID();
    await cloud.publishAsync(
      topics.cmd(A.thing_name),
      JSON.stringify(
        key.signed({
          id,
          command: "self_destruct",
          issued_at: new Date().toISOString(),
          thing: A.thing_name,
        }),
      ),
      { qos: 1 },
    );
    // Garbage on the same topic must be ignored, not crash the device.
    await cloud.publishAsync(topics.cmd(A.thing_name), "{not json", { qos: 1 });
    const rejected = await sink.waitForRecord((r) => r.kind === "ack" && r.ack.id === id);
    expect(rejected).toMatchObject({ ack: { status: "rejected", detail: "unknown command: self_destruct" } });
    await cloud.endAsync();

    await expect(gateway.sendCommand(B.thing_name, "sync_now", { sign: key.sign })).rejects.toBeInstanceOf(
      CommandTimeoutError,
    );
  });

  it("confines a device to its own topics and refuses bad credentials", async () => {
    const b = await rawClient(harness.url, B.thing_name, B.thing_name, tokenOf(B));
    await expect(b.subscribeAsync(topics.cmd(A.thing_name), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(b.subscribeAsync("lilo/#", { qos: 0 })).rejects.toThrow(/Subscribe error/);
    await expect(b.subscribeAsync(topics.cmd(B.thing_name), { qos: 1 })).resolves.toBeDefined();
    const spoof = { type: "spoofed", at: new Date().toISOString(), data: {} };
    // aedes answers a forbidden publish by closing the connection, Mosquitto by dropping it.
    b.publish(topics.events(A.thing_name), JSON.stringify(spoof), { qos: 0 });
    const spoofedId = randomUUID();
    b.publish(
      topics.cmd(A.thing_name),
      JSON.stringify({ id: spoofedId, command: "unlock", issued_at: spoof.at }),
    );
    await sleep(700);
    expect(sink.records.some((r) => r.kind === "event" && r.event.type === "spoofed")).toBe(false);
    expect(handled.some((c) => c.id === spoofedId)).toBe(false);
    b.end(true);

    await expect(rawClient(harness.url, A.thing_name, A.thing_name, "wrong-token")).rejects.toThrow(
      /Connection refused/,
    );
    // B's valid credentials under A's client id would let B take over A's session.
    await expect(rawClient(harness.url, A.thing_name, B.thing_name, tokenOf(B))).rejects.toThrow(
      /Connection refused/,
    );
  });

  it("sees a device go offline through its last will when the connection dies abruptly", async () => {
    sink.clear();
    const killedAt = Date.now();
    cable.cut();
    const offline = await sink.waitForRecord(presence(A.thing_name, "offline"), 5000);
    expect(Date.now() - killedAt).toBeLessThan(3000);
    expect(Date.parse(offline.at)).toBeGreaterThanOrEqual(killedAt - 1000);
    // ...and the device reconnects on its own.
    await sink.waitForRecord(presence(A.thing_name, "online"), 5000);
  });

  it("resumes after the broker restarts", async () => {
    sink.clear();
    await harness.restart();
    // The device reconnects and republishes online; the gateway only sees it if it re-subscribed.
    await sink.waitForRecord(presence(A.thing_name, "online"), 8000);
    await waitFor(() => gateway.connected && deviceA.connected, {
      what: "the gateway and the device connected again",
      timeoutMs: 5000,
    });
    expect(deviceA.publishEvent("alert", { level: "high" })).toBe(true);
    await sink.waitForRecord((r) => r.kind === "event" && r.event.type === "alert");
    const ack = await gateway.sendCommand(A.thing_name, "sync_now", { sign: key.sign });
    expect(ack.status).toBe("done");
  });

  it("publishes offline when the device stops cleanly", async () => {
    sink.clear();
    await deviceA.stop();
    await sink.waitForRecord(presence(A.thing_name, "offline"), 3000);
  });
});

describe.runIf(mosquittoAvailable())("mosquitto provisioning", () => {
  let mosquitto: PrivateMosquitto;
  let provisioner: MosquittoProvisioner;
  const C: BrokerDevice = { thing_name: "lilo-cab-cccccc", device_id: randomUUID(), org_id: randomUUID() };

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    provisioner = dynsecAdmin(mosquitto);
    await provisioner.start();
  });

  afterAll(async () => {
    await provisioner?.stop();
    await mosquitto?.stop();
  });

  it("gives the cloud's account its topics and device management, not the whole broker", async () => {
    await provisioner.ensureServiceAccount({ ...SERVICE, shareGroup: "lilo-cloud" });
    // Run twice: the role is rebuilt, not widened.
    await provisioner.ensureServiceAccount({ ...SERVICE, shareGroup: "lilo-cloud" });
    const svc = new MosquittoProvisioner({ url: mosquitto.url, ...SERVICE, logger: silentLogger });
    await svc.start();
    await svc.addDevice(C, "svc-made");
    const device = await rawClient(mosquitto.url, C.thing_name, C.thing_name, "svc-made");
    await device.endAsync();
    await svc.revokeDevice(C.thing_name);
    await svc.stop();

    const cloud = await rawClient(mosquitto.url, "lilo-cloud-probe", SERVICE.username, SERVICE.password);
    await expect(cloud.subscribeAsync("lilo/+/presence", { qos: 1 })).resolves.toBeDefined();
    for (const filter of ["#", "$SYS/#", "other/topic"]) {
      await expect(cloud.subscribeAsync(filter, { qos: 0 }), filter).rejects.toThrow(/Subscribe error/);
    }
    await cloud.endAsync();
  });

  it("adds idempotently, rotates and revokes a device", async () => {
    await provisioner.addDevice(C, "first");
    await provisioner.addDevice(C, "second");
    await expect(rawClient(mosquitto.url, C.thing_name, C.thing_name, "first")).rejects.toThrow();
    const c = await rawClient(mosquitto.url, C.thing_name, C.thing_name, "second");
    await c.endAsync();
    await expect(rawClient(mosquitto.url, "other-id", C.thing_name, "second")).rejects.toThrow();

    await provisioner.rotateDevice(C.thing_name, "third");
    await expect(rawClient(mosquitto.url, C.thing_name, C.thing_name, "second")).rejects.toThrow();
    const live = await rawClient(mosquitto.url, C.thing_name, C.thing_name, "third");
    const closed = new Promise<void>((r) => live.once("close", () => r()));
    await provisioner.revokeDevice(C.thing_name);
    await closed;
    live.end(true);
    await expect(rawClient(mosquitto.url, C.thing_name, C.thing_name, "third")).rejects.toThrow();
    await provisioner.revokeDevice(C.thing_name);
  });
});
