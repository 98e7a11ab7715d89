// Device provisioning on an external Mosquitto with the dynamic security plugin, through its MQTT
// control API ($CONTROL/dynamic-security/v1). Each device gets a dynsec client (username = client id =
// thing name, password = token) holding a role whose ACLs admit exactly that device's topics.
//
// The account used here carries every device token in its requests: point it at a TLS listener
// (mqtts://) in production. The dynsec admin is only needed once, by `lilo cloud mqtt-setup`, to create
// the cloud's own account (ensureServiceAccount); the running cloud uses that one. See
// mosquitto.conf.example for the broker side.
import { randomUUID } from "node:crypto";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../../shared/logger.js";
import {
  DEVICE_PUBLISH_CHANNELS,
  DEVICE_SUBSCRIBE_CHANNELS,
  isValidThingName,
  TOPIC_ROOT,
  topicFor,
} from "../../shared/mqtt/topics.js";
import type { BrokerDevice, BrokerProvisioner } from "./provisioning.js";

const CONTROL_TOPIC = "$CONTROL/dynamic-security/v1";
const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;

export type DynsecAclType =
  | "publishClientSend"
  | "publishClientReceive"
  | "subscribeLiteral"
  | "subscribePattern"
  | "unsubscribeLiteral"
  | "unsubscribePattern";

export interface DynsecAcl {
  acltype: DynsecAclType;
  topic: string;
  allow: boolean;
  /** Higher priorities are checked first. */
  priority?: number;
}

export interface DynsecCommand {
  command: string;
  [field: string]: unknown;
}

export interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
  correlationData?: string;
}

export class DynsecError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`mosquitto dynsec ${command} failed: ${reason}`);
    this.name = "DynsecError";
  }
}

export interface MosquittoProvisionerOptions {
  /** The Mosquitto broker (MQTT_URL). */
  url: string;
  /** A dynsec admin (the one made by `mosquitto_ctrl dynsec init`). */
  username: string;
  password: string;
  logger: Logger;
  /** Default 5 s per request. */
  requestTimeoutMs?: number;
  mqttOptions?: Partial<IClientOptions>;
}

export interface ServiceAccountOptions {
  username: string;
  password: string;
  /** Share group the gateway uses; default lilo-cloud. */
  shareGroup?: string;
  /** Default lilo-cloud. */
  rolename?: string;
}

/**
 * What the cloud's account may do: receive every cabinet's reports, send commands, and (for device
 * add/remove) use the dynsec control topic. Nothing else: no `#`, no `$SYS`, no publishing as a device.
 * Mosquitto cannot narrow `$CONTROL/dynamic-security` to some commands, so whoever holds this account
 * can still run any dynsec command (including granting itself more): it is an administrator of the
 * broker's users in effect, and its password belongs with the cloud's other secrets.
 */
export function serviceRoleAcls(shareGroup: string): DynsecAcl[] {
  return [
    { acltype: "publishClientSend", topic: `${TOPIC_ROOT}/+/cmd`, allow: true },
    { acltype: "subscribePattern", topic: `${TOPIC_ROOT}/+/presence`, allow: true },
    { acltype: "subscribePattern", topic: `${TOPIC_ROOT}/+/telemetry`, allow: true },
    { acltype: "subscribePattern", topic: `${TOPIC_ROOT}/+/events`, allow: true },
    { acltype: "subscribePattern", topic: `${TOPIC_ROOT}/+/cmd/ack`, allow: true },
    { acltype: "subscribePattern", topic: `$share/${shareGroup}/${TOPIC_ROOT}/#`, allow: true },
    { acltype: "publishClientReceive", topic: `${TOPIC_ROOT}/#`, allow: true },
    { acltype: "publishClientSend", topic: CONTROL_TOPIC, allow: true },
    { acltype: "subscribeLiteral", topic: RESPONSE_TOPIC, allow: true },
    { acltype: "publishClientReceive", topic: RESPONSE_TOPIC, allow: true },
  ];
}

export function deviceRoleName(thing: string): string {
  return `lilo-device-${thing}`;
}

/** Exactly the device's own topics: publish presence/telemetry/events/acks, receive its commands. */
export function deviceRoleAcls(thing: string): DynsecAcl[] {
  if (!isValidThingName(thing)) throw new Error(`invalid thing name: ${JSON.stringify(thing)}`);
  const acls: DynsecAcl[] = DEVICE_PUBLISH_CHANNELS.map((c) => ({
    acltype: "publishClientSend",
    topic: topicFor(thing, c),
    allow: true,
  }));
  for (const c of DEVICE_SUBSCRIBE_CHANNELS) {
    acls.push({ acltype: "subscribeLiteral", topic: topicFor(thing, c), allow: true });
    acls.push({ acltype: "publishClientReceive", topic: topicFor(thing, c), allow: true, priority: 10 });
  }
  // The broker default lets clients receive anything they are subscribed to; deny it for devices so that
  // a mistake in the subscribe ACLs cannot leak other devices' traffic.
  acls.push({ acltype: "publishClientReceive", topic: "#", allow: false, priority: 0 });
  return acls;
}

const isMissing = (err: unknown) => err instanceof DynsecError && /not found/i.test(err.reason);
const isDuplicate = (err: unknown) => err instanceof DynsecError && /exist/i.test(err.reason);

interface Outstanding {
  expected: number;
  responses: (DynsecResponse | undefined)[];
  resolve: (r: DynsecResponse[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class MosquittoProvisioner implements BrokerProvisioner {
  private client: MqttClient | undefined;
  private readonly outstanding = new Map<string, Outstanding>();
  // One request at a time: responses carrying no correlation data can then only belong to it.
  private queue: Promise<unknown> = Promise.resolve();
  private readonly logger: Logger;

  constructor(private readonly opts: MosquittoProvisionerOptions) {
    this.logger = opts.logger.child({ component: "mosquitto-provisioner" });
  }

  async start(): Promise<void> {
    if (this.client) throw new Error("provisioner already started");
    const client = await mqtt.connectAsync(this.opts.url, {
      ...this.opts.mqttOptions,
      clientId: `lilo-provisioner-${randomUUID().slice(0, 8)}`,
      username: this.opts.username,
      password: this.opts.password,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
    });
    this.client = client;
    client.on("message", (topic, payload) => {
      if (topic === RESPONSE_TOPIC) this.onResponse(payload);
    });
    client.on("error", (err) => this.logger.warn({ err: err.message }, "mosquitto admin link error"));
    const granted = await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
    if (granted.some((g) => g.qos === 128)) {
      await this.stop();
      throw new Error(`${this.opts.username} may not subscribe to ${RESPONSE_TOPIC}; is it a dynsec admin?`);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const o of this.outstanding.values()) {
      clearTimeout(o.timer);
      o.reject(new Error("mosquitto provisioner stopped"));
    }
    this.outstanding.clear();
    if (client) await client.endAsync().catch(() => client.end(true));
  }

  /** Sends one batch; resolves with one response per command (errors included, not thrown). */
  execute(commands: DynsecCommand[]): Promise<DynsecResponse[]> {
    const run = () => this.send(commands);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async addDevice(identity: BrokerDevice, token: string): Promise<void> {
    const thing = identity.thing_name;
    const rolename = deviceRoleName(thing);
    // Re-provisioning replaces the device wholesale so that stale ACLs cannot survive.
    await this.tolerate(isMissing, [
      { command: "deleteClient", username: thing },
      { command: "deleteRole", rolename },
    ]);
    await this.strict([
      {
        command: "createRole",
        rolename,
        textname: `L.I.L.O. device ${thing}`,
      },
      ...deviceRoleAcls(thing).map((acl) => ({ command: "addRoleACL", rolename, priority: 0, ...acl })),
      {
        command: "createClient",
        username: thing,
        password: token,
        // Mosquitto then refuses this username under any other client id.
        clientid: thing,
        textname: `device ${identity.device_id}`,
        textdescription: `org ${identity.org_id}`,
        roles: [{ rolename, priority: 0 }],
      },
    ]);
    this.logger.info({ thing, device_id: identity.device_id }, "device provisioned on mosquitto");
  }

  /** Deletes the device's client (Mosquitto disconnects it) and its role. */
  async revokeDevice(thing: string): Promise<void> {
    await this.tolerate(isMissing, [
      { command: "deleteClient", username: thing },
      { command: "deleteRole", rolename: deviceRoleName(thing) },
    ]);
    this.logger.info({ thing }, "device revoked on mosquitto");
  }

  /** Suspends a device without forgetting it (Mosquitto disconnects it); enableDevice undoes it. */
  async disableDevice(thing: string): Promise<void> {
    await this.strict([{ command: "disableClient", username: thing }]);
  }

  async enableDevice(thing: string): Promise<void> {
    await this.strict([{ command: "enableClient", username: thing }]);
  }

  async rotateDevice(thing: string, token: string): Promise<void> {
    await this.strict([{ command: "setClientPassword", username: thing, password: token }]);
    this.logger.info({ thing }, "device token rotated on mosquitto");
  }

  /**
   * Creates (or updates the password of) the cloud gateway's account with exactly serviceRoleAcls.
   * Run as the dynsec admin, once at setup; the role is rebuilt so that older, wider ACLs do not stay.
   */
  async ensureServiceAccount(account: ServiceAccountOptions): Promise<void> {
    const rolename = account.rolename ?? "lilo-cloud";
    const group = account.shareGroup ?? "lilo-cloud";
    await this.tolerate(isDuplicate, [
      { command: "createRole", rolename, textname: "L.I.L.O. cloud gateway" },
    ]);
    const [role] = await this.strict([{ command: "getRole", rolename }]);
    const existing = ((role?.data as { role?: { acls?: DynsecAcl[] } })?.role?.acls ?? []).map((a) => ({
      command: "removeRoleACL",
      rolename,
      acltype: a.acltype,
      topic: a.topic,
    }));
    await this.strict([
      ...existing,
      ...serviceRoleAcls(group).map((acl) => ({ command: "addRoleACL", rolename, priority: 0, ...acl })),
    ]);
    try {
      await this.strict([
        {
          command: "createClient",
          username: account.username,
          password: account.password,
          roles: [{ rolename, priority: 0 }],
        },
      ]);
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      // An existing account keeps exactly this one role: whatever else it was given goes.
      await this.strict([
        {
          command: "modifyClient",
          username: account.username,
          password: account.password,
          roles: [{ rolename, priority: 0 }],
        },
      ]);
    }
  }

  private async strict(commands: DynsecCommand[]): Promise<DynsecResponse[]> {
    const responses = await this.execute(commands);
    const failed = responses.find((r) => r.error);
    if (failed) throw new DynsecError(failed.command, failed.error!);
    return responses;
  }

  /** Runs every command; errors that `ok` accepts are logged at debug, others thrown. */
  private async tolerate(ok: (err: unknown) => boolean, commands: DynsecCommand[]): Promise<void> {
    const responses = await this.execute(commands);
    for (const r of responses) {
      if (!r.error) continue;
      const err = new DynsecError(r.command, r.error);
      if (!ok(err)) throw err;
      this.logger.debug({ command: r.command, reason: r.error }, "dynsec error tolerated");
    }
  }

  private send(commands: DynsecCommand[]): Promise<DynsecResponse[]> {
    const client = this.client;
    if (!client) return Promise.reject(new Error("mosquitto provisioner not started"));
    if (commands.length === 0) return Promise.resolve([]);
    const requestId = randomUUID();
    const timeoutMs = this.opts.requestTimeoutMs ?? 5000;
    return new Promise<DynsecResponse[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.outstanding.delete(requestId);
        reject(new Error(`mosquitto dynsec: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.outstanding.set(requestId, {
        expected: commands.length,
        responses: [],
        resolve,
        reject,
        timer,
      });
      const payload = JSON.stringify({
        commands: commands.map((c, i) => ({ ...c, correlationData: `${requestId}:${i}` })),
      });
      client.publishAsync(CONTROL_TOPIC, payload, { qos: 1 }).catch((err: Error) => {
        clearTimeout(timer);
        this.outstanding.delete(requestId);
        reject(err);
      });
    });
  }

  private onResponse(payload: Buffer): void {
    let body: { responses?: DynsecResponse[] };
    try {
      body = JSON.parse(payload.toString()) as { responses?: DynsecResponse[] };
    } catch {
      this.logger.warn("unparseable dynsec response");
      return;
    }
    for (const [index, r] of (body.responses ?? []).entries()) {
      const [requestId, slot] = (r.correlationData ?? "").split(":");
      // Another admin's response (several cloud instances share the topic) is not ours to take.
      const o = requestId ? this.outstanding.get(requestId) : this.outstanding.values().next().value;
      if (!o) continue;
      o.responses[slot !== undefined ? Number(slot) : index] = r;
      const id = requestId ?? [...this.outstanding.keys()][0]!;
      if (o.responses.filter(Boolean).length >= o.expected) {
        clearTimeout(o.timer);
        this.outstanding.delete(id);
        o.resolve(o.responses.map((x, i) => x ?? { command: `#${i}`, error: "no response" }));
      }
    }
  }
}
