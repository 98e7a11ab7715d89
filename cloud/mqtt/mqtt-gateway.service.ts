// The cloud's MQTT client: feeds presence, telemetry, live events and command acks of every cabinet
// into the injected FleetSink and sends commands to cabinets.
import { randomUUID } from "node:crypto";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { SignableCommand } from "../../shared/commands/command-signature.js";
import type { Logger } from "../../shared/logger.js";
import {
  AckMessage,
  type Channel,
  CommandMessage,
  type CommandName,
  decodeMessage,
  EventMessage,
  encodeMessage,
  isFinalAckStatus,
  isValidThingName,
  PresenceMessage,
  type PresenceStatus,
  parseTopic,
  sharedFilter,
  TelemetryMessage,
  topics,
} from "../../shared/mqtt/topics.js";

/**
 * Where the gateway delivers what cabinets report. Calls for one thing arrive in order. With several
 * cloud instances, presence/telemetry/events reach one instance each (shared subscription), but every
 * instance sees every ack, so `ack` must be idempotent on (thing, id, status); `presence` may also see
 * replays of the retained state, so it should ignore an `at` older than the one it stored.
 *
 * Times (`at`, `receivedAt`) are the cloud's: a cabinet has no real-time clock, and a device-reported
 * time in the future would otherwise freeze its presence (older reports never win).
 */
export interface FleetSink {
  presence(thing: string, status: PresenceStatus, at: string): void | Promise<void>;
  telemetry(thing: string, metrics: TelemetryMessage, receivedAt: Date): void | Promise<void>;
  event(thing: string, event: EventMessage, receivedAt: Date): void | Promise<void>;
  ack(thing: string, ack: AckMessage): void | Promise<void>;
}

export interface MqttGatewayOptions {
  /** mqtt://host:port of the embedded broker or of MQTT_URL. */
  url: string;
  username: string;
  password: string;
  sink: FleetSink;
  logger: Logger;
  /**
   * Share group for presence/telemetry/events (`$share/<group>/...`) so that several cloud instances
   * split the load. Leave unset on brokers without shared subscriptions (aedes).
   */
  shareGroup?: string;
  /** Default `lilo-cloud-<random>`; must be unique per instance. */
  clientId?: string;
  /** How long sendCommand waits for the final ack. Default 15 s. */
  commandTimeoutMs?: number;
  /** How long start() waits for the first connection. Default 10 s. */
  connectTimeoutMs?: number;
  /** Delay between reconnect attempts. Default 1 s. */
  reconnectPeriodMs?: number;
  /** Extra mqtt.js options: the CA of an mqtts:// broker with a private certificate. */
  mqttOptions?: Partial<IClientOptions>;
}

export interface SendCommandOptions {
  params?: Record<string, unknown>;
  issuedBy?: string;
  /** The people who approved it (a remote unlock on a dual-approval cabinet needs two). */
  approvedBy?: string[];
  /** Signs the command with its organization's key; cabinets refuse unsigned commands. */
  sign: (cmd: SignableCommand) => Promise<string>;
}

export class CommandTimeoutError extends Error {
  constructor(
    readonly thing: string,
    readonly command: string,
    readonly id: string,
    readonly timeoutMs: number,
    readonly accepted: boolean,
  ) {
    super(
      `command ${command} (${id}) to ${thing}: no final ack within ${timeoutMs} ms` +
        (accepted ? " (the device accepted it)" : " (the device never acknowledged it)"),
    );
    this.name = "CommandTimeoutError";
  }
}

export class MqttNotConnectedError extends Error {
  constructor(thing: string, command: string) {
    super(`command ${command} to ${thing}: the cloud is not connected to the MQTT broker`);
    this.name = "MqttNotConnectedError";
  }
}

interface Pending {
  thing: string;
  command: string;
  accepted: boolean;
  resolve: (ack: AckMessage) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class MqttGateway {
  private client: MqttClient | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly logger: Logger;

  constructor(private readonly opts: MqttGatewayOptions) {
    this.logger = opts.logger.child({ component: "mqtt-gateway" });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    if (this.client) throw new Error("gateway already started");
    const client = mqtt.connect(this.opts.url, {
      ...this.opts.mqttOptions,
      clientId: this.opts.clientId ?? `lilo-cloud-${randomUUID().slice(0, 8)}`,
      username: this.opts.username,
      password: this.opts.password,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: this.opts.reconnectPeriodMs ?? 1000,
      connectTimeout: 5000,
      // Subscriptions are made on every connect (below); mqtt.js's own resubscribe would duplicate them.
      resubscribe: false,
      reconnectOnConnackError: true,
    });
    this.client = client;
    client.on("message", (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    client.on("error", (err) => this.logger.warn({ err: err.message }, "mqtt gateway error"));
    client.on("offline", () => this.logger.warn("mqtt gateway offline, reconnecting"));

    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no MQTT connection to ${this.opts.url} within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      client.on("connect", () => {
        // A broker restart (or a broker without persistent sessions) forgets subscriptions: renew them
        // on every connect, not only the first.
        this.subscribeAll(client).then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (err: Error) => this.logger.error({ err: err.message }, "mqtt gateway subscribe failed"),
        );
      });
    });
    try {
      await ready;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`command ${p.command} (${id}) to ${p.thing}: gateway stopped`));
    }
    this.pending.clear();
    if (client) await client.endAsync(false).catch(() => client.end(true));
  }

  /**
   * Sends a command and resolves with the device's final ack (done, rejected or failed). Rejects with
   * CommandTimeoutError when no final ack arrives in time, MqttNotConnectedError when offline.
   */
  async sendCommand(thing: string, command: CommandName, opts: SendCommandOptions): Promise<AckMessage> {
    if (!isValidThingName(thing)) throw new Error(`invalid thing name: ${JSON.stringify(thing)}`);
    const client = this.client;
    if (!client?.connected) throw new MqttNotConnectedError(thing, command);
    const id = randomUUID();
    const { params, issuedBy, approvedBy } = opts;
    const unsigned = {
      id,
      command,
      ...(params ? { params } : {}),
      issued_at: new Date().toISOString(),
      ...(issuedBy ? { issued_by: issuedBy } : {}),
      thing,
      ...(approvedBy ? { approved_by: approvedBy } : {}),
    };
    const payload = encodeMessage(CommandMessage, { ...unsigned, sig: await opts.sign(unsigned) });
    const timeoutMs = this.opts.commandTimeoutMs ?? 15_000;
    const result = new Promise<AckMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.pending.get(id);
        this.pending.delete(id);
        reject(new CommandTimeoutError(thing, command, id, timeoutMs, p?.accepted ?? false));
      }, timeoutMs);
      this.pending.set(id, { thing, command, accepted: false, resolve, reject, timer });
    });
    try {
      await client.publishAsync(topics.cmd(thing), payload, { qos: 1 });
    } catch (err) {
      const p = this.pending.get(id);
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(id);
      }
      throw err;
    }
    this.logger.info({ thing, command, id, issued_by: issuedBy }, "command sent");
    return result;
  }

  private get connectTimeoutMs(): number {
    return this.opts.connectTimeoutMs ?? 10_000;
  }

  private async subscribeAll(client: MqttClient): Promise<void> {
    const group = this.opts.shareGroup;
    const shared = (channel: Channel) => {
      const filter = topics.allDevices(channel);
      return group ? sharedFilter(group, filter) : filter;
    };
    // Acks are not shared: the instance that sent a command must see its ack.
    const filters = {
      [shared("presence")]: { qos: 1 as const },
      [shared("telemetry")]: { qos: 0 as const },
      [shared("events")]: { qos: 1 as const },
      [topics.allDevices("cmd/ack")]: { qos: 1 as const },
    };
    const granted = await client.subscribeAsync(filters);
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length > 0) throw new Error(`subscriptions refused: ${refused.join(", ")}`);
    this.logger.info({ filters: Object.keys(filters) }, "mqtt gateway subscribed");
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.channel === "cmd") {
      this.logger.warn({ topic }, "mqtt message on unexpected topic, dropped");
      return;
    }
    const { thing, channel } = parsed;
    const log = this.logger;
    const receivedAt = new Date();
    switch (channel) {
      case "presence": {
        const msg = decodeMessage(PresenceMessage, payload, log, topic);
        if (!msg) return;
        // A live report happens now, by the cloud's clock (a last will carries the time the device
        // connected, and the device's clock is not to be trusted anyway). A retained replay is older
        // than anything live: it keeps its own time, but never one later than now, so that a device
        // claiming a future time cannot make its stored presence win over every later report.
        const at = retained ? new Date(Math.min(Date.parse(msg.at), receivedAt.getTime())) : receivedAt;
        this.deliver(thing, "presence", () => this.opts.sink.presence(thing, msg.status, at.toISOString()));
        return;
      }
      case "telemetry": {
        const msg = decodeMessage(TelemetryMessage, payload, log, topic);
        if (msg) this.deliver(thing, "telemetry", () => this.opts.sink.telemetry(thing, msg, receivedAt));
        return;
      }
      case "events": {
        const msg = decodeMessage(EventMessage, payload, log, topic);
        if (msg) this.deliver(thing, "event", () => this.opts.sink.event(thing, msg, receivedAt));
        return;
      }
      case "cmd/ack": {
        const msg = decodeMessage(AckMessage, payload, log, topic);
        if (!msg) return;
        this.settle(thing, msg);
        this.deliver(thing, "ack", () => this.opts.sink.ack(thing, msg));
        return;
      }
    }
  }

  private settle(thing: string, ack: AckMessage): void {
    const p = this.pending.get(ack.id);
    // The id is a UUID we generated, but a device must not settle another device's command.
    if (!p || p.thing !== thing) return;
    if (!isFinalAckStatus(ack.status)) {
      p.accepted = true;
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(ack.id);
    p.resolve(ack);
  }

  /** Runs sink calls for one thing in arrival order; a failing sink is logged, never fatal. */
  private deliver(thing: string, kind: string, call: () => void | Promise<void>): void {
    const previous = this.chains.get(thing) ?? Promise.resolve();
    const next = previous
      .then(call)
      .catch((err: unknown) => this.logger.error({ err, thing, kind }, "fleet sink failed"));
    this.chains.set(thing, next);
    void next.then(() => {
      if (this.chains.get(thing) === next) this.chains.delete(thing);
    });
  }
}
