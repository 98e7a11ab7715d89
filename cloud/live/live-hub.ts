// One per cloud instance: listens on the live channel over one dedicated connection and hands each
// subscriber (an SSE stream) what it may see. Rows are read once per message, only when someone of
// that organization is listening, and filtered per subscriber by cabinet.
import { and, eq, inArray } from "drizzle-orm";
import type { Logger } from "../../shared/logger.js";
import { eventStream } from "../../shared/schema/partitioned.js";
import { safetyAlerts, unifiedEventLog } from "../../shared/schema/tenant.js";
import type { Database } from "../db/database.js";
import { LIVE_CHANNEL, LiveMessage } from "./live-notify.js";

/** One server-sent event: its name and its JSON data. */
export interface LiveEvent {
  event: "presence" | "cabinet" | "event" | "alert";
  cabinet_id: string | null;
  data: Record<string, unknown>;
}

export interface LiveSubscriber {
  org: string;
  /** Whether this subscriber may see the event (its kind, at its cabinet). */
  maySee(event: LiveEvent): boolean;
  send(event: LiveEvent): void;
  /** Ends the subscriber's stream (the instance is stopping). */
  close(): void;
}

/** What a live cabinet step says about the door and the lock. */
const STATE_OF: Record<string, { door?: "open" | "closed"; lock?: "locked" | "unlocked" }> = {
  door_opened: { door: "open" },
  door_forced: { door: "open" },
  door_closed: { door: "closed" },
  unlocked: { lock: "unlocked" },
  remote_unlock: { lock: "unlocked" },
  relocked: { lock: "locked" },
};

export class LiveHub {
  private readonly subscribers = new Set<LiveSubscriber>();
  private unlisten?: () => Promise<void>;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(LIVE_CHANNEL, (payload) => void this.dispatch(payload));
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    for (const s of this.subscribers) s.close();
    this.subscribers.clear();
  }

  /** Adds a subscriber; the returned function removes it. */
  subscribe(subscriber: LiveSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  private async dispatch(payload: string): Promise<void> {
    try {
      const parsed = LiveMessage.safeParse(JSON.parse(payload));
      if (!parsed.success) return;
      const message = parsed.data;
      const audience = [...this.subscribers].filter((s) => s.org === message.org);
      if (audience.length === 0) return;
      const events = await this.read(message);
      for (const subscriber of audience) for (const e of events) if (subscriber.maySee(e)) subscriber.send(e);
    } catch (err) {
      this.logger.warn({ err }, "live message not delivered");
    }
  }

  private async read(m: LiveMessage): Promise<LiveEvent[]> {
    switch (m.k) {
      case "presence":
        return [
          {
            event: "presence",
            cabinet_id: m.cabinet,
            data: { cabinet_id: m.cabinet, status: m.status, at: m.at },
          },
        ];
      case "cabinet": {
        const rows = await this.database.asService((tx) =>
          tx
            .select()
            .from(eventStream)
            .where(
              and(
                eq(eventStream.event_id, m.id),
                eq(eventStream.org_id, m.org),
                eq(eventStream.event_timestamp, new Date(m.at)),
              ),
            ),
        );
        return rows.map((r) => {
          const details = r.details as Record<string, unknown>;
          return {
            event: "cabinet",
            cabinet_id: r.cabinet_id,
            data: {
              cabinet_id: r.cabinet_id,
              type: r.event_type,
              at: r.event_timestamp.toISOString(),
              summary: details.summary,
              severity: details.severity,
              ...STATE_OF[r.event_type],
            },
          };
        });
      }
      case "events": {
        const rows = await this.database.withTenant(m.org, (tx) =>
          tx
            .select({
              event_id: unifiedEventLog.event_id,
              event_timestamp: unifiedEventLog.event_timestamp,
              event_type: unifiedEventLog.event_type,
              event_category: unifiedEventLog.event_category,
              severity: unifiedEventLog.severity,
              cabinet_id: unifiedEventLog.cabinet_id,
              shelf_id: unifiedEventLog.shelf_id,
              user_name: unifiedEventLog.user_name,
              container_id: unifiedEventLog.container_id,
              chemical_name: unifiedEventLog.chemical_name,
              changes_summary: unifiedEventLog.changes_summary,
              image_reference: unifiedEventLog.image_reference,
              requires_review: unifiedEventLog.requires_review,
            })
            .from(unifiedEventLog)
            .where(inArray(unifiedEventLog.event_id, m.ids)),
        );
        return rows.map((r) => ({ event: "event", cabinet_id: r.cabinet_id, data: r }));
      }
      case "alerts": {
        const rows = await this.database.withTenant(m.org, (tx) =>
          tx
            .select({
              alert_id: safetyAlerts.alert_id,
              cabinet_id: safetyAlerts.cabinet_id,
              shelf_id: safetyAlerts.shelf_id,
              alert_type: safetyAlerts.alert_type,
              severity: safetyAlerts.severity,
              status: safetyAlerts.status,
              title: safetyAlerts.title,
              detected_at: safetyAlerts.detected_at,
              image_references: safetyAlerts.image_references,
            })
            .from(safetyAlerts)
            .where(inArray(safetyAlerts.alert_id, m.ids)),
        );
        return rows.map((r) => ({ event: "alert", cabinet_id: r.cabinet_id, data: r }));
      }
    }
  }
}
