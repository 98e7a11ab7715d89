// Hand-built change-log entries, as a cabinet would upload them.
import { randomUUID } from "node:crypto";
import type { Change } from "../../shared/sync/change.js";

/** One `unified_event_log` insert for the given cabinet; `payload` overrides any field. */
export function eventChange(
  seq: number,
  cabinet: { cabinet_id: string; lab_id: string },
  payload: Record<string, unknown> = {},
): Change {
  const event_id = (payload.event_id as string | undefined) ?? randomUUID();
  const at = new Date(Date.UTC(2026, 10, 29, 12, 0, seq % 60)).toISOString();
  return {
    seq,
    entity: "unified_event_log",
    entity_id: event_id,
    op: "insert",
    payload: {
      event_id,
      event_timestamp: at,
      event_type: "access",
      event_category: "user_action",
      severity: "info",
      cabinet_id: cabinet.cabinet_id,
      lab_id: cabinet.lab_id,
      event_details: { action: "auth_denied", n: seq },
      changes_summary: `event ${seq}`,
      ...payload,
    },
    recorded_at: new Date().toISOString(),
  };
}
