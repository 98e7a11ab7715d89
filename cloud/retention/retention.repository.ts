// Reads and writes of retention: an organization's periods and legal holds, its expired audit rows and
// their deletion through retention_prune (0010_retention_functions.sql), in the caller's tenant
// transaction; and the time partitions of the platform's hot tables, in the caller's owner transaction.
import { and, desc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { HoldScope, RecordClass } from "../../shared/enums.js";
import type { PartitionedTable } from "../../shared/schema/partitioned.js";
import { PLATFORM_SCHEMA } from "../../shared/schema/platform.js";
import { legalHolds, retentionSettings } from "../../shared/schema/tenant.js";
import { pgErrorCode, queryRows, quoteIdent, type Tx } from "../db/database.js";

const LOCK_NOT_AVAILABLE = "55P03";

export type HoldRow = typeof legalHolds.$inferSelect;
export type PrunableTable = "unified_event_log" | "compliance_audit_log";
/** Pruned in this order: a compliance record goes before the event it files. */
export const PRUNABLE_TABLES: readonly PrunableTable[] = ["compliance_audit_log", "unified_event_log"];

export interface ExpiredRow {
  id: string;
  record_class: RecordClass;
  /** The whole row as stored, chain columns included, for the archive. */
  row: Record<string, unknown>;
}

const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;

const EXPIRED: Record<PrunableTable, (now: Date, limit: number) => SQL> = {
  unified_event_log: (now, limit) =>
    sql`SELECT e.event_id AS id, retention_event_class(e) AS record_class, to_jsonb(e) - 'tsv' AS row
          FROM retention_expired_events(${at(now)}) e ORDER BY e.event_timestamp LIMIT ${limit}`,
  compliance_audit_log: (now, limit) =>
    sql`SELECT a.audit_id AS id, retention_class_of(a.audit_category) AS record_class, to_jsonb(a) AS row
          FROM retention_past_records(${at(now)}) r JOIN compliance_audit_log a USING (audit_id)
         WHERE NOT r.held ORDER BY r.audit_timestamp LIMIT ${limit}`,
};

/** How many rows of a table this run would delete (those a deleted record frees come next run). */
const EXPIRED_COUNT: Record<PrunableTable, (now: Date) => SQL> = {
  unified_event_log: (now) => sql`SELECT count(*)::int AS n FROM retention_expired_events(${at(now)})`,
  compliance_audit_log: (now) =>
    sql`SELECT count(*)::int AS n FROM retention_past_records(${at(now)}) WHERE NOT held`,
};

/** Rows past retention that a legal hold keeps. */
const HELD: Record<PrunableTable, (now: Date) => SQL> = {
  unified_event_log: (now) =>
    sql`SELECT count(*)::int AS n FROM retention_past_events(${at(now)}) e
         WHERE EXISTS (SELECT 1 FROM legal_holds h WHERE retention_hold_covers(h, e.cabinet_id, e.container_id))`,
  compliance_audit_log: (now) =>
    sql`SELECT count(*)::int AS n FROM retention_past_records(${at(now)}) WHERE held`,
};

/** The key columns of each partitioned table, for reading a partition in key order. */
const PARTITION_KEYS: Record<PartitionedTable["table"], { time: string; id: string }> = {
  system_events: { time: "event_timestamp", id: "event_id" },
  event_stream: { time: "event_timestamp", id: "event_id" },
  device_telemetry: { time: "recorded_at", id: "device_id" },
  user_sessions: { time: "created_at", id: "session_id" },
};

/** Where a partition's rows name a cabinet and a container, as text (a hold is matched by id). */
const PARTITION_SCOPES: Record<PartitionedTable["table"], { cabinet: string; container: string | null }> = {
  system_events: { cabinet: "event_data->>'cabinet_id'", container: "event_data->>'container_id'" },
  event_stream: { cabinet: "cabinet_id::text", container: "details->>'container_id'" },
  device_telemetry: { cabinet: "cabinet_id::text", container: null },
  user_sessions: { cabinet: "NULL", container: null },
};

const partitionRef = (name: string) => sql.raw(`${PLATFORM_SCHEMA}.${quoteIdent(name)}`);

export const retentionRepository = {
  async periods(tx: Tx): Promise<Map<RecordClass, number>> {
    const rows = await tx.select().from(retentionSettings);
    return new Map(rows.map((r) => [r.record_class, r.days]));
  },

  async setPeriod(
    tx: Tx,
    recordClass: RecordClass,
    days: number,
    by: { user_id: string | null; name: string },
  ): Promise<void> {
    const values = {
      record_class: recordClass,
      days,
      updated_at: new Date(),
      updated_by: by.user_id,
      updated_by_name: by.name,
    };
    await tx
      .insert(retentionSettings)
      .values(values)
      .onConflictDoUpdate({ target: retentionSettings.record_class, set: values });
  },

  holds(tx: Tx, opts: { activeOnly: boolean }): Promise<HoldRow[]> {
    const h = legalHolds;
    return tx
      .select()
      .from(h)
      .where(opts.activeOnly ? isNull(h.released_at) : undefined)
      .orderBy(desc(h.placed_at), h.hold_id);
  },

  async hold(tx: Tx, holdId: string): Promise<HoldRow | undefined> {
    const [row] = await tx.select().from(legalHolds).where(eq(legalHolds.hold_id, holdId));
    return row;
  },

  async placeHold(
    tx: Tx,
    h: {
      scope_type: HoldScope;
      scope_id: string;
      reason: string;
      placed_by: string | null;
      placed_by_name: string;
    },
  ): Promise<HoldRow> {
    const [row] = await tx.insert(legalHolds).values(h).returning();
    return row!;
  },

  /** Releases a hold still in force; undefined when it is not (already released, or unknown). */
  async releaseHold(
    tx: Tx,
    holdId: string,
    r: { released_by: string | null; released_by_name: string; release_reason: string },
  ): Promise<HoldRow | undefined> {
    const [row] = await tx
      .update(legalHolds)
      .set({ ...r, released_at: new Date() })
      .where(and(eq(legalHolds.hold_id, holdId), isNull(legalHolds.released_at)))
      .returning();
    return row;
  },

  /** The oldest expired, unheld rows of an audit table, at most `limit`. */
  expired(tx: Tx, table: PrunableTable, now: Date, limit: number): Promise<ExpiredRow[]> {
    return queryRows<ExpiredRow>(tx, EXPIRED[table](now, limit));
  },

  /** Rows past retention kept by a legal hold (held), or that may go now (expired). */
  async count(tx: Tx, table: PrunableTable, which: "held" | "expired", now: Date): Promise<number> {
    const [row] = await queryRows<{ n: number }>(tx, (which === "held" ? HELD : EXPIRED_COUNT)[table](now));
    return row?.n ?? 0;
  },

  /** Deletes those of `ids` still expired and unheld, leaving their chain links; how many went. */
  async prune(
    tx: Tx,
    table: PrunableTable,
    ids: string[],
    archiveSha256: string,
    now: Date,
  ): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      tx,
      sql`SELECT retention_prune(${table}, ${`{${ids.join(",")}}`}::uuid[], ${archiveSha256}, ${at(now)}) AS n`,
    );
    return row?.n ?? 0;
  },

  /** Serializes retention runs of one organization across cloud instances, for one transaction. */
  async lockOrg(tx: Tx): Promise<void> {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':retention'))`);
  },
};

export const partitionRepository = {
  /** The organizations with rows in a partition (null: platform rows of no organization). */
  async orgsIn(tx: Tx, partition: string): Promise<(string | null)[]> {
    const rows = await queryRows<{ org_id: string | null }>(
      tx,
      sql`SELECT DISTINCT org_id FROM ${partitionRef(partition)}`,
    );
    return rows.map((r) => r.org_id);
  },

  /** Whether an organization's rows in the partition name one of the held cabinets or containers. */
  async touches(
    tx: Tx,
    p: PartitionedTable,
    partition: string,
    orgId: string,
    held: { cabinets: string[]; containers: string[] },
  ): Promise<boolean> {
    const scope = PARTITION_SCOPES[p.table];
    const tests = [sql`${sql.raw(scope.cabinet)} = ANY(${`{${held.cabinets.join(",")}}`}::text[])`];
    if (scope.container) {
      tests.push(sql`${sql.raw(scope.container)} = ANY(${`{${held.containers.join(",")}}`}::text[])`);
    }
    const [row] = await queryRows<{ hit: boolean }>(
      tx,
      sql`SELECT EXISTS (SELECT 1 FROM ${partitionRef(partition)}
                          WHERE org_id IS NOT DISTINCT FROM ${orgId} AND (${sql.join(tests, sql` OR `)})) AS hit`,
    );
    return row?.hit ?? false;
  },

  /** One organization's rows of a partition in key order, after `after`, at most `limit`. */
  async rows(
    tx: Tx,
    p: PartitionedTable,
    partition: string,
    orgId: string | null,
    after: { time: string; id: string } | null,
    limit: number,
  ): Promise<{ time: string; id: string; row: Record<string, unknown> }[]> {
    const k = PARTITION_KEYS[p.table];
    const time = sql.raw(k.time);
    const id = sql.raw(k.id);
    const from = after ? sql`AND (${time}, ${id}) > (${after.time}::timestamptz, ${after.id}::uuid)` : sql``;
    return queryRows(
      tx,
      sql`SELECT ${time}::text AS time, ${id}::text AS id, to_jsonb(t) - 'tsv' AS row FROM ${partitionRef(partition)} t
           WHERE org_id IS NOT DISTINCT FROM ${orgId} ${from}
           ORDER BY ${time}, ${id} LIMIT ${limit}`,
    );
  },

  /**
   * Locks a partition against new rows (a late cabinet upload into an old day) and counts its rows, so
   * that it is dropped only with exactly what was archived. Waits at most `lockTimeoutMs`; -1 if busy.
   */
  async lockAndCount(tx: Tx, partition: string, lockTimeoutMs: number): Promise<number> {
    const [exists] = await queryRows<{ ok: boolean }>(
      tx,
      sql`SELECT to_regclass(${`${PLATFORM_SCHEMA}.${quoteIdent(partition)}`}) IS NOT NULL AS ok`,
    );
    // Another instance dropped it meanwhile.
    if (!exists?.ok) return -1;
    await tx.execute(sql.raw(`SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`));
    try {
      await tx.execute(sql.raw(`SAVEPOINT retention_lock`));
      await tx.execute(sql`LOCK TABLE ${partitionRef(partition)} IN SHARE MODE`);
    } catch (err) {
      await tx.execute(sql.raw(`ROLLBACK TO SAVEPOINT retention_lock`));
      if (pgErrorCode(err) === LOCK_NOT_AVAILABLE) return -1;
      throw err;
    }
    const [row] = await queryRows<{ n: number }>(
      tx,
      sql`SELECT count(*)::int AS n FROM ${partitionRef(partition)}`,
    );
    return row?.n ?? 0;
  },

  /**
   * Drops a partition, waiting at most `lockTimeoutMs` for its parent's lock: a drop queued behind a
   * long reader would hold up every insert queued behind it. False when the lock was not had in time.
   */
  async drop(tx: Tx, partition: string, lockTimeoutMs: number): Promise<boolean> {
    await tx.execute(sql.raw(`SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`));
    try {
      await tx.execute(sql.raw(`SAVEPOINT retention_drop`));
      await tx.execute(sql`DROP TABLE IF EXISTS ${partitionRef(partition)}`);
      await tx.execute(sql.raw(`RELEASE SAVEPOINT retention_drop`));
      return true;
    } catch (err) {
      await tx.execute(sql.raw(`ROLLBACK TO SAVEPOINT retention_drop`));
      if (pgErrorCode(err) === LOCK_NOT_AVAILABLE) return false;
      throw err;
    }
  },
};
