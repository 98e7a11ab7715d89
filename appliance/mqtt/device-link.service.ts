// The cabinet's live link to the cloud over MQTT: presence (with a last will so the cloud learns of an
// abrupt loss within seconds), heartbeat telemetry, live events and remote commands. Nothing here is
// durable: the appliance works offline and its records reach the cloud through HTTP sync.
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../../shared/logger.js";
import {
  AckMessage,
  type AckStatus,
  CommandEnvelope,
  type CommandMessage,
  decodeMessage,
  EventMessage,
  encodeMessage,
  isCommandName,
  isValidThingName,
  PresenceMessage,
  type PresenceStatus,
  TelemetryMessage,
  topics,
} from "../../shared/mqtt/topics.js";
import type { CommandAdmission } from "./command-guard.js";
import { SystemMetrics, type SystemSample } from "./system-metrics.js";

export interface CommandResult {
  status: "done" | "rejected" | "failed";
  detail?: string;
}

export type CommandHandler = (cmd: CommandMessage) => Promise<CommandResult>;

export interface MetricsSource {
  sample(): Promise<SystemSample>;
}

export interface DeviceLinkOptions {
  /** mqtt://host:port (or mqtts://) of the cloud's broker. */
  url: string;
  thingName: string;
  /** The per-device secret issued at provisioning; sent as the MQTT password. */
  token: string;
  /** Filesystem whose usage is reported in telemetry. */
  dataDir: string;
  logger: Logger;
  /** Heartbeat telemetry period. Default 60 s. */
  telemetryIntervalMs?: number;
  /** MQTT keepalive; a silent half-open link is declared dead after 1.5×. Default 15 s. */
  keepaliveSeconds?: number;
  /** Reconnect backoff bounds. Defaults 1 s and 60 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * Decides whether a command may run (signature, addressee, issue time by the cloud's clock, replay):
   * a command it refuses is answered `rejected` and never reaches the handler.
   */
  guard: CommandAdmission;
  /** Default: the real machine (SystemMetrics on dataDir). */
  metrics?: MetricsSource;
  /** Extra mqtt.js options (TLS material, etc.). */
  mqttOptions?: Partial<IClientOptions>;
}

type ConnectionListener = (connected: boolean) => void;

/** Command ids remembered so that a QoS 1 redelivery is not executed twice. */
const RECENT_COMMANDS = 200;

export class DeviceLink {
  private client: MqttClient | undefined;
  private handler: CommandHandler | undefined;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private stopping = false;
  private readonly recent = new Map<string, AckMessage | null>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private readonly metrics: MetricsSource;
  private readonly logger: Logger;

  constructor(private readonly opts: DeviceLinkOptions) {
    this.logger = opts.logger.child({ component: "device-link" });
    this.metrics = opts.metrics ?? new SystemMetrics({ dataDir: opts.dataDir });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Replaces the command handler; returns a function that removes it. */
  onCommand(handler: CommandHandler): () => void {
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = undefined;
    };
  }

  onConnectionChange(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /** Starts connecting in the background; the appliance must not wait for the network. */
  async start(): Promise<void> {
    if (this.client) throw new Error("device link already started");
    const thing = this.opts.thingName;
    if (!isValidThingName(thing)) throw new Error(`invalid thing name: ${JSON.stringify(thing)}`);
    this.stopping = false;
    const client = mqtt.connect(this.opts.url, {
      ...this.opts.mqttOptions,
      clientId: thing,
      username: thing,
      password: this.opts.token,
      protocolVersion: 4,
      clean: true,
      keepalive: this.opts.keepaliveSeconds ?? 15,
      connectTimeout: 10_000,
      // Reconnects are scheduled here with exponential backoff; mqtt.js only knows a fixed period.
      reconnectPeriod: 0,
      resubscribe: false,
      will: this.will(),
    });
    this.client = client;
    client.on("connect", () => this.onConnect(client));
    client.on("message", (topic, payload) => {
      if (topic === topics.cmd(thing)) void this.onCommandMessage(topic, payload);
    });
    client.on("close", () => this.onClose(client));
    client.on("error", (err) => this.logger.warn({ err: err.message }, "mqtt link error"));
    this.telemetryTimer = setInterval(
      () => void this.publishTelemetry(),
      this.opts.telemetryIntervalMs ?? 60_000,
    );
    this.telemetryTimer.unref();
  }

  /** Announces offline and disconnects cleanly (so the broker does not also fire the last will). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.telemetryTimer);
    clearTimeout(this.reconnectTimer);
    this.telemetryTimer = undefined;
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      try {
        await withTimeout(this.publishPresence(client, "offline"), 2000);
        await withTimeout(client.endAsync(false), 2000);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, "clean mqtt shutdown failed");
        client.end(true);
      }
    } else {
      client.end(true);
    }
    this.notify(false);
  }

  /**
   * Publishes a live event. Returns false when it was dropped because the link is down: live events
   * are not queued, the durable copy travels through HTTP sync.
   */
  publishEvent(type: string, data: Record<string, unknown> = {}): boolean {
    const client = this.client;
    if (!client?.connected) return false;
    let payload: string;
    try {
      payload = encodeMessage(EventMessage, { type, at: new Date().toISOString(), data });
    } catch (err) {
      this.logger.warn({ type, err: (err as Error).message }, "invalid live event, dropped");
      return false;
    }
    client.publish(topics.events(this.opts.thingName), payload, { qos: 1 }, (err) => {
      if (err) this.logger.debug({ type, err: err.message }, "live event not delivered");
    });
    return true;
  }

  /** Samples the machine and publishes one telemetry message now; false when the link is down. */
  async publishTelemetry(): Promise<boolean> {
    const client = this.client;
    if (!client?.connected) return false;
    try {
      const sample = await this.metrics.sample();
      const payload = encodeMessage(TelemetryMessage, { ...sample, at: new Date().toISOString() });
      await client.publishAsync(topics.telemetry(this.opts.thingName), payload, { qos: 0 });
      return true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "telemetry not published");
      return false;
    }
  }

  private will(): IClientOptions["will"] {
    return {
      topic: topics.presence(this.opts.thingName),
      payload: Buffer.from(presencePayload("offline")),
      qos: 1,
      retain: true,
    };
  }

  private async onConnect(client: MqttClient): Promise<void> {
    this.attempts = 0;
    this.logger.info({ url: this.opts.url }, "mqtt link connected");
    try {
      await client.subscribeAsync(topics.cmd(this.opts.thingName), { qos: 1 });
      await this.publishPresence(client, "online");
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "mqtt link setup failed");
      return;
    }
    this.notify(true);
    void this.publishTelemetry();
  }

  private onClose(client: MqttClient): void {
    if (this.client !== client) return;
    this.notify(false);
    if (this.stopping || this.reconnectTimer) return;
    const min = this.opts.reconnectMinMs ?? 1000;
    const max = this.opts.reconnectMaxMs ?? 60_000;
    const base = Math.min(max, min * 2 ** Math.min(this.attempts, 16));
    // Jitter keeps a fleet that lost the broker at the same moment from reconnecting in lockstep.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempts += 1;
    this.logger.info({ delay_ms: delay, attempt: this.attempts }, "mqtt link down, reconnecting");
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopping || this.client !== client) return;
      client.options.will = this.will();
      client.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async publishPresence(client: MqttClient, status: PresenceStatus): Promise<void> {
    await client.publishAsync(topics.presence(this.opts.thingName), presencePayload(status), {
      qos: 1,
      retain: true,
    });
  }

  private notify(connected: boolean): void {
    for (const listener of this.connectionListeners) {
      try {
        listener(connected);
      } catch (err) {
        this.logger.error({ err }, "connection listener failed");
      }
    }
  }

  private async onCommandMessage(topic: string, payload: Buffer): Promise<void> {
    const cmd = decodeMessage(CommandEnvelope, payload, this.logger, topic);
    if (!cmd) return;
    if (this.recent.has(cmd.id)) {
      // A redelivery: repeat the outcome if known, never run the command twice.
      const final = this.recent.get(cmd.id);
      if (final) await this.sendAck(final);
      return;
    }
    const log = this.logger.child({ command: cmd.command, id: cmd.id });
    const verdict = this.opts.guard.admit(cmd);
    if (!verdict.ok) {
      // Not remembered: a forged command must not poison the answer to a genuine one with its id.
      log.warn({ reason: verdict.reason, issued_by: cmd.issued_by }, "remote command refused");
      await this.sendAck({
        id: cmd.id,
        status: "rejected",
        detail: `refused: ${verdict.reason}`,
        at: new Date().toISOString(),
      });
      return;
    }
    this.remember(cmd.id, null);

    const reject = (detail: string) => this.finish(cmd.id, { status: "rejected", detail }, log);
    if (!isCommandName(cmd.command)) return reject(`unknown command: ${cmd.command}`);
    const handler = this.handler;
    if (!handler) return reject("no command handler");

    await this.sendAck({ id: cmd.id, status: "accepted", at: new Date().toISOString() });
    log.info({ issued_by: cmd.issued_by }, "remote command accepted");
    let result: CommandResult;
    try {
      result = await handler({ ...cmd, command: cmd.command, thing: cmd.thing!, sig: cmd.sig! });
    } catch (err) {
      result = { status: "failed", detail: (err as Error).message ?? String(err) };
    }
    await this.finish(cmd.id, result, log);
  }

  private async finish(id: string, result: CommandResult, log: Logger): Promise<void> {
    const ack: AckMessage = {
      id,
      status: result.status,
      ...(result.detail !== undefined ? { detail: result.detail.slice(0, 1024) } : {}),
      at: new Date().toISOString(),
    };
    this.remember(id, ack);
    log.info({ status: result.status, detail: result.detail }, "remote command finished");
    await this.sendAck(ack);
  }

  private remember(id: string, ack: AckMessage | null): void {
    this.recent.delete(id);
    this.recent.set(id, ack);
    while (this.recent.size > RECENT_COMMANDS) {
      const oldest = this.recent.keys().next().value;
      if (oldest === undefined) break;
      this.recent.delete(oldest);
    }
  }

  private async sendAck(ack: AckMessage): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.publishAsync(topics.cmdAck(this.opts.thingName), encodeMessage(AckMessage, ack), {
        qos: 1,
      });
    } catch (err) {
      this.logger.warn(
        { id: ack.id, status: ack.status as AckStatus, err: (err as Error).message },
        "ack lost",
      );
    }
  }
}

function presencePayload(status: PresenceStatus): string {
  return encodeMessage(PresenceMessage, { status, at: new Date().toISOString() });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
