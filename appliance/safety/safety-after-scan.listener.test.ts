// The cabinet's safety checks on a real SQLite database: a scan completes on the bus, the rules and the
// spill detector's results raise alerts with their outbox rows, the live channel gets each
// alert once, and a second scan of the same cabinet raises nothing again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger as logger } from "../../shared/logger.js";
import { SAFETY_ALERT_EVENT } from "../../shared/mqtt/topics.js";
import { insertRecorded } from "../db/change-recorder.js";
import { type LocalDatabase, openLocalDatabase } from "../db/local-database.js";
import { cabinets, changeLog, chemicalInventory, safetyAlerts, scanResults } from "../db/schema.js";
import { EventBus } from "../event-bus.js";
import { LiveEventsListener } from "../mqtt/live-events.listener.js";
import { AlertRepository } from "./alert.repository.js";
import { SafetyAfterScanListener } from "./safety-after-scan.listener.js";
import { SafetyCheckService } from "./safety-check.service.js";

const scope = {
  org_id: "0b0e7c0e-4c34-4c8e-9a55-0000000000aa",
  lab_id: "0b0e7c0e-4c34-4c8e-9a55-0000000000bb",
  cabinet_id: "0b0e7c0e-4c34-4c8e-9a55-000000000001",
};
let dir: string;
let local: LocalDatabase;
let bus: EventBus;
let published: { type: string; data: Record<string, unknown> }[];
let stopAll: () => void;

const bottle = (qr: string, extra: Partial<typeof chemicalInventory.$inferInsert>) =>
  insertRecorded(local.db, chemicalInventory, {
    cabinet_id: scope.cabinet_id,
    qr_code: qr,
    shelf_level: 1,
    chemical_name: "Ethanol",
    quantity: "1000",
    unit: "mL",
    status: "in_cabinet",
    ...extra,
  });

const scan = (shelf: number, spill: Partial<typeof scanResults.$inferInsert> = {}) =>
  insertRecorded(local.db, scanResults, {
    cabinet_id: scope.cabinet_id,
    shelf_id: shelf,
    trigger_type: "motion",
    image_s3_key: `scans/shelf-${shelf}.jpg`,
    processing_status: "completed",
    ...spill,
  }).scan_id;

/**
 * Emits scan.completed and resolves once every listener has handled it: bus listeners run as microtasks
 * in the order they were registered, so a last one registered now runs after the safety listener, and
 * setImmediate comes after the microtasks that listener queued (alert.raised, the live publish).
 */
async function completeScan(scanIds: string[]): Promise<void> {
  const owner = {};
  const handled = new Promise<void>((resolve) => bus.on(owner, "scan.completed", () => resolve()));
  bus.emit("scan.completed", { scan_ids: scanIds });
  await handled;
  bus.removeOwner(owner);
  await new Promise((resolve) => setImmediate(resolve));
}

const alerts = () => local.db.select().from(safetyAlerts).all();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alerts-safety-"));
  local = openLocalDatabase(join(dir, "appliance.db"));
  local.db
    .insert(cabinets)
    .values({
      cabinet_id: scope.cabinet_id,
      lab_id: scope.lab_id,
      cabinet_name: "Flammables",
      cabinet_code: "FL-1",
      storage_type: "flammable",
    })
    .run();
  bus = new EventBus(logger);
  published = [];
  const checks = new SafetyCheckService({
    local,
    scope,
    alerts: new AlertRepository(scope.cabinet_id),
    thresholds: { spill: 0.6, breakage: 0.7 },
    now: () => new Date("2026-12-06T10:00:00Z"),
  });
  const listeners = [
    new SafetyAfterScanListener({ bus, checks, logger }),
    new LiveEventsListener({
      bus,
      link: { publishEvent: (type, data = {}) => published.push({ type, data }) > 0 },
    }),
  ];
  for (const l of listeners) l.start();
  stopAll = () => {
    for (const l of listeners) l.stop();
  };
});
afterEach(() => {
  stopAll();
  local.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("safety checks after a scan", () => {
  it("raises each rule's alert once, with its outbox row, and sends it live", async () => {
    const acetone = bottle("LILO:C:000001", {
      chemical_name: "Acetone",
      chemical_formula: "C3H6O",
      hazard_class: ["flammable"],
      h_statements: ["H225"],
      expiry_date: "2026-11-30",
    });
    const nitric = bottle("LILO:C:000002", {
      chemical_name: "Nitric acid 65%",
      cas_number: "7697-37-2",
      hazard_class: ["oxidizer", "corrosive"],
      h_statements: ["H272", "H290", "H314"],
      shelf_level: 3,
    });
    await completeScan([scan(1)]);

    const rows = alerts();
    expect(rows.map((r) => `${r.alert_type}:${r.hazard_type}:${r.severity}`).sort()).toEqual([
      "expired_chemical:expired:medium",
      "incompatible_storage:oxidizer+flammable:critical",
      "incompatible_storage:oxidizer-in-flammable:high",
    ]);
    const pair = rows.find((r) => r.hazard_type === "oxidizer+flammable")!;
    expect(pair.affected_containers?.sort()).toEqual([acetone.container_id, nitric.container_id].sort());
    expect(pair).toMatchObject({ cabinet_id: scope.cabinet_id, lab_id: scope.lab_id, status: "open" });

    const outbox = local.db.select().from(changeLog).where(eq(changeLog.entity, "safety_alerts")).all();
    expect(outbox.map((c) => c.entity_id).sort()).toEqual(rows.map((r) => r.alert_id).sort());

    const live = published.filter((p) => p.type === SAFETY_ALERT_EVENT).map((p) => p.data.alert);
    expect(live).toHaveLength(3);
    expect(live).toContainEqual(expect.objectContaining({ alert_id: pair.alert_id, severity: "critical" }));
    expect(published.filter((p) => p.type === "alert_raised")).toHaveLength(3);

    await completeScan([scan(1)]);
    expect(alerts()).toHaveLength(3);
    expect(published.filter((p) => p.type === SAFETY_ALERT_EVENT)).toHaveLength(3);
  });

  it("raises a spill above its threshold with the image and region, once while it is open", async () => {
    bottle("LILO:C:000003", {
      chemical_name: "Hydrochloric acid 37%",
      cas_number: "7647-01-0",
      hazard_class: ["corrosive"],
      h_statements: ["H290", "H314", "H335"],
      shelf_level: 2,
    });
    const region = { x: 120, y: 340, w: 200, h: 90 };
    await completeScan([
      scan(2, { spill_detected: true, spill_confidence: "0.5500", spill_location: region }),
    ]);
    expect(alerts().filter((a) => a.alert_type === "spill")).toEqual([]);

    const seen = scan(2, { spill_detected: true, spill_confidence: "0.9100", spill_location: region });
    await completeScan([seen, scan(1, { breakage_detected: true, breakage_confidence: "0.6900" })]);
    const spills = alerts().filter((a) => a.alert_type === "spill" || a.alert_type === "breakage");
    expect(spills).toHaveLength(1);
    expect(spills[0]).toMatchObject({
      alert_type: "spill",
      severity: "high",
      shelf_id: 2,
      scan_id: seen,
      confidence: "0.9100",
      detection_method: "computer_vision",
      image_references: ["scans/shelf-2.jpg"],
      affected_area_description: "Shelf 2, region x=120 y=340 200×90 px of the shelf image",
      sensor_data: { region, confidence: 0.91, threshold: 0.6 },
    });

    await completeScan([
      scan(2, { spill_detected: true, spill_confidence: "0.9500", spill_location: region }),
    ]);
    expect(alerts().filter((a) => a.alert_type === "spill")).toHaveLength(1);
  });
});
