// This cabinet's safety_alerts rows and what the rules read: its containers and its storage type. Rows and
// their outbox entries are written in the caller's transaction.
import { and, eq, inArray } from "drizzle-orm";
import { ACTIVE_ALERT_STATUSES } from "../../shared/safety/alert-workflow.js";
import { type RuleCabinet, type RuleContainer, ruleColumns } from "../../shared/safety/safety-rules.js";
import { insertRecorded } from "../db/change-recorder.js";
import type { LocalDb } from "../db/local-database.js";
import { cabinets, chemicalInventory, safetyAlerts, scanResults } from "../db/schema.js";

export type AlertRow = typeof safetyAlerts.$inferSelect;
export type NewAlert = typeof safetyAlerts.$inferInsert;
export type ScanRow = typeof scanResults.$inferSelect;

export class AlertRepository {
  constructor(private readonly cabinetId: string) {}

  cabinet(db: LocalDb): RuleCabinet | undefined {
    return db
      .select({
        cabinet_id: cabinets.cabinet_id,
        lab_id: cabinets.lab_id,
        storage_type: cabinets.storage_type,
      })
      .from(cabinets)
      .where(eq(cabinets.cabinet_id, this.cabinetId))
      .get();
  }

  containers(db: LocalDb): RuleContainer[] {
    return db
      .select(ruleColumns(chemicalInventory))
      .from(chemicalInventory)
      .where(eq(chemicalInventory.cabinet_id, this.cabinetId))
      .all();
  }

  scans(db: LocalDb, scanIds: string[]): ScanRow[] {
    if (scanIds.length === 0) return [];
    return db
      .select()
      .from(scanResults)
      .where(and(eq(scanResults.cabinet_id, this.cabinetId), inArray(scanResults.scan_id, scanIds)))
      .all();
  }

  exists(db: LocalDb, alertId: string): boolean {
    return Boolean(
      db
        .select({ id: safetyAlerts.alert_id })
        .from(safetyAlerts)
        .where(eq(safetyAlerts.alert_id, alertId))
        .get(),
    );
  }

  /** An alert of this type on this shelf that nobody has closed yet. */
  activeOnShelf(db: LocalDb, alertType: AlertRow["alert_type"], shelf: number): AlertRow | undefined {
    return db
      .select()
      .from(safetyAlerts)
      .where(
        and(
          eq(safetyAlerts.cabinet_id, this.cabinetId),
          eq(safetyAlerts.alert_type, alertType),
          eq(safetyAlerts.shelf_id, shelf),
          inArray(safetyAlerts.status, [...ACTIVE_ALERT_STATUSES]),
        ),
      )
      .get();
  }

  insert(db: LocalDb, row: NewAlert): AlertRow {
    return insertRecorded(db, safetyAlerts, row);
  }
}
