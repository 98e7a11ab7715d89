import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DeviceLink } from "../appliance/mqtt/device-link.service.js";
import { AedesBroker } from "../cloud/mqtt/broker.aedes.js";
import { silentLogger } from "../shared/logger.js";
import { type AckMessage, topics } from "../shared/mqtt/topics.js";
import { testCommandKey, testNonceDatabase } from "./support/command-key.js";
import { StaticAuthenticator } from "./support/mqtt.js";
import { waitFor } from "./support/wait-for.js";

const THING = "lilo-cab-d11111";
const TOKEN = `tok-${randomUUID()}`;
const SERVICE = { username: "svc", password: "svc-pw" };
const key = testCommandKey();
const nonces = testNonceDatabase();

let broker: AedesBroker;
let cloud: MqttClient;
let link: DeviceLink;
const acks: AckMessage[] = [];
let calls = 0;

/** Logins the broker refused, as a device with a wrong token would cause. */
let refusedLogins = 0;

const waitForAck = (id: string, status: string) =>
  waitFor(() => acks.find((a) => a.id === id && a.status === status), {
    what: `a ${status} ack for ${id}`,
    timeoutMs: 2000,
    intervalMs: 20,
    context: () => JSON.stringify(acks),
  });

const command = (cmd: string, issuedAt = new Date(), id: string = randomUUID()) => ({
  id,
  payload: JSON.stringify(key.signed({ id, command: cmd, issued_at: issuedAt.toISOString(), thing: THING })),
});

/** The test thing's link to the test broker; its guard keeps the command ids it ran in `nonces`. */
const newLink = () =>
  new DeviceLink({
    url: broker.url,
    thingName: THING,
    token: TOKEN,
    dataDir: tmpdir(),
    logger: silentLogger,
    guard: key.guard(THING, nonces),
  });

/** Starts the link and waits until it is connected. */
async function connect(l: DeviceLink): Promise<void> {
  const up = new Promise<void>((r) => l.onConnectionChange((c) => c && r()));
  await l.start();
  await up;
}

beforeAll(async () => {
  const devices = new StaticAuthenticator(
    new Map([[THING, { identity: { thing_name: THING, device_id: "d", org_id: "o" }, token: TOKEN }]]),
  );
  broker = new AedesBroker({
    authenticator: {
      verify: async (username, password) => {
        const identity = await devices.verify(username, password);
        if (!identity) refusedLogins += 1;
        return identity;
      },
    },
    service: SERVICE,
    logger: silentLogger,
    port: 0,
  });
  await broker.start();
  cloud = await mqtt.connectAsync(broker.url, { ...SERVICE, protocolVersion: 4, reconnectPeriod: 0 });
  cloud.on("message", (_t, p) => acks.push(JSON.parse(p.toString()) as AckMessage));
  await cloud.subscribeAsync(topics.cmdAck(THING), { qos: 1 });
  link = newLink();
  expect(link.publishEvent("door", {})).toBe(false);
  await connect(link);
});

afterAll(async () => {
  await link?.stop();
  await cloud?.endAsync();
  await broker?.stop();
});

it("rejects commands while no handler is registered", async () => {
  const c = command("scan_now");
  await cloud.publishAsync(topics.cmd(THING), c.payload, { qos: 1 });
  expect(await waitForAck(c.id, "rejected")).toMatchObject({ detail: "no command handler" });
});

it("runs a redelivered command once and repeats its outcome", async () => {
  link.onCommand(async (cmd) => {
    calls += 1;
    if (cmd.command === "unlock") throw new Error("relay stuck");
    return { status: "done", detail: "ok" };
  });
  const c = command("sync_now");
  await cloud.publishAsync(topics.cmd(THING), c.payload, { qos: 1 });
  await waitForAck(c.id, "done");
  await cloud.publishAsync(topics.cmd(THING), c.payload, { qos: 1 });
  await waitFor(() => acks.filter((a) => a.id === c.id && a.status === "done").length === 2, {
    what: "the repeated outcome",
    timeoutMs: 2000,
  });
  expect(calls).toBe(1);
  expect(acks.filter((a) => a.id === c.id).map((a) => a.status)).toEqual(["accepted", "done", "done"]);
});

it("reports a throwing handler as failed", async () => {
  const c = command("unlock");
  await cloud.publishAsync(topics.cmd(THING), c.payload, { qos: 1 });
  expect(await waitForAck(c.id, "failed")).toMatchObject({ detail: "relay stuck" });
});

it("rejects a stale command instead of running it late", async () => {
  const before = calls;
  const c = command("unlock", new Date(Date.now() - 60 * 60_000));
  await cloud.publishAsync(topics.cmd(THING), c.payload, { qos: 1 });
  expect(await waitForAck(c.id, "rejected")).toMatchObject({ detail: "refused: expired" });
  expect(calls).toBe(before);
});

it("refuses a replay after a restart: the command ids it ran are in SQLite", async () => {
  const before = calls;
  const c = command("sync_now");
  await cloud.publishAsync(topics.cmd(THING), c.payload, { qos: 1 });
  await waitForAck(c.id, "done");
  // A new link on the same database is what the cabinet is after a restart.
  await link.stop();
  link = newLink();
  link.onCommand(async () => {
    calls += 1;
    return { status: "done" };
  });
  await connect(link);
  await cloud.publishAsync(topics.cmd(THING), c.payload, { qos: 1 });
  expect(await waitForAck(c.id, "rejected")).toMatchObject({ detail: "refused: replayed" });
  expect(calls).toBe(before + 1);
});

it("does not let a forged command with a genuine command's id spoil the genuine one", async () => {
  const before = calls;
  const id = randomUUID();
  const forged = JSON.stringify({
    id,
    command: "sync_now",
    issued_at: new Date().toISOString(),
    thing: THING,
  });
  await cloud.publishAsync(topics.cmd(THING), forged, { qos: 1 });
  expect(await waitForAck(id, "rejected")).toMatchObject({ detail: "refused: unsigned" });
  await cloud.publishAsync(topics.cmd(THING), command("sync_now", new Date(), id).payload, { qos: 1 });
  await waitForAck(id, "done");
  expect(calls).toBe(before + 1);
});

it("keeps retrying with backoff while its credentials are refused", async () => {
  const bad = new DeviceLink({
    url: broker.url,
    thingName: THING,
    token: "wrong",
    dataDir: tmpdir(),
    logger: silentLogger,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    guard: key.guard(THING),
  });
  const before = refusedLogins;
  await bad.start();
  await waitFor(() => refusedLogins >= before + 3, { what: "three refused logins", timeoutMs: 5000 });
  expect(bad.connected).toBe(false);
  await bad.stop();
  // The real device was not disturbed by the impostor.
  expect(link.connected).toBe(true);
});
