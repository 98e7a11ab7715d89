// Electronic signatures and the records they are given for, in the caller's tenant transaction.
import { and, asc, eq } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { SignedRecordType } from "../../shared/enums.js";
import {
  complianceAuditLog,
  containerTransactions,
  electronicSignatures,
  safetyAlerts,
  scanResults,
  unifiedEventLog,
} from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";

export type SignatureRow = typeof electronicSignatures.$inferSelect;

/** Where each kind of signed record lives. */
const RECORDS: Record<SignedRecordType, { table: PgTable; id: PgColumn }> = {
  controlled_substance_disposal: { table: containerTransactions, id: containerTransactions.transaction_id },
  spill_resolution: { table: safetyAlerts, id: safetyAlerts.alert_id },
  audit_review: { table: complianceAuditLog, id: complianceAuditLog.audit_id },
  inventory_count: { table: scanResults, id: scanResults.scan_id },
  controlled_substance_access: { table: unifiedEventLog, id: unifiedEventLog.event_id },
};

/** A cabinet's signature event on a controlled-substance access (appliance/controlled). */
const CabinetSignature = z.object({
  action: z.literal("electronic_signature"),
  record_type: z.literal("controlled_substance_access"),
  record_id: z.uuid(),
  meaning: z.enum(["performed", "witnessed"]),
  record_hash: z.string().regex(/^[0-9a-f]{64}$/),
  method: z.string(),
});

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

  /**
   * The signatures a cabinet gave at its door, from its synced signature events: one row each, keyed by
   * the event's id, so a batch sent again adds none.
   */
  async insertFromCabinetEvents(tx: Tx, events: Record<string, unknown>[]): Promise<void> {
    const rows = events.flatMap((e) => {
      const s = CabinetSignature.safeParse(e.event_details);
      if (!s.success || typeof e.user_id !== "string") return [];
      return [
        {
          signature_id: String(e.event_id),
          record_type: s.data.record_type,
          record_id: s.data.record_id,
          signer_user_id: e.user_id,
          signer_name: String(e.user_name ?? e.user_id),
          meaning: s.data.meaning,
          reason: `${s.data.method} at the cabinet`,
          signed_at: e.event_timestamp as Date,
          record_hash: s.data.record_hash,
          event_id: String(e.event_id),
        },
      ];
    });
    if (rows.length) await tx.insert(electronicSignatures).values(rows).onConflictDoNothing();
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
