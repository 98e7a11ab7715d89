// A tenant's safety_alerts rows and what the alert workflow reads around them (the people in scope, the
// containers the rules check, the per-organization settings). Every method runs in the caller's tenant
// transaction.
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { AlertSeverity } from "../../shared/enums.js";
import { ACTIVE_ALERT_STATUSES, type AlertStatus } from "../../shared/safety/alert-workflow.js";
import { type RuleCabinet, type RuleContainer, ruleColumns } from "../../shared/safety/safety-rules.js";
import {
  accessCredentials,
  cabinets,
  chemicalInventory,
  laboratories,
  roles,
  safetyAlerts,
  tenantSettings,
  unifiedEventLog,
} from "../../shared/schema/tenant.js";
import { effectivePermissions } from "../authz/authorize.js";
import { queryRows, type Tx } from "../db/database.js";

export type Alert = typeof safetyAlerts.$inferSelect;
export type NewAlert = typeof safetyAlerts.$inferInsert;

export interface AlertFilter {
  status?: AlertStatus[];
  severity?: AlertSeverity[];
  cabinet_id?: string;
  /** Only alerts of these cabinets (what the caller may read). */
  cabinets?: string[];
  alert_type?: Alert["alert_type"][];
}

/** Where the list resumes: the last row's place in the order (active first, newest first). */
export interface AlertCursor {
  active: number;
  at: string;
  id: string;
}

/** Who an alert notifies: the scope tier widens with each escalation level. */
export type NotifyScope = "lab" | "department" | "organization";

export interface Recipient {
  user_id: string;
  display_name: string;
  email: string;
}

const ACTIVE = sql.raw(`(${ACTIVE_ALERT_STATUSES.map((s) => `'${s}'`).join(", ")})`);
const activeRank = sql<number>`(CASE WHEN ${safetyAlerts.status} IN ${ACTIVE} THEN 1 ELSE 0 END)`;
const SETTINGS_KEY = "alert_notifications";

export const alertRepository = {
  async list(
    tx: Tx,
    filter: AlertFilter,
    limit: number,
    after?: AlertCursor,
  ): Promise<{ rows: Alert[]; cursors: AlertCursor[] }> {
    const where: SQL[] = [];
    if (filter.status?.length) where.push(inArray(safetyAlerts.status, filter.status));
    if (filter.severity?.length) where.push(inArray(safetyAlerts.severity, filter.severity));
    if (filter.alert_type?.length) where.push(inArray(safetyAlerts.alert_type, filter.alert_type));
    if (filter.cabinet_id) where.push(eq(safetyAlerts.cabinet_id, filter.cabinet_id));
    if (filter.cabinets) {
      if (filter.cabinets.length === 0) return { rows: [], cursors: [] };
      where.push(inArray(safetyAlerts.cabinet_id, filter.cabinets));
    }
    if (after) {
      where.push(
        sql`(${activeRank}, ${safetyAlerts.detected_at}, ${safetyAlerts.alert_id}) < (${after.active}, ${after.at}::timestamptz, ${after.id}::uuid)`,
      );
    }
    const rows = await tx
      .select({
        alert: safetyAlerts,
        active: activeRank,
        // The exact stored instant (microseconds): a JavaScript Date would round it and skip rows.
        at: sql<string>`${safetyAlerts.detected_at}::text`,
      })
      .from(safetyAlerts)
      .where(where.length ? and(...where) : undefined)
      .orderBy(
        sql`${activeRank} DESC`,
        sql`${safetyAlerts.detected_at} DESC`,
        sql`${safetyAlerts.alert_id} DESC`,
      )
      .limit(limit);
    return {
      rows: rows.map((r) => r.alert),
      cursors: rows.map((r) => ({ active: Number(r.active), at: r.at, id: r.alert.alert_id })),
    };
  },

  async get(tx: Tx, alertId: string, lock = false): Promise<Alert | undefined> {
    const q = tx.select().from(safetyAlerts).where(eq(safetyAlerts.alert_id, alertId));
    const [row] = lock ? await q.for("update") : await q;
    return row;
  },

  async update(tx: Tx, alertId: string, patch: Partial<NewAlert>): Promise<Alert> {
    const [row] = await tx
      .update(safetyAlerts)
      .set({ ...patch, updated_at: new Date() })
      .where(eq(safetyAlerts.alert_id, alertId))
      .returning();
    return row!;
  },

  /** Inserts the alerts whose id is new; returns those it wrote. */
  async insertNew(tx: Tx, rows: NewAlert[]): Promise<Alert[]> {
    if (rows.length === 0) return [];
    return tx
      .insert(safetyAlerts)
      .values(rows)
      .onConflictDoNothing({ target: safetyAlerts.alert_id })
      .returning();
  },

  /**
   * Active alerts that owe a notification, locked for this transaction: never notified, or open past
   * the delay of their next escalation level (`delays[level]`, minutes), of the severities that notify.
   * Rows another instance holds are
   * skipped, so two instances never notify the same step twice.
   */
  async lockDue(
    tx: Tx,
    delaysMinutes: number[],
    severities: AlertSeverity[],
    limit: number,
  ): Promise<Alert[]> {
    const delays = sql.raw(`ARRAY[${delaysMinutes.map((m) => Number(m)).join(",")}]::int[]`);
    return tx
      .select()
      .from(safetyAlerts)
      .where(
        sql`${safetyAlerts.status} IN ${ACTIVE} AND ${inArray(safetyAlerts.severity, severities)} AND (${safetyAlerts.notifications_sent} IS NULL OR (
          ${safetyAlerts.status} = 'open'
          AND coalesce(${safetyAlerts.escalation_level}, 0) < ${delaysMinutes.length}
          AND ${safetyAlerts.detected_at} + make_interval(mins => (${delays})[coalesce(${safetyAlerts.escalation_level}, 0) + 1]) <= now()))`,
      )
      .orderBy(safetyAlerts.detected_at)
      .limit(limit)
      .for("update", { skipLocked: true });
  },

  /** People with a role that acknowledges or resolves alerts, assigned at the alert's cabinet or lab, or wider. */
  async recipients(tx: Tx, alert: Alert, scope: NotifyScope, orgId: string): Promise<Recipient[]> {
    const [place] = alert.cabinet_id
      ? await tx
          .select({ lab_id: laboratories.lab_id, dept_id: laboratories.dept_id })
          .from(cabinets)
          .innerJoin(laboratories, eq(laboratories.lab_id, cabinets.lab_id))
          .where(eq(cabinets.cabinet_id, alert.cabinet_id))
      : [];
    const scopes: SQL[] = [];
    if (alert.cabinet_id) scopes.push(sql`(a.scope_type = 'cabinet' AND a.scope_id = ${alert.cabinet_id})`);
    if (place) scopes.push(sql`(a.scope_type = 'lab' AND a.scope_id = ${place.lab_id})`);
    if (place && scope !== "lab")
      scopes.push(sql`(a.scope_type = 'department' AND a.scope_id = ${place.dept_id})`);
    if (scope === "organization") scopes.push(sql`(a.scope_type = 'organization' AND a.scope_id = ${orgId})`);
    if (scopes.length === 0) return [];
    const assigned = await queryRows<Recipient & { role_id: string }>(
      tx,
      sql`SELECT c.user_id, c.display_name, c.email, a.role_id
            FROM user_role_assignments a
            JOIN ${accessCredentials} c ON c.user_id = a.user_id
           WHERE a.is_active AND a.revoked_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > now())
             AND c.status = 'active' AND c.email IS NOT NULL
             AND (${sql.join(scopes, sql` OR `)})
           ORDER BY c.email`,
    );
    const roleRows = await tx
      .select({ role_id: roles.role_id, permissions: roles.permissions, inherits_from: roles.inherits_from })
      .from(roles);
    const defs = new Map(
      roleRows.map((r) => [
        r.role_id,
        { ...r, permissions: Array.isArray(r.permissions) ? (r.permissions as string[]) : [] },
      ]),
    );
    // Whoever may act on the alert is told about it: acknowledging or resolving, directly or inherited.
    const out = new Map<string, Recipient>();
    for (const a of assigned) {
      const may = effectivePermissions(a.role_id, defs);
      if (may.has("alert:acknowledge") || may.has("alert:resolve"))
        out.set(a.user_id, { user_id: a.user_id, display_name: a.display_name, email: a.email });
    }
    return [...out.values()];
  },

  async cabinetsForRules(tx: Tx): Promise<RuleCabinet[]> {
    return tx
      .select({
        cabinet_id: cabinets.cabinet_id,
        lab_id: cabinets.lab_id,
        storage_type: cabinets.storage_type,
      })
      .from(cabinets);
  },

  async containersForRules(tx: Tx): Promise<(RuleContainer & { cabinet_id: string })[]> {
    return tx
      .select({ cabinet_id: chemicalInventory.cabinet_id, ...ruleColumns(chemicalInventory) })
      .from(chemicalInventory);
  },

  /** One step of an alert's life in the event log, with its compliance audit record. */
  async recordStep(
    tx: Tx,
    alert: Alert,
    step: {
      action: string;
      summary: string;
      user?: { user_id: string; email: string };
      old_values?: Record<string, unknown>;
      new_values?: Record<string, unknown>;
      details?: Record<string, unknown>;
    },
  ): Promise<void> {
    await tx.insert(unifiedEventLog).values({
      event_type: "safety",
      event_category: step.user ? "user_action" : "safety",
      severity: alert.severity === "critical" ? "critical" : "warning",
      lab_id: alert.lab_id,
      cabinet_id: alert.cabinet_id,
      shelf_id: alert.shelf_id,
      container_id: alert.container_id,
      user_id: step.user?.user_id,
      user_name: step.user?.email,
      event_details: { action: step.action, alert_id: alert.alert_id, ...step.details },
      old_values: step.old_values,
      new_values: step.new_values,
      changes_summary: step.summary,
      workflow_id: alert.alert_id,
    });
  },

  async settings(tx: Tx): Promise<string | undefined> {
    const [row] = await tx.select().from(tenantSettings).where(eq(tenantSettings.key, SETTINGS_KEY));
    return row?.value;
  },

  async saveSettings(tx: Tx, value: string): Promise<void> {
    await tx
      .insert(tenantSettings)
      .values({ key: SETTINGS_KEY, value })
      .onConflictDoUpdate({ target: tenantSettings.key, set: { value, updated_at: new Date() } });
  },
};
