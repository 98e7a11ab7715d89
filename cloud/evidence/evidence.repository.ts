// Which cabinet's rows name an image, and which images a cabinet has uploaded; in the caller's tenant
// transaction.
import { eq, sql } from "drizzle-orm";
import {
  containerTransactions,
  evidenceImages,
  safetyAlerts,
  scanResults,
} from "../../shared/schema/tenant.js";
import { queryRows, type Tx } from "../db/database.js";

export type EvidenceImage = typeof evidenceImages.$inferSelect;

export const evidenceRepository = {
  /** Whether a scan, transaction or alert of `cabinetId` names the image: what entitles it to upload. */
  async namedByCabinet(tx: Tx, cabinetId: string, key: string): Promise<boolean> {
    const [row] = await queryRows<{ named: boolean }>(
      tx,
      sql`
      SELECT EXISTS (SELECT 1 FROM ${scanResults}
                      WHERE ${scanResults.cabinet_id} = ${cabinetId} AND ${scanResults.image_s3_key} = ${key})
          OR EXISTS (SELECT 1 FROM ${containerTransactions}
                      WHERE ${containerTransactions.source_cabinet_id} = ${cabinetId}
                        AND ${containerTransactions.image_s3_key} = ${key})
          OR EXISTS (SELECT 1 FROM ${safetyAlerts}
                      WHERE ${safetyAlerts.cabinet_id} = ${cabinetId}
                        AND ${safetyAlerts.image_references} @> ARRAY[${key}]::text[]) AS named`,
    );
    return Boolean(row?.named);
  },

  /** Records an upload; true when it is new for this cabinet. */
  async record(tx: Tx, row: Omit<EvidenceImage, "uploaded_at">): Promise<boolean> {
    const written = await tx
      .insert(evidenceImages)
      .values(row)
      .onConflictDoNothing()
      .returning({ key: evidenceImages.image_key });
    return written.length > 0;
  },

  /** The cabinets that uploaded the image (one, unless two cabinets took identical pictures). */
  async cabinetsOf(tx: Tx, key: string): Promise<EvidenceImage[]> {
    return tx.select().from(evidenceImages).where(eq(evidenceImages.image_key, key));
  },
};
