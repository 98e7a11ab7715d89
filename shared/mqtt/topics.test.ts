import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  AckMessage,
  CommandEnvelope,
  CommandMessage,
  decodeMessage,
  deviceMayPublish,
  deviceMaySubscribe,
  encodeMessage,
  isValidThingName,
  PresenceMessage,
  parseTopic,
  sharedFilter,
  TelemetryMessage,
  topics,
} from "./topics.js";

function capture() {
  const lines: { msg: string; level: number }[] = [];
  const logger = pino({ level: "warn" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

const now = () => new Date().toISOString();

describe("topic scheme", () => {
  it("builds and parses every channel", () => {
    expect(topics.presence("lilo-cab-3f2a9c")).toBe("lilo/lilo-cab-3f2a9c/presence");
    expect(topics.cmdAck("lilo-cab-3f2a9c")).toBe("lilo/lilo-cab-3f2a9c/cmd/ack");
    expect(parseTopic("lilo/lilo-cab-3f2a9c/cmd/ack")).toEqual({
      thing: "lilo-cab-3f2a9c",
      channel: "cmd/ack",
    });
    expect(parseTopic("lilo/x/unknown")).toBeNull();
    expect(parseTopic("other/x/presence")).toBeNull();
    expect(sharedFilter("lilo-cloud", topics.allDevices("telemetry"))).toBe(
      "$share/lilo-cloud/lilo/+/telemetry",
    );
  });

  it("refuses thing names that would break topics or ACLs", () => {
    for (const bad of ["", "a/b", "a+", "#", "$SYS", "a b", "x".repeat(129)]) {
      expect(isValidThingName(bad)).toBe(false);
      expect(() => topics.cmd(bad)).toThrow();
    }
  });

  it("lets a device use only its own topics", () => {
    const t = "lilo-cab-a";
    expect(deviceMayPublish(t, "lilo/lilo-cab-a/telemetry")).toBe(true);
    expect(deviceMayPublish(t, "lilo/lilo-cab-a/cmd")).toBe(false);
    expect(deviceMayPublish(t, "lilo/lilo-cab-b/telemetry")).toBe(false);
    expect(deviceMaySubscribe(t, "lilo/lilo-cab-a/cmd")).toBe(true);
    expect(deviceMaySubscribe(t, "lilo/+/cmd")).toBe(false);
    expect(deviceMaySubscribe(t, "lilo/#")).toBe(false);
    expect(deviceMaySubscribe(t, "lilo/lilo-cab-a/#")).toBe(false);
  });
});

describe("messages", () => {
  it("round-trips valid payloads", () => {
    const { logger, lines } = capture();
    const cmd = {
      id: randomUUID(),
      command: "unlock" as const,
      issued_at: now(),
      issued_by: "u1",
      thing: "lilo-cab-a",
      sig: "c2ln",
    };
    expect(decodeMessage(CommandMessage, encodeMessage(CommandMessage, cmd), logger, "t")).toEqual(cmd);
    const telemetry = {
      cpu_usage_percent: 3.5,
      memory_usage_percent: 40,
      disk_usage_percent: 12,
      temperature_celsius: null,
      uptime_seconds: 10,
      at: now(),
    };
    expect(decodeMessage(TelemetryMessage, JSON.stringify(telemetry), logger, "t")).toEqual(telemetry);
    expect(lines).toHaveLength(0);
  });

  it("drops malformed payloads with a warning instead of throwing", () => {
    const { logger, lines } = capture();
    expect(decodeMessage(PresenceMessage, "{nope", logger, "t")).toBeNull();
    expect(
      decodeMessage(PresenceMessage, JSON.stringify({ status: "maybe", at: now() }), logger, "t"),
    ).toBeNull();
    expect(
      decodeMessage(AckMessage, JSON.stringify({ id: "1", status: "done", at: now() }), logger, "t"),
    ).toBeNull();
    expect(decodeMessage(PresenceMessage, Buffer.alloc(70_000, 32), logger, "t")).toBeNull();
    expect(
      decodeMessage(
        TelemetryMessage,
        JSON.stringify({
          cpu_usage_percent: 300,
          memory_usage_percent: 1,
          disk_usage_percent: 1,
          temperature_celsius: null,
          uptime_seconds: 1,
          at: now(),
        }),
        logger,
        "t",
      ),
    ).toBeNull();
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => l.level === 40)).toBe(true);
  });

  it("keeps unknown command names parseable so the device can reject them by id", () => {
    const { logger } = capture();
    const raw = JSON.stringify({ id: randomUUID(), command: "self_destruct", issued_at: now() });
    expect(decodeMessage(CommandEnvelope, raw, logger, "t")?.command).toBe("self_destruct");
    expect(decodeMessage(CommandMessage, raw, logger, "t")).toBeNull();
  });

  it("refuses to encode an invalid message", () => {
    expect(() => encodeMessage(PresenceMessage, { status: "online", at: "yesterday" })).toThrow();
  });
});
