// The cloud's side of the live channel: presence, health telemetry and live events from the cabinets
// go into the device registry and the hot tables; commands go out, each audited with its outcome.
import { and, eq, isNull, lt, ne, or, sql } from "drizzle-orm";
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
import { deviceCredentials, iotDevices } from "../../shared/schema/platform.js";
import { cabinets } from "../../shared/schema/tenant.js";
import type { Database } from "../db/database.js";
import { notifyLive } from "../live/live-notify.js";
import type { FleetSink, MqttGateway } from "../mqtt/mqtt-gateway.service.js";
import type { CommandKeyService } from "./command-key.service.js";
import { unlockApprovalRepository } from "./unlock-approval.repository.js";

/** How long the first approval of a remote unlock on a dual-approval cabinet waits for the second. */
export const UNLOCK_APPROVAL_WINDOW_MS = 10 * 60_000;

/** A remote unlock on a dual-approval cabinet that one person approved; nothing was sent yet. */
export interface AwaitingApproval {
  status: "awaiting_second_approval";
  approved_by: string[];
  expires_at: string;
}

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
    private readonly commandKeys: CommandKeyService,
  ) {}

  /**
   * The device behind a thing name, with whether it still holds a credential. What a decommissioned or
   * revoked device still publishes (in the moment before the broker closes its session) must not land.
   */
  private async device(thing: string) {
    const [row] = await this.database.asService((tx) =>
      tx
        .select({
          device: iotDevices,
          credentialed: sql<boolean>`exists (select 1 from ${deviceCredentials} c where c.device_id = ${iotDevices.device_id} and c.status = 'active')`,
        })
        .from(iotDevices)
        .where(eq(iotDevices.iot_thing_name, thing)),
    );
    if (!row || row.device.status === "decommissioned") return undefined;
    return { ...row.device, credentialed: Boolean(row.credentialed) };
  }

  /** A device that may still report telemetry and events. */
  private async reporter(thing: string) {
    const device = await this.device(thing);
    if (!device?.credentialed) {
      this.logger.warn({ thing }, "report from a decommissioned or revoked device dropped");
      return undefined;
    }
    return device;
  }

  async presence(thing: string, status: PresenceStatus, at: string): Promise<void> {
    const when = new Date(at);
    const device = await this.device(thing);
    // The broker's last will for a session it closed on revocation still says, truly, "offline".
    if (!device || (status === "online" && !device.credentialed)) return;
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
            ne(iotDevices.status, "decommissioned"),
            or(isNull(iotDevices.last_seen_at), lt(iotDevices.last_seen_at, when)),
          ),
        )
        .returning({ id: iotDevices.device_id }),
    );
    if (updated.length === 0) return;
    this.logger.info({ thing, status, at }, "cabinet presence");
    await this.database.asService(async (tx) => {
      await tx.insert(eventStream).values({
        org_id: device.org_id,
        event_timestamp: when,
        event_type: `device_${status}`,
        cabinet_id: device.assigned_cabinet_id,
        details: { thing },
      });
      await notifyLive(tx, {
        k: "presence",
        org: device.org_id,
        cabinet: device.assigned_cabinet_id,
        status,
        at: when.toISOString(),
      });
    });
  }

  async telemetry(thing: string, m: TelemetryMessage, receivedAt: Date): Promise<void> {
    const device = await this.reporter(thing);
    if (!device) return;
    // The cloud's clock: the device's `at` stays in the stored metrics, but it decides nothing.
    const at = receivedAt;
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
        // A decommission racing this report must stay a decommission.
        .where(and(eq(iotDevices.device_id, device.device_id), ne(iotDevices.status, "decommissioned")));
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

  async event(thing: string, e: EventMessage, receivedAt: Date): Promise<void> {
    const device = await this.reporter(thing);
    if (!device) return;
    await this.database.asService(async (tx) => {
      const [row] = await tx
        .insert(eventStream)
        .values({
          org_id: device.org_id,
          event_timestamp: receivedAt,
          event_type: e.type.slice(0, 50),
          cabinet_id: device.assigned_cabinet_id,
          details: { ...e.data, device_at: e.at },
        })
        .returning({ id: eventStream.event_id });
      await notifyLive(tx, {
        k: "cabinet",
        org: device.org_id,
        cabinet: device.assigned_cabinet_id,
        id: row!.id,
        at: receivedAt.toISOString(),
      });
    });
  }

  ack(_thing: string, _ack: AckMessage): void {
    // The instance that sent a command audits its outcome (command() below); every instance receives
    // every ack, so recording here would duplicate it.
  }

  /**
   * Sends a command, signed with the organization's key, to one of its cabinets and audits it with its
   * outcome. A remote unlock of a dual-approval cabinet is only sent once two different people asked
   * for it within UNLOCK_APPROVAL_WINDOW_MS; the first request answers AwaitingApproval.
   */
  async command(
    orgId: string,
    deviceId: string,
    command: CommandName,
    params: Record<string, unknown>,
    issuedBy: string,
  ): Promise<AckMessage | AwaitingApproval> {
    if (!this.gateway) throw new AppError("internal", "the live channel is not running");
    const [device] = await this.database.asService((tx) =>
      tx
        .select()
        .from(iotDevices)
        .where(and(eq(iotDevices.device_id, deviceId), eq(iotDevices.org_id, orgId))),
    );
    if (!device) throw new AppError("not_found", `no device ${deviceId} in organization ${orgId}`);
    let approvedBy = [issuedBy];
    if (command === "unlock" && (await this.requiresDualApproval(orgId, device.assigned_cabinet_id))) {
      const approval = await this.approveUnlock(orgId, deviceId, String(params.user_id), issuedBy);
      if (approval.status === "awaiting_second_approval") return approval;
      approvedBy = approval.approved_by;
    }
    let ack: AckMessage | undefined;
    let error: string | undefined;
    try {
      ack = await this.gateway.sendCommand(device.iot_thing_name, command, {
        params,
        issuedBy,
        approvedBy,
        sign: (cmd) => this.commandKeys.sign(orgId, cmd),
      });
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
          approved_by: approvedBy,
          ack: ack ?? null,
          error: error ?? null,
        },
      }),
    );
    if (!ack) throw new AppError("internal", `command ${command} got no answer: ${error}`);
    return ack;
  }

  private async requiresDualApproval(orgId: string, cabinetId: string | null): Promise<boolean> {
    if (!cabinetId) return false;
    const [cabinet] = await this.database.withTenant(orgId, (tx) =>
      tx
        .select({ dual: cabinets.requires_dual_approval })
        .from(cabinets)
        .where(eq(cabinets.cabinet_id, cabinetId)),
    );
    return cabinet?.dual ?? false;
  }

  /** Records a first approval, or completes it with a second one from a different person. */
  private async approveUnlock(
    orgId: string,
    deviceId: string,
    userId: string,
    issuedBy: string,
  ): Promise<AwaitingApproval | { status: "approved"; approved_by: string[] }> {
    const outcome = await this.database.asService(async (tx) => {
      const pending = await unlockApprovalRepository.take(tx, deviceId, userId);
      const live = pending && pending.expires_at.getTime() > Date.now() ? pending : undefined;
      if (live && live.approved_by !== issuedBy) {
        return { status: "approved" as const, approved_by: [live.approved_by, issuedBy] };
      }
      // Asking again does not count as a second person, and does not extend the first approval.
      const first = live ?? {
        approved_by: issuedBy,
        expires_at: new Date(Date.now() + UNLOCK_APPROVAL_WINDOW_MS),
      };
      await unlockApprovalRepository.put(tx, {
        org_id: orgId,
        device_id: deviceId,
        user_id: userId,
        ...first,
      });
      return {
        status: "awaiting_second_approval" as const,
        approved_by: [first.approved_by],
        expires_at: first.expires_at.toISOString(),
      };
    });
    if (outcome.status === "awaiting_second_approval") {
      await this.database.asService((tx) =>
        tx.insert(systemEvents).values({
          org_id: orgId,
          user_id: issuedBy,
          event_type: "device_command_approval",
          event_category: "security",
          severity: "warning",
          event_data: { device_id: deviceId, command: "unlock", params: { user_id: userId }, ...outcome },
        }),
      );
    }
    return outcome;
  }
}
