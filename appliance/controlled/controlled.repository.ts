// What the cabinet knows about its controlled substances (containers with a DEA schedule): whether it
// holds any, and the facts a theft/loss report needs about one. Reads in the caller's transaction.
import { and, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { LocalDb } from "../db/local-database.js";
import { cabinets, chemicalInventory, containerTransactions, scanResults } from "../db/schema.js";

export type ControlledContainer = typeof chemicalInventory.$inferSelect & { dea_schedule: string };

export class ControlledRepository {
  constructor(private readonly cabinetId: string) {}

  /** Whether a controlled container is in this cabinet or out of it (it comes back through this door). */
  holdsControlled(db: LocalDb): boolean {
    return Boolean(
      db
        .select({ id: chemicalInventory.container_id })
        .from(chemicalInventory)
        .where(
          and(
            eq(chemicalInventory.cabinet_id, this.cabinetId),
            isNotNull(chemicalInventory.dea_schedule),
            inArray(chemicalInventory.status, ["in_cabinet", "checked_out"]),
          ),
        )
        .get(),
    );
  }

  /** The container when it is a controlled substance. */
  controlled(db: LocalDb, containerId: string): ControlledContainer | undefined {
    const row = db
      .select()
      .from(chemicalInventory)
      .where(eq(chemicalInventory.container_id, containerId))
      .get();
    return row?.dea_schedule ? (row as ControlledContainer) : undefined;
  }

  cabinet(db: LocalDb) {
    return db.select().from(cabinets).where(eq(cabinets.cabinet_id, this.cabinetId)).get();
  }

  /** The latest completed scan of this cabinet that read the code. */
  lastSeenScan(db: LocalDb, qrCode: string) {
    return db
      .select({
        scan_id: scanResults.scan_id,
        at: scanResults.scan_timestamp,
        shelf: scanResults.shelf_id,
        image_key: scanResults.image_s3_key,
      })
      .from(scanResults)
      .where(
        and(
          eq(scanResults.cabinet_id, this.cabinetId),
          eq(scanResults.processing_status, "completed"),
          sql`EXISTS (SELECT 1 FROM json_each(${scanResults.qr_codes_found}) WHERE json_each.value = ${qrCode})`,
        ),
      )
      .orderBy(desc(scanResults.scan_timestamp))
      .get();
  }

  /** The container's latest transaction: who last had it in hand. */
  lastTransaction(db: LocalDb, containerId: string) {
    return db
      .select()
      .from(containerTransactions)
      .where(eq(containerTransactions.container_id, containerId))
      .orderBy(
        desc(
          sql`coalesce(${containerTransactions.actual_return_timestamp}, ${containerTransactions.checkout_timestamp}, ${containerTransactions.created_at})`,
        ),
      )
      .get();
  }
}
