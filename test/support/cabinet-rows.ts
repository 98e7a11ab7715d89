// Rows a cabinet uploads, built by hand, and the attacks another cabinet's device could send against
// them: shared by the ingest medium test and the process-level hostile suite.
import { randomUUID } from "node:crypto";
import { eq, inArray, or, sql } from "drizzle-orm";
import { queryRows, type Tx } from "../../cloud/db/database.js";
import {
  cabinets,
  chemicalInventory,
  containerTransactions,
  departments,
  laboratories,
  safetyAlerts,
  scanResults,
  unifiedEventLog,
} from "../../shared/schema/tenant.js";
import type { Change, SyncedEntity } from "../../shared/sync/change.js";

type Row = Record<string, unknown>;

const PK: Record<SyncedEntity, string> = {
  chemical_inventory: "container_id",
  container_transactions: "transaction_id",
  scan_results: "scan_id",
  safety_alerts: "alert_id",
  unified_event_log: "event_id",
};

/** A row as it travels in a change: JSON (ISO timestamps), without generated columns. */
export function asPayload(row: Row): Row {
  const { tsv: _, ...rest } = row;
  return JSON.parse(JSON.stringify(rest)) as Row;
}

/** One change of `entity` carrying `payload` (its id taken from the payload); seq is set on sending. */
export function change(entity: SyncedEntity, payload: Row, op: Change["op"] = "update"): Change {
  return {
    seq: 1,
    entity,
    entity_id: payload[PK[entity]] as string,
    op,
    payload,
    recorded_at: new Date().toISOString(),
  };
}

/** Numbers the changes 1..n: each upload in these tests starts a change log of its own. */
export function numbered(changes: Change[]): { log_id: string; changes: Change[] } {
  return { log_id: randomUUID(), changes: changes.map((c, i) => ({ ...c, seq: i + 1 })) };
}

export const newEvent = (cabinet_id: string | null, extra: Row = {}): Change =>
  change(
    "unified_event_log",
    {
      event_id: randomUUID(),
      event_timestamp: new Date().toISOString(),
      event_type: "access",
      event_category: "user_action",
      severity: "info",
      cabinet_id,
      event_details: { action: "door_opened" },
      ...extra,
    },
    "insert",
  );

export const newContainer = (cabinet_id: string, extra: Row = {}): Change =>
  change(
    "chemical_inventory",
    {
      container_id: randomUUID(),
      cabinet_id,
      qr_code: `LILO:T:${randomUUID().slice(0, 12)}`,
      shelf_level: 1,
      chemical_name: "Ethanol",
      quantity: "1.000",
      unit: "L",
      status: "in_cabinet",
      ...extra,
    },
    "insert",
  );

export const newCheckout = (cabinet_id: string | null, container: Row, extra: Row = {}): Change =>
  change(
    "container_transactions",
    {
      transaction_id: randomUUID(),
      container_id: container.container_id,
      transaction_type: "checkout",
      qr_code: container.qr_code,
      user_id: randomUUID(),
      user_name: "Tina Technician",
      checkout_timestamp: new Date().toISOString(),
      source_cabinet_id: cabinet_id,
      source_shelf_level: container.shelf_level,
      status: "active",
      ...extra,
    },
    "insert",
  );

export const newAlert = (cabinet_id: string, extra: Row = {}): Change =>
  change(
    "safety_alerts",
    {
      alert_id: randomUUID(),
      cabinet_id,
      alert_type: "spill",
      severity: "high",
      detected_at: new Date().toISOString(),
      title: "Spill on shelf 2",
      status: "open",
      ...extra,
    },
    "insert",
  );

export const newScan = (cabinet_id: string, extra: Row = {}): Change =>
  change(
    "scan_results",
    {
      scan_id: randomUUID(),
      cabinet_id,
      shelf_id: 1,
      scan_timestamp: new Date().toISOString(),
      trigger_type: "manual",
      image_s3_key: "shelf1.jpg",
      processing_status: "completed",
      qr_codes_found: [],
      ...extra,
    },
    "insert",
  );

/** One row of each synced kind that belongs to a cabinet (as payloads, as read back from the cloud). */
export interface CabinetRows {
  container: Row;
  transaction: Row;
  alert: Row;
  event: Row;
  scan: Row;
}

/**
 * What a device of cabinet `intruder` could send against `victim`'s rows: each change on its own
 * must be refused with 403. Rows filed under the intruder's cabinet get past the payload check and
 * are stopped by the database (the conflict WHERE); rows naming the victim are stopped before.
 */
export function attacks(
  victim: CabinetRows,
  victimCabinet: string,
  intruder: string,
  intruderContainer: Row,
): [string, Change][] {
  const { container, transaction, alert, event, scan } = victim;
  return [
    [
      "move the victim's container to the intruder's cabinet",
      change("chemical_inventory", { ...container, cabinet_id: intruder, shelf_level: 2 }),
    ],
    [
      "mark the victim's container checked out (filed under the intruder)",
      change("chemical_inventory", { ...container, cabinet_id: intruder, status: "checked_out" }),
    ],
    [
      "mark the victim's container checked out (naming the victim's cabinet)",
      change("chemical_inventory", { ...container, status: "checked_out" }),
    ],
    [
      "re-insert the victim's container as new in the intruder's cabinet",
      change("chemical_inventory", { ...container, cabinet_id: intruder, chemical_name: "Water" }, "insert"),
    ],
    [
      "rewrite the victim's transaction (filed under the intruder)",
      change("container_transactions", {
        ...transaction,
        source_cabinet_id: intruder,
        user_id: randomUUID(),
        status: "returned",
      }),
    ],
    [
      "take over the victim's transaction, pointed at one of its own containers",
      change("container_transactions", {
        ...transaction,
        source_cabinet_id: intruder,
        container_id: intruderContainer.container_id,
        status: "lost",
      }),
    ],
    [
      "rewrite the victim's transaction (naming the victim's cabinet)",
      change("container_transactions", { ...transaction, status: "lost" }),
    ],
    ["forge a checkout naming the victim's cabinet", newCheckout(victimCabinet, container)],
    ["forge a checkout of the victim's container under its own cabinet", newCheckout(intruder, container)],
    [
      "forge a return of the victim's container into its own cabinet",
      newCheckout(intruder, container, {
        transaction_type: "return",
        status: "returned",
        return_cabinet_id: intruder,
      }),
    ],
    [
      "acknowledge the victim's alert (filed under the intruder)",
      change("safety_alerts", {
        ...alert,
        cabinet_id: intruder,
        status: "acknowledged",
        acknowledged_by: randomUUID(),
        acknowledged_at: new Date().toISOString(),
      }),
    ],
    [
      "acknowledge the victim's alert, its container left out",
      change("safety_alerts", { ...alert, cabinet_id: intruder, container_id: null, status: "acknowledged" }),
    ],
    [
      "acknowledge the victim's alert (naming the victim's cabinet)",
      change("safety_alerts", { ...alert, status: "acknowledged" }),
    ],
    ["raise an alert naming the victim's cabinet", newAlert(victimCabinet)],
    [
      "raise an alert about the victim's container",
      newAlert(intruder, { container_id: container.container_id }),
    ],
    [
      "replay the victim's event as its own",
      change(
        "unified_event_log",
        { ...event, cabinet_id: intruder, container_id: null, changes_summary: "forged" },
        "insert",
      ),
    ],
    ["log an event naming the victim's cabinet", newEvent(victimCabinet)],
    ["log an event naming no cabinet", newEvent(null)],
    [
      "log an event about the victim's container",
      newEvent(intruder, { container_id: container.container_id }),
    ],
    [
      "replay the victim's scan as its own",
      change("scan_results", { ...scan, cabinet_id: intruder, qr_codes_found: ["forged"] }, "insert"),
    ],
    [
      "file a scan whose before photo is the victim's shelf",
      newScan(intruder, { shelf_id: scan.shelf_id, previous_scan_id: scan.scan_id }),
    ],
  ];
}

/**
 * Every row filed under `cabinetId`, or naming one of its containers, in the five synced tables:
 * what no other cabinet's upload may change.
 */
export async function cabinetSnapshot(tx: Tx, cabinetId: string): Promise<Record<string, Row[]>> {
  const containers = await tx
    .select()
    .from(chemicalInventory)
    .where(eq(chemicalInventory.cabinet_id, cabinetId))
    .orderBy(chemicalInventory.container_id);
  const ids = containers.map((c) => c.container_id);
  const naming = <T extends { container_id: unknown }>(t: T) =>
    ids.length ? inArray(t.container_id as never, ids) : sql`false`;
  const ct = containerTransactions;
  return {
    containers,
    transactions: await tx
      .select()
      .from(ct)
      .where(or(eq(ct.source_cabinet_id, cabinetId), eq(ct.return_cabinet_id, cabinetId), naming(ct)))
      .orderBy(ct.transaction_id),
    alerts: await tx
      .select()
      .from(safetyAlerts)
      .where(or(eq(safetyAlerts.cabinet_id, cabinetId), naming(safetyAlerts)))
      .orderBy(safetyAlerts.alert_id),
    events: await tx
      .select()
      .from(unifiedEventLog)
      .where(or(eq(unifiedEventLog.cabinet_id, cabinetId), naming(unifiedEventLog)))
      .orderBy(unifiedEventLog.event_id),
    scans: await tx
      .select()
      .from(scanResults)
      .where(eq(scanResults.cabinet_id, cabinetId))
      .orderBy(scanResults.scan_id),
  };
}

/** The current rows behind a cabinet's fixtures, as payloads to build changes from. */
export async function readRows(tx: Tx, ids: Record<keyof CabinetRows, string>): Promise<CabinetRows> {
  const one = async <T>(rows: Promise<T[]>) => asPayload((await rows)[0] as Row);
  return {
    container: await one(
      tx.select().from(chemicalInventory).where(eq(chemicalInventory.container_id, ids.container)),
    ),
    transaction: await one(
      tx
        .select()
        .from(containerTransactions)
        .where(eq(containerTransactions.transaction_id, ids.transaction)),
    ),
    alert: await one(tx.select().from(safetyAlerts).where(eq(safetyAlerts.alert_id, ids.alert))),
    event: await one(tx.select().from(unifiedEventLog).where(eq(unifiedEventLog.event_id, ids.event))),
    scan: await one(tx.select().from(scanResults).where(eq(scanResults.scan_id, ids.scan))),
  };
}

/** Which of these changes' rows exist in the cloud (ids, whatever their content). */
export async function existingRows(tx: Tx, changes: Change[]): Promise<string[]> {
  const found: string[] = [];
  for (const c of changes) {
    const rows = await queryRows<{ id: string }>(
      tx,
      sql`SELECT ${sql.identifier(PK[c.entity])}::text AS id FROM ${sql.identifier(c.entity)} WHERE ${sql.identifier(PK[c.entity])} = ${c.entity_id}`,
    );
    found.push(...rows.map((r) => r.id));
  }
  return found;
}

/** A department, lab and cabinet in the tenant `tx` works in, returning the cabinet id. */
export async function seedCabinet(tx: Tx, code: string): Promise<string> {
  const [dept] = await tx.insert(departments).values({ dept_name: "Chemistry" }).returning();
  const [lab] = await tx
    .insert(laboratories)
    .values({ dept_id: dept!.dept_id, lab_name: "Lab 1" })
    .returning();
  const [cab] = await tx
    .insert(cabinets)
    .values({ lab_id: lab!.lab_id, cabinet_name: "Flammables", cabinet_code: code })
    .returning();
  return cab!.cabinet_id;
}
