// The alert workflow: raising (from the rules in the cloud, from a cabinet live), listing and reading,
// and the people's steps — acknowledge, assign, resolve, false positive — each checked against the
// alert's state, written with its event-log and audit record in one tenant transaction.

import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { ALERT_SEVERITIES, ALERT_STATUSES, ALERT_TYPES } from "../../shared/enums.js";
import { AppError } from "../../shared/errors.js";
import { ALERT_TRANSITIONS, type AlertAction } from "../../shared/safety/alert-workflow.js";
import { evaluateSafetyRules, findingRow } from "../../shared/safety/safety-rules.js";
import { userOrgMemberships } from "../../shared/schema/platform.js";
import type { Database } from "../db/database.js";
import type { IngestService } from "../sync/ingest.service.js";
import { type Alert, type AlertCursor, alertRepository } from "./alert.repository.js";
import type { AlertNotifier } from "./alert-notifier.service.js";
import { AlertSettings, readSettings } from "./alert-settings.js";

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)))
    .optional();

export const AlertQuery = z.object({
  status: csv(ALERT_STATUSES),
  severity: csv(ALERT_SEVERITIES),
  type: csv(ALERT_TYPES),
  cabinet: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
export type AlertQuery = z.infer<typeof AlertQuery>;

export const AcknowledgeInput = z.object({ note: z.string().max(2000).optional() });
export const AssignInput = z.object({ user_id: z.uuid(), note: z.string().max(2000).optional() });
export const ResolveInput = z.object({
  notes: z.string().min(1).max(4000),
  actions: z.array(z.string().min(1).max(500)).max(20).optional(),
});

export interface Actor {
  user_id: string;
  email: string;
}

const encodeCursor = (c: AlertCursor) =>
  Buffer.from(JSON.stringify([c.active, c.at, c.id])).toString("base64url");

function decodeCursor(s: string): AlertCursor {
  try {
    const [active, at, id] = JSON.parse(Buffer.from(s, "base64url").toString()) as [number, string, string];
    const ok =
      (active === 0 || active === 1) &&
      typeof at === "string" &&
      !Number.isNaN(Date.parse(at)) &&
      z.uuid().safeParse(id).success;
    if (ok) return { active, at, id };
  } catch {
    // falls through to the one error below
  }
  throw new AppError("validation_failed", "invalid cursor", { cursor: "not a cursor this list returned" });
}

export class AlertService {
  constructor(
    private readonly deps: {
      database: Database;
      ingest: IngestService;
      notifier: AlertNotifier;
    },
  ) {}

  /** A page of alerts; `cabinets` restricts it to those cabinets' alerts (undefined: every alert). */
  async list(
    orgId: string,
    q: AlertQuery,
    cabinets?: string[],
  ): Promise<{ items: Alert[]; next_cursor: string | null }> {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const { rows, cursors } = await this.deps.database.withTenant(orgId, (tx) =>
      alertRepository.list(
        tx,
        { status: q.status, severity: q.severity, alert_type: q.type, cabinet_id: q.cabinet, cabinets },
        q.limit + 1,
        after,
      ),
    );
    const more = rows.length > q.limit;
    return {
      items: rows.slice(0, q.limit),
      next_cursor: more ? encodeCursor(cursors[q.limit - 1]!) : null,
    };
  }

  async get(orgId: string, alertId: string): Promise<Alert> {
    const alert = await this.deps.database.withTenant(orgId, (tx) => alertRepository.get(tx, alertId));
    if (!alert) throw new AppError("not_found", "no such alert in this organization");
    return alert;
  }

  acknowledge(orgId: string, alertId: string, actor: Actor, input: z.infer<typeof AcknowledgeInput>) {
    return this.act(orgId, alertId, "acknowledge", actor, (now) => ({
      patch: { acknowledged_by: actor.user_id, acknowledged_at: now, acknowledged_via: "web" },
      summary: `Alert acknowledged by ${actor.email}${input.note ? `: ${input.note}` : ""}`,
    }));
  }

  async assign(orgId: string, alertId: string, actor: Actor, input: z.infer<typeof AssignInput>) {
    const [member] = await this.deps.database.asService((tx) =>
      tx
        .select({ id: userOrgMemberships.user_id })
        .from(userOrgMemberships)
        .where(
          and(
            eq(userOrgMemberships.user_id, input.user_id),
            eq(userOrgMemberships.org_id, orgId),
            eq(userOrgMemberships.status, "active"),
          ),
        ),
    );
    if (!member) {
      throw new AppError("validation_failed", "the assignee is not a member of this organization", {
        user_id: "not a member of this organization",
      });
    }
    return this.act(orgId, alertId, "assign", actor, (now, alert) => ({
      // Assigning answers the alert: an open one counts as acknowledged by whoever assigned it.
      patch: {
        assigned_to: input.user_id,
        assigned_at: now,
        ...(alert.status === "open"
          ? { acknowledged_by: actor.user_id, acknowledged_at: now, acknowledged_via: "web" }
          : {}),
      },
      summary: `Alert assigned to ${input.user_id} by ${actor.email}${input.note ? `: ${input.note}` : ""}`,
    }));
  }

  resolve(orgId: string, alertId: string, actor: Actor, input: z.infer<typeof ResolveInput>) {
    return this.act(orgId, alertId, "resolve", actor, (now) => ({
      patch: {
        resolved_by: actor.user_id,
        resolved_at: now,
        resolution_notes: input.notes,
        resolution_actions: input.actions ?? [],
      },
      summary: `Alert resolved by ${actor.email}: ${input.notes}`,
    }));
  }

  falsePositive(orgId: string, alertId: string, actor: Actor, input: z.infer<typeof ResolveInput>) {
    return this.act(orgId, alertId, "false-positive", actor, (now) => ({
      patch: { resolved_by: actor.user_id, resolved_at: now, resolution_notes: input.notes },
      summary: `Alert marked a false positive by ${actor.email}: ${input.notes}`,
    }));
  }

  private async act(
    orgId: string,
    alertId: string,
    action: AlertAction,
    actor: Actor,
    change: (now: Date, alert: Alert) => { patch: Partial<Alert>; summary: string },
  ): Promise<Alert> {
    const { from, to } = ALERT_TRANSITIONS[action];
    return this.deps.database.withTenant(orgId, async (tx) => {
      const alert = await alertRepository.get(tx, alertId, true);
      if (!alert) throw new AppError("not_found", "no such alert in this organization");
      if (!(from as readonly string[]).includes(alert.status ?? "open")) {
        throw new AppError("conflict", `cannot ${action} an alert that is ${alert.status}`, {
          status: alert.status ?? "open",
        });
      }
      const { patch, summary } = change(new Date(), alert);
      const updated = await alertRepository.update(tx, alertId, { ...patch, status: to });
      await alertRepository.recordStep(tx, alert, {
        action: to,
        summary,
        user: actor,
        old_values: { status: alert.status },
        new_values: { status: to, ...patch },
      });
      return updated;
    });
  }

  /** A cabinet's alert that came live over MQTT: stored once (the synced copy is the same row), notified. */
  async raiseFromCabinet(device: DeviceIdentity, payload: Record<string, unknown>): Promise<boolean> {
    const stored = await this.deps.ingest.raiseLive(device, payload);
    void this.deps.notifier.kick(device.org_id);
    return stored;
  }

  /**
   * The safety rules over every cabinet of an organization (the daily run). Alerts a cabinet or an
   * earlier run raised have the same ids and are left alone; returns the new ones.
   */
  async runRules(orgId: string, now = new Date()): Promise<Alert[]> {
    const raised = await this.deps.database.withTenant(orgId, async (tx) => {
      const cabinets = await alertRepository.cabinetsForRules(tx);
      const containers = await alertRepository.containersForRules(tx);
      const today = now.toISOString().slice(0, 10);
      const rows = cabinets.flatMap((cab) =>
        evaluateSafetyRules(
          cab,
          containers.filter((c) => c.cabinet_id === cab.cabinet_id),
          today,
        ).map((f) => findingRow(cab, f, now)),
      );
      const inserted = await alertRepository.insertNew(tx, rows);
      for (const alert of inserted) {
        await alertRepository.recordStep(tx, alert, {
          action: "alert_raised",
          summary: alert.title,
          details: { alert_type: alert.alert_type, severity: alert.severity, by: "cloud_rules" },
        });
      }
      return inserted;
    });
    if (raised.length) void this.deps.notifier.kick(orgId);
    return raised;
  }

  async settings(orgId: string): Promise<AlertSettings> {
    return readSettings(await this.deps.database.withTenant(orgId, (tx) => alertRepository.settings(tx)));
  }

  async saveSettings(orgId: string, settings: AlertSettings): Promise<AlertSettings> {
    const parsed = AlertSettings.parse(settings);
    await this.deps.database.withTenant(orgId, (tx) =>
      alertRepository.saveSettings(tx, JSON.stringify(parsed)),
    );
    return parsed;
  }
}
