import { randomUUID } from "node:crypto";
import mqtt from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { topics } from "../../shared/mqtt/topics.js";
import { testCommandKey } from "../../test/support/command-key.js";
import { RecordingSink, StaticAuthenticator } from "../../test/support/mqtt.js";
import { AedesBroker } from "./broker.aedes.js";
import { MqttGateway, MqttNotConnectedError } from "./mqtt-gateway.service.js";

const THING = "lilo-cab-g11111";
const TOKEN = "tok-g";
const SERVICE = { username: "svc", password: "svc-pw" };
const warnings: string[] = [];
const logger = pino({ level: "warn" }, { write: (s: string) => warnings.push(JSON.parse(s).msg) });

let broker: AedesBroker;
let gateway: MqttGateway;
const sink = new RecordingSink();

beforeAll(async () => {
  broker = new AedesBroker({
    authenticator: new StaticAuthenticator(
      new Map([[THING, { identity: { thing_name: THING, device_id: "d", org_id: "o" }, token: TOKEN }]]),
    ),
    service: SERVICE,
    logger: silentLogger,
    port: 0,
  });
  await broker.start();
  gateway = new MqttGateway({ url: broker.url, ...SERVICE, sink, logger });
  await gateway.start();
});

afterAll(async () => {
  await gateway?.stop();
  await broker?.stop();
});

/** The test cabinet's MQTT connection, as the appliance makes it (its credential, no reconnect). */
const connectDevice = () =>
  mqtt.connectAsync(broker.url, {
    clientId: THING,
    username: THING,
    password: TOKEN,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });

it("drops malformed device messages with a warning and keeps going", async () => {
  const device = await connectDevice();
  await device.publishAsync(topics.telemetry(THING), "not json", { qos: 1 });
  await device.publishAsync(topics.events(THING), JSON.stringify({ type: "", at: "x" }), { qos: 1 });
  await device.publishAsync(topics.cmdAck(THING), JSON.stringify({ id: randomUUID(), status: "maybe" }), {
    qos: 1,
  });
  await device.publishAsync(
    topics.events(THING),
    JSON.stringify({ type: "door", at: new Date().toISOString(), data: { open: false } }),
    { qos: 1 },
  );
  await sink.waitForRecord((r) => r.kind === "event");
  expect(sink.records).toHaveLength(1);
  expect(warnings.filter((w) => /dropped/.test(w))).toHaveLength(3);
  await device.endAsync();
});

it("stamps reports with the cloud's receive time, not the device's clock", async () => {
  sink.clear();
  const device = await connectDevice();
  const future = "2100-01-01T00:00:00.000Z";
  const before = Date.now();
  await device.publishAsync(topics.presence(THING), JSON.stringify({ status: "online", at: future }), {
    qos: 1,
    retain: true,
  });
  const telemetry = {
    cpu_usage_percent: 1,
    memory_usage_percent: 2,
    disk_usage_percent: 3,
    temperature_celsius: null,
    uptime_seconds: 4,
    at: future,
  };
  await device.publishAsync(topics.telemetry(THING), JSON.stringify(telemetry), { qos: 1 });
  const presence = await sink.waitForRecord((r) => r.kind === "presence");
  expect(Date.parse((presence as { at: string }).at)).toBeGreaterThanOrEqual(before);
  expect(Date.parse((presence as { at: string }).at)).toBeLessThanOrEqual(Date.now());
  await sink.waitForRecord((r) => r.kind === "telemetry");
  expect(sink.receivedAt.at(-1)!.getTime()).toBeLessThanOrEqual(Date.now());
  // The retained copy, replayed to a gateway that subscribes later, is clamped to now as well.
  const late = new RecordingSink();
  const second = new MqttGateway({
    url: broker.url,
    ...SERVICE,
    sink: late,
    logger: silentLogger,
    clientId: "g2",
  });
  await second.start();
  const replay = await late.waitForRecord((r) => r.kind === "presence");
  expect(Date.parse((replay as { at: string }).at)).toBeLessThanOrEqual(Date.now());
  await second.stop();
  await device.endAsync();
});

it("fails fast and clearly when a command cannot be sent", async () => {
  const { sign } = testCommandKey();
  await expect(gateway.sendCommand("bad/thing", "scan_now", { sign })).rejects.toThrow(/invalid thing name/);
  const offline = new MqttGateway({ url: broker.url, ...SERVICE, sink, logger: silentLogger });
  await expect(offline.sendCommand(THING, "scan_now", { sign })).rejects.toBeInstanceOf(
    MqttNotConnectedError,
  );
});

it("fails start() when the service credentials are wrong", async () => {
  const wrong = new MqttGateway({
    url: broker.url,
    username: SERVICE.username,
    password: "nope",
    sink,
    logger: silentLogger,
    connectTimeoutMs: 800,
  });
  await expect(wrong.start()).rejects.toThrow(/no MQTT connection/);
  expect(wrong.connected).toBe(false);
});
