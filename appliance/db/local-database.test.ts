// The appliance's SQLite model: migrations on start, constraints, the outbox written with each change,
// and the append-only event log.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadMigrations } from "../../shared/migrations.js";
import { fromRoot } from "../../shared/paths.js";
import { insertRecorded, updateRecorded } from "./change-recorder.js";
import { type LocalDatabase, migrateLocal, openLocalDatabase } from "./local-database.js";
import { cabinets, changeLog, chemicalInventory, containerTransactions, unifiedEventLog } from "./schema.js";

let dir: string;
let local: LocalDatabase;
const CABINET = "0b0e7c0e-4c34-4c8e-9a55-000000000001";

const bottle = (qr_code: string, extra: Partial<typeof chemicalInventory.$inferInsert> = {}) => ({
  cabinet_id: CABINET,
  qr_code,
  shelf_level: 1,
  chemical_name: "Ethanol",
  cas_number: "64-17-5",
  quantity: "1000.000",
  unit: "mL",
  ...extra,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lilo-local-"));
  local = openLocalDatabase(join(dir, "appliance.db"));
  local.db
    .insert(cabinets)
    .values({ cabinet_id: CABINET, lab_id: crypto.randomUUID(), cabinet_name: "C1", cabinet_code: "C1" })
    .run();
});
afterEach(() => {
  local.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("appliance SQLite", () => {
  it("runs in WAL mode and migrates once", () => {
    expect(local.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(migrateLocal(local.sqlite)).toEqual([]);
    local.close();
    local = openLocalDatabase(join(dir, "appliance.db"));
    const versions = local.sqlite.prepare("SELECT version FROM schema_migrations ORDER BY 1").pluck().all();
    expect(versions).toEqual(loadMigrations(fromRoot("appliance/db/migrations")).map((m) => m.version));
  });

  it("returns the shapes the cloud's driver returns", () => {
    const at = new Date("2026-11-29T10:00:00.000Z");
    const row = insertRecorded(local.db, chemicalInventory, {
      ...bottle("LILO:C:000001"),
      hazard_class: ["flammable"],
      ghs_pictograms: ["GHS02", "GHS07"],
      nfpa_rating: { health: 2, flammability: 3, reactivity: 0 },
      last_detected: at,
    });
    const [back] = local.db
      .select()
      .from(chemicalInventory)
      .where(eq(chemicalInventory.qr_code, "LILO:C:000001"))
      .all();
    expect(back).toEqual(row);
    expect(back!.last_detected).toEqual(at);
    expect(back!.ghs_pictograms).toEqual(["GHS02", "GHS07"]);
    expect(back!.nfpa_rating).toEqual({ health: 2, flammability: 3, reactivity: 0 });
    expect(back!.container_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects bad rows: unknown enum, shelf 0, duplicate QR code", () => {
    const c = insertRecorded(local.db, chemicalInventory, bottle("LILO:C:000002"));
    expect(() =>
      local.db
        .insert(chemicalInventory)
        .values(bottle("LILO:C:000003", { shelf_level: 0 }))
        .run(),
    ).toThrow(/CHECK constraint failed/);
    expect(() => local.db.insert(chemicalInventory).values(bottle("LILO:C:000002")).run()).toThrow(/UNIQUE/);
    expect(() =>
      local.db
        .insert(containerTransactions)
        .values({
          container_id: c.container_id,
          qr_code: c.qr_code,
          user_id: crypto.randomUUID(),
          transaction_type: "borrow" as never,
        })
        .run(),
    ).toThrow(/CHECK constraint failed/);
  });

  it("writes each change and its outbox row in one transaction", () => {
    const c = insertRecorded(local.db, chemicalInventory, bottle("LILO:C:000004"));
    updateRecorded(local.db, chemicalInventory, c.container_id, { status: "checked_out" });
    const changes = local.db.select().from(changeLog).all();
    expect(changes.map((ch) => [ch.entity, ch.op, ch.entity_id])).toEqual([
      ["chemical_inventory", "insert", c.container_id],
      ["chemical_inventory", "update", c.container_id],
    ]);
    expect(JSON.parse(changes[1]!.payload).status).toBe("checked_out");

    // A failure later in the same transaction takes the change and its outbox row with it.
    expect(() =>
      local.transaction((db) => {
        insertRecorded(db, chemicalInventory, bottle("LILO:C:000005"));
        insertRecorded(db, chemicalInventory, bottle("LILO:C:000005"));
      }),
    ).toThrow(/UNIQUE/);
    expect(local.db.select().from(chemicalInventory).all()).toHaveLength(1);
    expect(local.db.select().from(changeLog).all()).toHaveLength(2);
  });

  it("never reuses a change sequence number after the outbox is pruned", () => {
    const first = insertRecorded(local.db, chemicalInventory, bottle("LILO:C:000006"));
    const seqBefore = local.db.select().from(changeLog).all().at(-1)!.seq;
    local.db.delete(changeLog).run();
    updateRecorded(local.db, chemicalInventory, first.container_id, { quantity: "10.000" });
    expect(local.db.select().from(changeLog).all()[0]!.seq).toBe(seqBefore + 1);
  });

  it("keeps the event log append-only", () => {
    const e = insertRecorded(local.db, unifiedEventLog, { event_type: "access", cabinet_id: CABINET });
    expect(() =>
      local.db
        .update(unifiedEventLog)
        .set({ severity: "debug" })
        .where(eq(unifiedEventLog.event_id, e.event_id))
        .run(),
    ).toThrow(/append-only/);
    expect(() => local.db.delete(unifiedEventLog).run()).toThrow(/append-only/);
  });
});
