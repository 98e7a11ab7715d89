// Electronic signatures and the records they are given for, in the caller's tenant transaction.
import { and, asc, eq } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { SignedRecordType } from "../../shared/enums.js";
import {
  complianceAuditLog,
  containerTransactions,
  electronicSignatures,
  safetyAlerts,
  scanResults,
} from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";

export type SignatureRow = typeof electronicSignatures.$inferSelect;

/** Where each kind of signed record lives. */
const RECORDS: Record<SignedRecordType, { table: PgTable; id: PgColumn }> = {
  controlled_substance_disposal: { table: containerTransactions, id: containerTransactions.transaction_id },
  spill_resolution: { table: safetyAlerts, id: safetyAlerts.alert_id },
  audit_review: { table: complianceAuditLog, id: complianceAuditLog.audit_id },
  inventory_count: { table: scanResults, id: scanResults.scan_id },
};

export const signatureRepository = {
  async findRecord(tx: Tx, type: SignedRecordType, id: string): Promise<Record<string, unknown> | undefined> {
    const { table, id: column } = RECORDS[type];
    const [row] = await tx.select().from(table).where(eq(column, id));
    return row as Record<string, unknown> | undefined;
  },

  async insert(tx: Tx, values: typeof electronicSignatures.$inferInsert): Promise<SignatureRow> {
    const [row] = await tx.insert(electronicSignatures).values(values).returning();
    return row!;
  },

  ofRecord(tx: Tx, type: SignedRecordType, id: string): Promise<SignatureRow[]> {
    const s = electronicSignatures;
    return tx
      .select()
      .from(s)
      .where(and(eq(s.record_type, type), eq(s.record_id, id)))
      .orderBy(asc(s.signed_at));
  },
};
