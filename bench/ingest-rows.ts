// Synthetic cabinet events for the ingest benchmark: full unified_event_log rows as the appliance
// uploads them (every column, nulls included, canonical JSON), the sync bodies that carry them, and
// the plain multi-row INSERT that the endpoint is compared with.
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import { getTableColumns } from "drizzle-orm";
import { createRng } from "../appliance/sim/rng.js";
import { canonicalize } from "../shared/canonical-json.js";
import * as tenant from "../shared/schema/tenant.js";

export interface Scope {
  lab_id: string;
  cabinet_id: string;
}

export type EventRow = Record<string, unknown>;

const ACTIONS = [
  ["access", "user_action", "door_opened", "Door opened"],
  ["access", "user_action", "door_closed", "Door closed"],
  ["access", "user_action", "auth_granted", "Badge accepted"],
  ["access", "safety", "auth_denied", "Badge refused: not authorized for this cabinet"],
  ["transaction", "inventory", "checkout", "Container checked out"],
  ["transaction", "inventory", "return", "Container returned"],
  ["scan", "inventory", "shelf_scan", "Shelf scan completed"],
] as const;

const FIRST = [
  "Ada",
  "Grace",
  "Marie",
  "Rosalind",
  "Dmitri",
  "Linus",
  "Alan",
  "Barbara",
  "Katherine",
  "Niels",
];
const LAST = ["Lovelace", "Hopper", "Curie", "Franklin", "Mendeleev", "Pauling", "Turing", "McClintock"];
const ROLES = ["researcher", "lab_manager", "safety_officer", "student"];

/** Non-generated columns of the event table, in table order: what a full appliance row carries. */
export const EVENT_COLUMNS: string[] = Object.values(getTableColumns(tenant.unifiedEventLog))
  .filter((c) => !c.generated)
  .map((c) => c.name);
const JSON_COLUMNS = new Set(
  Object.values(getTableColumns(tenant.unifiedEventLog))
    .filter((c) => c.columnType === "PgJsonb")
    .map((c) => c.name),
);

/** `count` event rows of one cabinet, ordered in time as a cabinet records them. */
export function makeEvents(scope: Scope, count: number, seed: number): EventRow[] {
  const rand = createRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const users = Array.from({ length: 24 }, () => ({
    user_id: randomUUID(),
    user_name: `${pick(FIRST)} ${pick(LAST)}`,
    user_role: pick(ROLES),
  }));
  const start = Date.now() - count * 1000;
  const rows: EventRow[] = [];
  let session = randomUUID();
  for (let i = 0; i < count; i++) {
    if (rand() < 0.15) session = randomUUID();
    const [type, category, action, summary] = pick(ACTIONS);
    const user = pick(users);
    const denied = action === "auth_denied";
    const row: EventRow = Object.fromEntries(EVENT_COLUMNS.map((c) => [c, null]));
    Object.assign(row, {
      event_id: randomUUID(),
      event_timestamp: new Date(start + i * 1000 + Math.floor(rand() * 900)),
      event_type: type,
      event_category: category,
      severity: denied ? "warning" : "info",
      lab_id: scope.lab_id,
      cabinet_id: scope.cabinet_id,
      shelf_id: type === "access" ? null : 1 + Math.floor(rand() * 4),
      user_id: user.user_id,
      user_name: user.user_name,
      user_role: user.user_role,
      event_details: {
        action,
        session_id: session,
        ...(denied ? { reason: "not_authorized", badge_suffix: String(Math.floor(rand() * 10_000)) } : {}),
        ...(type === "scan"
          ? { labels_found: Math.floor(rand() * 24), duration_ms: Math.floor(rand() * 4000) }
          : {}),
      },
      changes_summary: `${summary} by ${user.user_name}`,
      workflow_id: session,
      requires_review: denied,
      osha_relevant: false,
      epa_relevant: false,
      dea_relevant: false,
    });
    rows.push(canonicalize(row) as EventRow);
  }
  return rows;
}

/** One upload as the appliance sends it: JSON, gzip-compressed. */
export function syncBody(logId: string, firstSeq: number, rows: EventRow[]): Buffer {
  const changes = rows.map((payload, i) => ({
    seq: firstSeq + i,
    entity: "unified_event_log",
    entity_id: payload.event_id,
    op: "insert",
    payload,
    recorded_at: payload.event_timestamp,
  }));
  return gzipSync(JSON.stringify({ log_id: logId, changes }));
}

/** `INSERT INTO schema.unified_event_log (all columns) VALUES ($1, ...), ...` for `rows` rows. */
export function rawInsertSql(schema: string, rows: number): string {
  const width = EVENT_COLUMNS.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    tuples.push(`(${EVENT_COLUMNS.map((_, c) => `$${r * width + c + 1}`).join(", ")})`);
  }
  const cols = EVENT_COLUMNS.map((c) => `"${c}"`).join(", ");
  return `INSERT INTO "${schema}"."unified_event_log" (${cols}) VALUES ${tuples.join(", ")}`;
}

/** The parameters of rawInsertSql for these rows (jsonb as JSON text, timestamps as ISO text). */
export function rawInsertParams(rows: EventRow[]): unknown[] {
  const params: unknown[] = [];
  for (const row of rows) {
    for (const c of EVENT_COLUMNS) {
      const v = row[c] ?? null;
      params.push(v !== null && JSON_COLUMNS.has(c) ? JSON.stringify(v) : v);
    }
  }
  return params;
}
