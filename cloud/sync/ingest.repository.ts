// Tenant reads and writes behind ingest, each in the caller's tenant transaction: the device's
// high-water mark, and synced rows written by entity table. The service owns which rows and columns.
import { and, eq, getTableColumns, inArray, ne, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import * as tenant from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";

export type SyncState = typeof tenant.deviceSyncState.$inferSelect;
export type Row = Record<string, unknown>;

const state = tenant.deviceSyncState;

export const ingestRepository = {
  async findState(tx: Tx, deviceId: string): Promise<SyncState | undefined> {
    const [row] = await tx.select().from(state).where(eq(state.device_id, deviceId));
    return row;
  },

  /** Locked until the transaction ends: one batch of a device is applied at a time. */
  async lockState(tx: Tx, deviceId: string): Promise<SyncState | undefined> {
    const [row] = await tx.select().from(state).where(eq(state.device_id, deviceId)).for("update");
    return row;
  },

  /** The highest seq applied from this change log by any device row; 0 for a log never seen. */
  async lastSeqOfLog(tx: Tx, logId: string): Promise<number> {
    const [row] = await tx
      .select({ last_seq: sql<number>`coalesce(max(${state.last_seq}), 0)`.mapWith(Number) })
      .from(state)
      .where(eq(state.log_id, logId));
    return row?.last_seq ?? 0;
  },

  /** Creates the device's state unless a concurrent batch just did. */
  async insertState(tx: Tx, deviceId: string, logId: string, lastSeq: number): Promise<void> {
    await tx
      .insert(state)
      .values({ device_id: deviceId, log_id: logId, last_seq: lastSeq })
      .onConflictDoNothing();
  },

  async switchLog(tx: Tx, deviceId: string, logId: string, lastSeq: number): Promise<void> {
    await tx
      .update(state)
      .set({ log_id: logId, last_seq: lastSeq, updated_at: new Date() })
      .where(eq(state.device_id, deviceId));
  },

  async advance(tx: Tx, deviceId: string, lastSeq: number, applied: number): Promise<void> {
    await tx
      .update(state)
      .set({
        last_seq: lastSeq,
        changes_applied: sql`${state.changes_applied} + ${applied}`,
        updated_at: new Date(),
      })
      .where(eq(state.device_id, deviceId));
  },

  /** One of these containers that is filed under another cabinet, if any. */
  async findContainerElsewhere(
    tx: Tx,
    containerIds: string[],
    cabinetId: string,
  ): Promise<string | undefined> {
    const ci = tenant.chemicalInventory;
    const [row] = await tx
      .select({ id: ci.container_id })
      .from(ci)
      .where(and(inArray(ci.container_id, containerIds), ne(ci.cabinet_id, cabinetId)))
      .limit(1);
    return row?.id;
  },

  /** Those of these scans that were taken in this cabinet, with their shelf. */
  async findScansOfCabinet(
    tx: Tx,
    scanIds: string[],
    cabinetId: string,
  ): Promise<{ scan_id: string; shelf_id: number }[]> {
    const s = tenant.scanResults;
    return tx
      .select({ scan_id: s.scan_id, shelf_id: s.shelf_id })
      .from(s)
      .where(and(inArray(s.scan_id, scanIds), eq(s.cabinet_id, cabinetId)));
  },

  /**
   * The rows as insertNew() sends them, one statement each: rows grouped by the columns they carry
   * (so that an absent column still gets its default) where the table takes the JSON path.
   */
  insertGroups(table: PgTable, rows: Row[]): Row[][] {
    return jsonInsertable(table) ? byKeySet(rows) : [rows];
  },

  /** Inserts rows whose key is new and leaves existing ones alone; returns how many were written. */
  async insertNew(tx: Tx, table: PgTable, rows: Row[]): Promise<number> {
    const pk = primaryKeyOf(table);
    // The hot path (events): the batch travels as one jsonb parameter. Building a 30-column,
    // 1000-row INSERT through the query builder cost more than executing it (bench:ingest).
    if (jsonInsertable(table)) return rowCount(await tx.execute(insertFromJson(table, pk, rows)));
    return rowCount(
      await tx
        .insert(table)
        .values(rows as never)
        .onConflictDoNothing({ target: pk }),
    );
  },

  /**
   * Inserts new rows, and updates `set` on existing ones only where `owner` (the existing row's
   * cabinet) is `cabinetId`; returns how many rows were written.
   */
  async upsertOwned(
    tx: Tx,
    table: PgTable,
    rows: Row[],
    set: Record<string, SQL>,
    owner: SQL,
    cabinetId: string,
  ): Promise<number> {
    const written = await tx
      .insert(table)
      .values(rows as never)
      .onConflictDoUpdate({ target: primaryKeyOf(table), set, setWhere: sql`${owner} = ${cabinetId}` });
    return rowCount(written);
  },

  /** The key of one of these rows whose `owner` (its cabinet) is not `cabinetId`, if any. */
  async findOwnedElsewhere(
    tx: Tx,
    table: PgTable,
    keys: unknown[],
    owner: SQL,
    cabinetId: string,
  ): Promise<string | undefined> {
    const pk = primaryKeyOf(table);
    const [row] = await tx
      .select({ id: sql<string>`${pk}` })
      .from(table)
      .where(and(inArray(pk, keys), sql`${owner} IS DISTINCT FROM ${cabinetId}`))
      .limit(1);
    return row?.id;
  },
};

export function primaryKeyOf(table: PgTable): PgColumn {
  return Object.values(getTableColumns(table)).find((c) => c.primary)!;
}

/** Rows an INSERT wrote (inserted, or updated by its conflict clause): pg and PGlite both say. */
function rowCount(result: unknown): number {
  const r = result as { rowCount?: number | null; affectedRows?: number };
  return r.rowCount ?? r.affectedRows ?? 0;
}

/** Column types that jsonb_populate_recordset reads from JSON exactly as the driver would write them. */
const JSON_SAFE = new Set([
  "PgUUID",
  "PgTimestamp",
  "PgVarchar",
  "PgText",
  "PgInteger",
  "PgBoolean",
  "PgJsonb",
  "PgJson",
  "PgInet",
  "PgNumeric",
  "PgBigInt53",
  "PgDateString",
]);
const jsonSafe = new WeakMap<PgTable, boolean>();

function jsonInsertable(table: PgTable): boolean {
  let ok = jsonSafe.get(table);
  if (ok === undefined) {
    ok = Object.values(getTableColumns(table)).every((c) => c.generated || JSON_SAFE.has(c.columnType));
    jsonSafe.set(table, ok);
  }
  return ok;
}

function byKeySet(rows: Row[]): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = Object.keys(row)
      .filter((k) => row[k] !== undefined)
      .sort()
      .join(",");
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

function insertFromJson(table: PgTable, pk: PgColumn, rows: Row[]): SQL {
  const columns = getTableColumns(table);
  const first = rows[0]!;
  const names = Object.keys(first).filter(
    (k) => first[k] !== undefined && columns[k] && !columns[k].generated,
  );
  const list = sql.raw(names.map((n) => `"${n}"`).join(", "));
  return sql`INSERT INTO ${table} (${list}) SELECT ${list} FROM jsonb_populate_recordset(NULL::${table}, ${JSON.stringify(rows)}::jsonb) ON CONFLICT (${sql.identifier(pk.name)}) DO NOTHING`;
}
