// The MQTT contract between cabinets and the cloud: topic names, who may use which topic, and the
// schema of every payload. Both sides import this file so that a change to the wire format is one edit.
import { z } from "zod";
import type { Logger } from "../logger.js";

export const TOPIC_ROOT = "lilo";

/**
 * Thing names become topic levels and broker usernames, so the wildcard characters, `/` and `$` must
 * never appear in them.
 */
export const THING_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function isValidThingName(thing: string): boolean {
  return THING_NAME_PATTERN.test(thing);
}

function assertThing(thing: string): string {
  if (!isValidThingName(thing)) throw new Error(`invalid thing name: ${JSON.stringify(thing)}`);
  return thing;
}

export const CHANNELS = ["presence", "telemetry", "events", "cmd", "cmd/ack"] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a device may publish; everything else is denied by both brokers. */
export const DEVICE_PUBLISH_CHANNELS = ["presence", "telemetry", "events", "cmd/ack"] as const;
/** What a device may subscribe to (exact topic, no wildcards). */
export const DEVICE_SUBSCRIBE_CHANNELS = ["cmd"] as const;

export function topicFor(thing: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${assertThing(thing)}/${channel}`;
}

export const topics = {
  presence: (thing: string) => topicFor(thing, "presence"),
  telemetry: (thing: string) => topicFor(thing, "telemetry"),
  events: (thing: string) => topicFor(thing, "events"),
  cmd: (thing: string) => topicFor(thing, "cmd"),
  cmdAck: (thing: string) => topicFor(thing, "cmd/ack"),
  /** The filter matching one channel of every device. */
  allDevices: (channel: Channel) => `${TOPIC_ROOT}/+/${channel}`,
};

/** Prefixes a filter so that one member of a group of cloud instances gets each message. */
export function sharedFilter(group: string, filter: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(group)) throw new Error(`invalid share group: ${group}`);
  return `$share/${group}/${filter}`;
}

export interface ParsedTopic {
  thing: string;
  channel: Channel;
}

export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split("/");
  if (parts[0] !== TOPIC_ROOT || parts.length < 3 || parts.length > 4) return null;
  const thing = parts[1]!;
  const channel = parts.slice(2).join("/");
  if (!isValidThingName(thing) || !(CHANNELS as readonly string[]).includes(channel)) return null;
  return { thing, channel: channel as Channel };
}

export function devicePublishTopics(thing: string): string[] {
  return DEVICE_PUBLISH_CHANNELS.map((c) => topicFor(thing, c));
}

export function deviceSubscribeTopics(thing: string): string[] {
  return DEVICE_SUBSCRIBE_CHANNELS.map((c) => topicFor(thing, c));
}

export function deviceMayPublish(thing: string, topic: string): boolean {
  return isValidThingName(thing) && devicePublishTopics(thing).includes(topic);
}

export function deviceMaySubscribe(thing: string, filter: string): boolean {
  return isValidThingName(thing) && deviceSubscribeTopics(thing).includes(filter);
}

// ---------------------------------------------------------------------------------------------------
// Payloads

const isoTime = z.iso.datetime({ offset: true });
const percent = z.number().finite().min(0).max(100);

export const PRESENCE_STATUSES = ["online", "offline"] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

export const PresenceMessage = z.object({ status: z.enum(PRESENCE_STATUSES), at: isoTime });
export type PresenceMessage = z.infer<typeof PresenceMessage>;

export const TelemetryMessage = z.object({
  cpu_usage_percent: percent,
  memory_usage_percent: percent,
  disk_usage_percent: percent,
  temperature_celsius: z.number().finite().min(-100).max(250).nullable(),
  uptime_seconds: z.number().finite().nonnegative(),
  /** The image (or appliance) version the cabinet runs; absent from cabinets older than the image build. */
  firmware_version: z.string().min(1).max(50).optional(),
  at: isoTime,
});
export type TelemetryMessage = z.infer<typeof TelemetryMessage>;

export const EventMessage = z.object({
  type: z.string().min(1).max(64),
  at: isoTime,
  data: z.record(z.string(), z.unknown()),
});
export type EventMessage = z.infer<typeof EventMessage>;

/** The live event that carries a new safety alert, `data.alert` being its safety_alerts row. */
export const SAFETY_ALERT_EVENT = "safety_alert";

export const COMMAND_NAMES = ["scan_now", "sync_now", "unlock"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

/**
 * The command shape without the closed list of names: a device parses this first so that it can
 * still answer `rejected` (with the id) to a command it does not know.
 */
export const CommandEnvelope = z.object({
  id: z.uuid(),
  command: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).optional(),
  issued_at: isoTime,
  issued_by: z.string().max(256).optional(),
  /** The cabinet the command is for: a command signed for one cabinet is refused by every other. */
  thing: z.string().max(128).optional(),
  /** Who approved a remote unlock (two different people on a dual-approval cabinet). */
  approved_by: z.array(z.string().max(256)).max(8).optional(),
  /** Ed25519 signature by the organization's command key (shared/commands/command-signature.ts). */
  sig: z.string().max(256).optional(),
});
export type CommandEnvelope = z.infer<typeof CommandEnvelope>;

/** What the cloud sends: always addressed and signed; a cabinet refuses anything less. */
export const CommandMessage = CommandEnvelope.extend({
  command: z.enum(COMMAND_NAMES),
  thing: z.string().max(128),
  sig: z.string().max(256),
});
export type CommandMessage = z.infer<typeof CommandMessage>;

export const ACK_STATUSES = ["accepted", "done", "rejected", "failed"] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];
export const FINAL_ACK_STATUSES = ["done", "rejected", "failed"] as const;
export type FinalAckStatus = (typeof FINAL_ACK_STATUSES)[number];

export function isFinalAckStatus(status: AckStatus): status is FinalAckStatus {
  return status !== "accepted";
}

export const AckMessage = z.object({
  id: z.uuid(),
  status: z.enum(ACK_STATUSES),
  detail: z.string().max(1024).optional(),
  at: isoTime,
});
export type AckMessage = z.infer<typeof AckMessage>;

/** Payloads are small JSON documents; anything bigger is hostile or a bug and is not parsed. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * Parses and validates one payload. A malformed message is logged and answered with null so that one
 * bad publisher can never take a subscriber down.
 */
export function decodeMessage<S extends z.ZodType>(
  schema: S,
  payload: Buffer | string,
  logger: Logger,
  topic: string,
): z.infer<S> | null {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) {
    logger.warn({ topic, size }, "mqtt message too large, dropped");
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    logger.warn({ topic }, "mqtt message is not JSON, dropped");
    return null;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    logger.warn(
      { topic, issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
      "malformed mqtt message, dropped",
    );
    return null;
  }
  return parsed.data;
}

/** Validates before sending so that a bug on our side fails here, not in every subscriber. */
export function encodeMessage<S extends z.ZodType>(schema: S, value: z.input<S>): string {
  return JSON.stringify(schema.parse(value));
}
