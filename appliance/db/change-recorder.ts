// Writes an entity row and its change-log (outbox) row together: callers pass the transaction, so
// the change and the record of it commit or roll back as one.
import { eq, getTableColumns } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { getTableConfig } from "drizzle-orm/sqlite-core";
import { canonicalJson } from "../../shared/canonical-json.js";
import type { SyncedEntity } from "../../shared/sync/change.js";
import { chainedEvent } from "./event-chain.js";
import type { LocalDb } from "./local-database.js";
import { changeLog, unifiedEventLog } from "./schema.js";

function primaryKey(table: SQLiteTable): SQLiteColumn {
  const pk = Object.values(getTableColumns(table)).find((c) => c.primary);
  if (!pk) throw new Error(`${getTableConfig(table).name} has no primary key`);
  return pk as SQLiteColumn;
}

function record(
  db: LocalDb,
  table: SQLiteTable,
  op: "insert" | "update",
  row: Record<string, unknown>,
): number {
  const pk = primaryKey(table);
  const entity = getTableConfig(table).name as SyncedEntity;
  const [change] = db
    .insert(changeLog)
    .values({
      entity,
      entity_id: String(row[pk.name]),
      op,
      payload: canonicalJson(row),
      recorded_at: new Date().toISOString(),
    })
    .returning({ seq: changeLog.seq })
    .all();
  return change!.seq;
}

/**
 * Inserts a row of a synced table and its outbox entry; returns the stored row. An event is linked into
 * this cabinet's hash chain here, the one place events are written.
 */
export function insertRecorded<T extends SQLiteTable>(
  db: LocalDb,
  table: T,
  values: T["$inferInsert"],
): T["$inferSelect"] {
  const stored =
    (table as SQLiteTable) === unifiedEventLog
      ? (chainedEvent(db, values as never) as typeof values)
      : values;
  const [row] = db.insert(table).values(stored).returning().all() as T["$inferSelect"][];
  record(db, table, "insert", row as Record<string, unknown>);
  return row!;
}

/** Updates one row of a synced table by primary key and records the full row after the change. */
export function updateRecorded<T extends SQLiteTable>(
  db: LocalDb,
  table: T,
  id: string,
  patch: Partial<T["$inferInsert"]>,
): T["$inferSelect"] {
  const [row] = db
    .update(table)
    .set(patch)
    .where(eq(primaryKey(table), id))
    .returning()
    .all() as T["$inferSelect"][];
  if (!row) throw new Error(`${getTableConfig(table).name} ${id} not found`);
  record(db, table, "update", row as Record<string, unknown>);
  return row;
}
