// Applying the cloud's downlink: the cloud's fields win, the cabinet's observations stay, and nothing
// with unsent local changes is dropped.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DownlinkSnapshot } from "../../shared/sync/downlink.js";
import { updateRecorded } from "../db/change-recorder.js";
import { type LocalDatabase, openLocalDatabase } from "../db/local-database.js";
import { chemicalInventory, localUsers } from "../db/schema.js";
import { applySnapshot } from "./sync.service.js";

const scope = { org_id: randomUUID(), dept_id: randomUUID(), lab_id: randomUUID(), cabinet_id: randomUUID() };
const container = (qr: string, extra: Record<string, unknown> = {}) => ({
  container_id: randomUUID(),
  cabinet_id: scope.cabinet_id,
  qr_code: qr,
  shelf_level: 1,
  chemical_name: "Ethanol",
  quantity: "1000.000",
  unit: "mL",
  status: "in_cabinet",
  ...extra,
});
const snapshot = (containers: Record<string, unknown>[]): DownlinkSnapshot => ({
  version: randomUUID(),
  scope,
  credential_secret: "secret-secret-secret",
  cabinet: {
    cabinet_id: scope.cabinet_id,
    lab_id: scope.lab_id,
    cabinet_name: "C",
    cabinet_code: "C",
    num_shelves: 4,
  },
  roles: [],
  assignments: [],
  people: [
    {
      user_id: randomUUID(),
      display_name: "Tina",
      email: null,
      badge_hash: "ab",
      pin_hash: null,
      status: "active",
    },
  ],
  containers,
});

let dir: string;
let local: LocalDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lilo-downlink-"));
  local = openLocalDatabase(join(dir, "a.db"));
});
afterEach(() => {
  local.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("applySnapshot", () => {
  it("keeps the cabinet's observations and takes the cloud's description", () => {
    const a = container("LILO:C:000001");
    local.transaction((db) => applySnapshot(db, snapshot([a])));
    local.db
      .update(chemicalInventory)
      .set({ status: "checked_out", shelf_level: 3 })
      .where(eq(chemicalInventory.container_id, a.container_id))
      .run();
    local.transaction((db) =>
      applySnapshot(
        db,
        snapshot([{ ...a, chemical_name: "Ethanol absolute", status: "in_cabinet", shelf_level: 1 }]),
      ),
    );
    const row = local.db
      .select()
      .from(chemicalInventory)
      .where(eq(chemicalInventory.container_id, a.container_id))
      .get()!;
    expect(row).toMatchObject({ chemical_name: "Ethanol absolute", status: "checked_out", shelf_level: 3 });
    expect(local.db.select().from(localUsers).all()).toHaveLength(1);
  });

  it("drops containers the cloud no longer lists, except those with unsent changes", () => {
    const a = container("LILO:C:000001");
    const b = container("LILO:C:000002");
    local.transaction((db) => applySnapshot(db, snapshot([a, b])));
    updateRecorded(local.db, chemicalInventory, b.container_id, { status: "checked_out" });
    local.transaction((db) => applySnapshot(db, snapshot([])));
    expect(
      local.db
        .select()
        .from(chemicalInventory)
        .all()
        .map((c) => c.qr_code),
    ).toEqual(["LILO:C:000002"]);
  });
});
