// Tenant reads of what happened: transactions (open and overdue first), scans, and the event log with
// full-text search. Every method runs in the caller's tenant transaction.
import { and, eq, getTableColumns, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import { containerTransactions, scanResults, unifiedEventLog } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";
import { type CursorValue, cursorDate, cursorString, newestFirst } from "../db/pagination.js";

export type Transaction = typeof containerTransactions.$inferSelect & { overdue: boolean };
export type Scan = typeof scanResults.$inferSelect;
export type EventRow = Omit<typeof unifiedEventLog.$inferSelect, "tsv">;

export const scanOrder = newestFirst(scanResults.scan_timestamp, scanResults.scan_id);
export const eventOrder = newestFirst(unifiedEventLog.event_timestamp, unifiedEventLog.event_id);

const t = containerTransactions;
/** Overdue: marked so, or still out past its expected return. */
const OVERDUE = sql<boolean>`(${t.status} = 'overdue' OR (${t.status} = 'active' AND ${t.expected_return_timestamp} < now()))`;
/** 0 overdue, 1 open, 2 closed: the order a lab manager reads them in. */
const RANK = sql<number>`(CASE WHEN ${OVERDUE} THEN 0 WHEN ${t.status} = 'active' THEN 1 ELSE 2 END)`;
const AT = sql`date_trunc('milliseconds', ${t.created_at})`;

export interface TransactionFilter {
  cabinet_ids: string[];
  container_id?: string;
  user_id?: string;
  status?: string;
}

export interface EventFilter {
  cabinet_ids: string[];
  /** Organization-level events (no cabinet) too. */
  org_level: boolean;
  q?: string;
  container_id?: string;
  event_type?: string;
  event_category?: string;
  since?: Date;
}

const { tsv: _, ...eventColumns } = getTableColumns(unifiedEventLog);

export const historyRepository = {
  async transactions(
    tx: Tx,
    f: TransactionFilter,
    limit: number,
    cursor?: CursorValue[],
  ): Promise<(Transaction & { rank: number })[]> {
    if (f.cabinet_ids.length === 0) return [];
    let after: SQL | undefined;
    if (cursor) {
      const rank = Number(cursor[0]);
      const at = cursor[1] === null ? null : cursorDate(cursor[1]);
      const id = cursorString(cursor[2]);
      const sameRank = at
        ? sql`(${AT} < ${at.toISOString()}::timestamptz OR ${t.created_at} IS NULL OR (${AT} = ${at.toISOString()}::timestamptz AND ${t.transaction_id} < ${id}))`
        : sql`(${t.created_at} IS NULL AND ${t.transaction_id} < ${id})`;
      after = sql`(${RANK} > ${rank} OR (${RANK} = ${rank} AND ${sameRank}))`;
    }
    return tx
      .select({ ...getTableColumns(t), overdue: OVERDUE, rank: RANK })
      .from(t)
      .where(
        and(
          or(inArray(t.source_cabinet_id, f.cabinet_ids), inArray(t.return_cabinet_id, f.cabinet_ids)),
          f.container_id ? eq(t.container_id, f.container_id) : undefined,
          f.user_id ? eq(t.user_id, f.user_id) : undefined,
          f.status ? eq(t.status, f.status as never) : undefined,
          after,
        ),
      )
      .orderBy(RANK, sql`${AT} DESC NULLS LAST`, sql`${t.transaction_id} DESC`)
      .limit(limit);
  },

  async transaction(tx: Tx, id: string): Promise<Transaction | undefined> {
    const [row] = await tx
      .select({ ...getTableColumns(t), overdue: OVERDUE })
      .from(t)
      .where(eq(t.transaction_id, id));
    return row;
  },

  async scans(tx: Tx, cabinetIds: string[], limit: number, cursor?: CursorValue[]): Promise<Scan[]> {
    if (cabinetIds.length === 0) return [];
    return tx
      .select()
      .from(scanResults)
      .where(and(inArray(scanResults.cabinet_id, cabinetIds), scanOrder.after(cursor)))
      .orderBy(...scanOrder.orderBy)
      .limit(limit);
  },

  async scan(tx: Tx, id: string): Promise<Scan | undefined> {
    const [row] = await tx.select().from(scanResults).where(eq(scanResults.scan_id, id));
    return row;
  },

  async events(tx: Tx, f: EventFilter, limit: number, cursor?: CursorValue[]): Promise<EventRow[]> {
    const e = unifiedEventLog;
    const where = or(
      f.cabinet_ids.length ? inArray(e.cabinet_id, f.cabinet_ids) : undefined,
      f.org_level ? isNull(e.cabinet_id) : undefined,
    );
    if (!where) return [];
    return tx
      .select(eventColumns)
      .from(e)
      .where(
        and(
          where,
          f.q ? sql`${e.tsv} @@ websearch_to_tsquery('english', ${f.q})` : undefined,
          f.container_id ? eq(e.container_id, f.container_id) : undefined,
          f.event_type ? eq(e.event_type, f.event_type) : undefined,
          f.event_category ? eq(e.event_category, f.event_category) : undefined,
          f.since ? sql`${e.event_timestamp} >= ${f.since.toISOString()}::timestamptz` : undefined,
          eventOrder.after(cursor),
        ),
      )
      .orderBy(...eventOrder.orderBy)
      .limit(limit);
  },

  async event(tx: Tx, id: string): Promise<EventRow | undefined> {
    const [row] = await tx.select(eventColumns).from(unifiedEventLog).where(eq(unifiedEventLog.event_id, id));
    return row;
  },
};
