// The cloud's side of the live channel: presence, health telemetry and live events from the cabinets
// go into the device registry and the hot tables; commands go out, each audited with its outcome.
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { AppError } from "../../shared/errors.js";
import type { Logger } from "../../shared/logger.js";
import type {
  AckMessage,
  CommandName,
  EventMessage,
  PresenceStatus,
  TelemetryMessage,
} from "../../shared/mqtt/topics.js";
import { deviceTelemetry, eventStream, systemEvents } from "../../shared/schema/partitioned.js";
import { iotDevices } from "../../shared/schema/platform.js";
import type { Database } from "../db/database.js";
import type { FleetSink, MqttGateway } from "../mqtt/mqtt-gateway.service.js";

const healthOf = (m: TelemetryMessage) =>
  Math.max(m.cpu_usage_percent, m.memory_usage_percent, m.disk_usage_percent) >= 95 ||
  (m.temperature_celsius ?? 0) >= 80
    ? "critical"
    : Math.max(m.cpu_usage_percent, m.memory_usage_percent, m.disk_usage_percent) >= 85 ||
        (m.temperature_celsius ?? 0) >= 70
      ? "warning"
      : "healthy";

export class FleetService implements FleetSink {
  gateway?: MqttGateway;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  private async device(thing: string) {
    const [d] = await this.database.asService((tx) =>
      tx.select().from(iotDevices).where(eq(iotDevices.iot_thing_name, thing)),
    );
    return d;
  }

  async presence(thing: string, status: PresenceStatus, at: string): Promise<void> {
    const when = new Date(at);
    const device = await this.device(thing);
    if (!device || device.status === "decommissioned") return;
    // Retained presence is replayed to every instance that starts: an older report must not win.
    const updated = await this.database.asService((tx) =>
      tx
        .update(iotDevices)
        .set({
          status: status === "online" ? "active" : "offline",
          last_seen_at: when,
          updated_at: new Date(),
        })
        .where(
          and(
            eq(iotDevices.device_id, device.device_id),
            or(isNull(iotDevices.last_seen_at), lt(iotDevices.last_seen_at, when)),
          ),
        )
        .returning({ id: iotDevices.device_id }),
    );
    if (updated.length === 0) return;
    this.logger.info({ thing, status, at }, "cabinet presence");
    await this.database.asService((tx) =>
      tx.insert(eventStream).values({
        org_id: device.org_id,
        event_timestamp: when,
        event_type: `device_${status}`,
        cabinet_id: device.assigned_cabinet_id,
        details: { thing },
      }),
    );
  }

  async telemetry(thing: string, m: TelemetryMessage): Promise<void> {
    const device = await this.device(thing);
    if (!device) return;
    const at = new Date(m.at);
    const pct = (n: number) => n.toFixed(2);
    await this.database.asService(async (tx) => {
      await tx
        .update(iotDevices)
        .set({
          cpu_usage_percent: pct(m.cpu_usage_percent),
          memory_usage_percent: pct(m.memory_usage_percent),
          disk_usage_percent: pct(m.disk_usage_percent),
          temperature_celsius: m.temperature_celsius === null ? null : pct(m.temperature_celsius),
          uptime_seconds: Math.round(m.uptime_seconds),
          last_heartbeat_at: at,
          last_seen_at: at,
          status: "active",
        })
        .where(eq(iotDevices.device_id, device.device_id));
      await tx
        .insert(deviceTelemetry)
        .values({
          device_id: device.device_id,
          recorded_at: at,
          org_id: device.org_id,
          cabinet_id: device.assigned_cabinet_id,
          metrics: m,
          health_status: healthOf(m),
        })
        .onConflictDoNothing();
    });
  }

  async event(thing: string, e: EventMessage): Promise<void> {
    const device = await this.device(thing);
    if (!device) return;
    await this.database.asService((tx) =>
      tx.insert(eventStream).values({
        org_id: device.org_id,
        event_timestamp: new Date(e.at),
        event_type: e.type.slice(0, 50),
        cabinet_id: device.assigned_cabinet_id,
        details: e.data,
      }),
    );
  }

  ack(_thing: string, _ack: AckMessage): void {
    // The instance that sent a command audits its outcome (command() below); every instance receives
    // every ack, so recording here would duplicate it.
  }

  /** Sends a command to one of the organization's cabinets and audits it with its outcome. */
  async command(
    orgId: string,
    deviceId: string,
    command: CommandName,
    params: Record<string, unknown>,
    issuedBy: string,
  ): Promise<AckMessage> {
    if (!this.gateway) throw new AppError("internal", "the live channel is not running");
    const [device] = await this.database.asService((tx) =>
      tx
        .select()
        .from(iotDevices)
        .where(and(eq(iotDevices.device_id, deviceId), eq(iotDevices.org_id, orgId))),
    );
    if (!device) throw new AppError("not_found", `no device ${deviceId} in organization ${orgId}`);
    let ack: AckMessage | undefined;
    let error: string | undefined;
    try {
      ack = await this.gateway.sendCommand(device.iot_thing_name, command, params, issuedBy);
    } catch (err) {
      error = (err as Error).message;
    }
    await this.database.asService((tx) =>
      tx.insert(systemEvents).values({
        org_id: orgId,
        user_id: issuedBy,
        event_type: "device_command",
        event_category: command === "unlock" ? "security" : "system",
        severity: command === "unlock" ? "warning" : "info",
        event_data: {
          device_id: deviceId,
          thing: device.iot_thing_name,
          command,
          params,
          ack: ack ?? null,
          error: error ?? null,
        },
      }),
    );
    if (!ack) throw new AppError("internal", `command ${command} got no answer: ${error}`);
    return ack;
  }
}
