// Reads of the audit trail's hash chains and writes of their signed checkpoints, each in the caller's
// tenant transaction. The cloud's chains come with their hash recomputed by the same SQL functions
// that chained them (0005_audit_chain.sql); a cabinet's chains come as rows, for shared/audit/audit-hash.ts.
import { and, asc, desc, eq, isNull, type SQL, sql } from "drizzle-orm";
import { CLOUD_CHAIN_ID } from "../../shared/audit/audit-hash.js";
import {
  auditCheckpoints,
  auditPrunedLinks,
  complianceAuditLog,
  unifiedEventLog,
} from "../../shared/schema/tenant.js";
import { queryRows, type Tx } from "../db/database.js";
import type { ChainRow } from "./chain-walk.js";

export const AUDIT_TABLES = ["unified_event_log", "compliance_audit_log"] as const;
export type AuditTable = (typeof AUDIT_TABLES)[number];

export interface ChainHead {
  table_name: AuditTable;
  chain_id: string;
  seq: number;
  hash: string;
}

export type CheckpointRow = typeof auditCheckpoints.$inferSelect;
export type EventRow = typeof unifiedEventLog.$inferSelect;

const SOURCES = {
  unified_event_log: { id: sql.raw("event_id"), content: sql.raw("audit_event_content(t)") },
  compliance_audit_log: { id: sql.raw("audit_id"), content: sql.raw("audit_record_content(t)") },
} satisfies Record<AuditTable, { id: SQL; content: SQL }>;

export const auditRepository = {
  /** The chains of a table with their last link (a row, or the link retention left), in chain id order. */
  async heads(tx: Tx, table: AuditTable): Promise<ChainHead[]> {
    const rows = await queryRows<{ chain_id: string; seq: string; hash: string }>(
      tx,
      sql`SELECT DISTINCT ON (chain_id) chain_id, seq, hash FROM (
            SELECT chain_id, chain_seq AS seq, row_hash AS hash
              FROM ${sql.identifier(table)} WHERE chain_id IS NOT NULL
            UNION ALL
            SELECT chain_id, seq, row_hash FROM audit_pruned_links WHERE table_name = ${table}) links
           ORDER BY chain_id, seq DESC`,
    );
    return rows.map((r) => ({ table_name: table, chain_id: r.chain_id, seq: Number(r.seq), hash: r.hash }));
  },

  /**
   * A cloud chain's rows with the hash of their content as stored now; a row retention deleted comes
   * as the link it left, its content in the archive whose checksum the link and the audit log name.
   */
  async cloudChain(tx: Tx, table: AuditTable): Promise<ChainRow[]> {
    const { id, content } = SOURCES[table];
    const rows = await queryRows<Omit<ChainRow, "seq"> & { seq: string | null }>(
      tx,
      sql`SELECT * FROM (
            SELECT ${id}::text AS id, chain_seq AS seq, prev_hash, row_hash,
                   audit_hash(prev_hash, ${content}) AS expected
              FROM ${sql.identifier(table)} t WHERE chain_id = ${CLOUD_CHAIN_ID}
            UNION ALL
            SELECT row_id::text, seq, prev_hash, row_hash, row_hash
              FROM audit_pruned_links WHERE table_name = ${table} AND chain_id = ${CLOUD_CHAIN_ID}) links
           ORDER BY seq, id`,
    );
    return rows.map((r) => ({ ...r, seq: r.seq === null ? null : Number(r.seq) }));
  },

  /** The links retention left in a cabinet's chain, in place order. */
  async prunedLinks(tx: Tx, chainId: string): Promise<ChainRow[]> {
    const p = auditPrunedLinks;
    const rows = await tx
      .select()
      .from(p)
      .where(and(eq(p.table_name, "unified_event_log"), eq(p.chain_id, chainId)))
      .orderBy(asc(p.seq), asc(p.row_id));
    return rows.map((r) => ({
      id: r.row_id,
      seq: r.seq,
      prev_hash: r.prev_hash,
      row_hash: r.row_hash,
      expected: r.row_hash,
    }));
  },

  /** A cabinet's chain of events, whole rows in stored order. */
  deviceChain(tx: Tx, chainId: string): Promise<EventRow[]> {
    const e = unifiedEventLog;
    return tx.select().from(e).where(eq(e.chain_id, chainId)).orderBy(asc(e.chain_seq), asc(e.event_id));
  },

  /** A row outside every chain (only possible with the chaining trigger switched off), if any. */
  async unchained(tx: Tx, table: AuditTable): Promise<string | undefined> {
    const t = table === "unified_event_log" ? unifiedEventLog : complianceAuditLog;
    const idColumn = table === "unified_event_log" ? unifiedEventLog.event_id : complianceAuditLog.audit_id;
    const [row] = await tx.select({ id: idColumn }).from(t).where(isNull(t.chain_id)).limit(1);
    return row?.id;
  },

  async latestCheckpoint(tx: Tx, table: AuditTable, chainId: string): Promise<CheckpointRow | undefined> {
    const c = auditCheckpoints;
    const [row] = await tx
      .select()
      .from(c)
      .where(and(eq(c.table_name, table), eq(c.chain_id, chainId)))
      .orderBy(desc(c.seq), desc(c.at))
      .limit(1);
    return row;
  },

  async insertCheckpoints(tx: Tx, rows: (typeof auditCheckpoints.$inferInsert)[]): Promise<void> {
    if (rows.length) await tx.insert(auditCheckpoints).values(rows);
  },

  async insertEvent(tx: Tx, values: typeof unifiedEventLog.$inferInsert): Promise<EventRow> {
    const [row] = await tx.insert(unifiedEventLog).values(values).returning();
    return row!;
  },
};
