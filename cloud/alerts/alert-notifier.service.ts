// Notifies the people in scope of every new alert, then escalates an unacknowledged one level by level
// after its organization's delays. Stateless: what was sent lives in the alert row (notifications_sent,
// escalation_level), and each step is taken with the row locked FOR UPDATE SKIP LOCKED, so any number of
// cloud instances can sweep at once and each step is sent once.
import { sql } from "drizzle-orm";
import { ALERT_SEVERITIES } from "../../shared/enums.js";
import type { Logger } from "../../shared/logger.js";
import { organizations } from "../../shared/schema/platform.js";
import { cabinets, safetyAlerts } from "../../shared/schema/tenant.js";
import type { Database, Tx } from "../db/database.js";
import { type Alert, alertRepository, type NotifyScope } from "./alert.repository.js";
import { type AlertSettings, readSettings } from "./alert-settings.js";
import { type Delivery, type EmailChannel, noticeOf, postWebhook } from "./notification-channels.js";

/** Alerts taken per transaction: one slow receiver holds only these rows. */
const BATCH = 10;
const WEBHOOK_TIMEOUT_MS = 5_000;

export class AlertNotifier {
  /** Per organization, the sweep under way on this instance: a kick during it runs once more after. */
  private readonly running = new Map<string, Promise<number>>();

  constructor(
    private readonly deps: {
      database: Database;
      logger: Logger;
      /** Absent without SMTP configured: then no e-mail is sent (the cloud warns at start). */
      email?: EmailChannel;
    },
  ) {}

  /** Every organization's due steps (the periodic sweep: escalations, and anything a kick missed). */
  async sweepAll(): Promise<number> {
    const orgs = await this.deps.database.asService((tx) =>
      tx.select({ org_id: organizations.org_id }).from(organizations),
    );
    let sent = 0;
    for (const { org_id } of orgs) sent += await this.sweep(org_id);
    return sent;
  }

  /** Notifies at once for an organization that has just got an alert. */
  kick(orgId: string): Promise<number> {
    const previous = this.running.get(orgId) ?? Promise.resolve(0);
    const next = previous
      .catch(() => 0)
      .then(() => this.sweep(orgId))
      .catch((err: unknown) => {
        this.deps.logger.error({ err, org_id: orgId }, "alert notification failed");
        return 0;
      })
      .finally(() => {
        if (this.running.get(orgId) === next) this.running.delete(orgId);
      });
    this.running.set(orgId, next);
    return next;
  }

  /** Takes every due step of one organization; returns how many alerts it notified. */
  async sweep(orgId: string): Promise<number> {
    const { database } = this.deps;
    const settings = readSettings(await database.withTenant(orgId, (tx) => alertRepository.settings(tx)));
    const delays = settings.escalation.map((s) => s.after_minutes);
    const severities = ALERT_SEVERITIES.slice(ALERT_SEVERITIES.indexOf(settings.min_severity));
    let total = 0;
    for (;;) {
      const done = await database.withTenant(orgId, async (tx) => {
        const due = await alertRepository.lockDue(tx, delays, severities, BATCH);
        for (const alert of due) await this.step(tx, orgId, alert, settings);
        return due.length;
      });
      total += done;
      if (done < BATCH) return total;
    }
  }

  private async step(tx: Tx, orgId: string, alert: Alert, settings: AlertSettings): Promise<void> {
    const first = alert.notifications_sent == null;
    const level = first ? 0 : (alert.escalation_level ?? 0) + 1;
    const scope: NotifyScope = level === 0 ? "lab" : settings.escalation[level - 1]!.scope;
    const recipients = await alertRepository.recipients(tx, alert, scope, orgId);
    const [cabinet] = alert.cabinet_id
      ? await tx
          .select({ name: cabinets.cabinet_name })
          .from(cabinets)
          .where(sql`${cabinets.cabinet_id} = ${alert.cabinet_id}`)
      : [];
    const minutesOpen = Math.round((Date.now() - alert.detected_at.getTime()) / 60_000);
    const notice = noticeOf(alert, level, minutesOpen, cabinet?.name ?? null);
    const deliveries: Delivery[] = [];
    if (settings.email.enabled && this.deps.email && recipients.length) {
      deliveries.push(...(await this.deps.email.send(recipients, notice)));
    }
    if (settings.webhook.url)
      deliveries.push(await postWebhook(settings.webhook.url, notice, WEBHOOK_TIMEOUT_MS));
    await tx.execute(sql`
      UPDATE ${safetyAlerts} SET
        notifications_sent = coalesce(notifications_sent, ARRAY[]::json[]) ||
          coalesce((SELECT array_agg(value::json) FROM jsonb_array_elements(${JSON.stringify(deliveries)}::jsonb)), ARRAY[]::json[]),
        escalation_level = ${level},
        escalated_at = ${level === 0 ? sql`escalated_at` : sql`now()`},
        escalated_to = ${level === 0 ? sql`escalated_to` : (recipients[0]?.user_id ?? null)},
        updated_at = now()
      WHERE alert_id = ${alert.alert_id}`);
    if (level > 0) {
      await alertRepository.recordStep(tx, alert, {
        action: "escalated",
        summary: `Alert escalated to level ${level} (${scope}): unacknowledged for ${minutesOpen} min`,
        new_values: { escalation_level: level },
        details: { level, scope, recipients: recipients.map((r) => r.user_id) },
      });
    }
    const failed = deliveries.filter((d) => d.status === "failed");
    this.deps.logger.info(
      { alert_id: alert.alert_id, level, sent: deliveries.length - failed.length, failed: failed.length },
      level === 0 ? "alert notified" : "alert escalated",
    );
  }
}
