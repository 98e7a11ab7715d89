// A scripted cabinet session on the simulator, through the simulator's HTTP API: the cabinet records
// by itself who took, returned or moved which container.
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import {
  changeLog,
  chemicalInventory,
  containerTransactions,
  scanResults,
  unifiedEventLog,
} from "../appliance/db/schema.js";
import { labelFor } from "../appliance/sim/sim-seed.js";
import {
  MANAGER,
  restartSimAppliance,
  type SimAppliance,
  startSimAppliance,
  TECH,
} from "./support/sim-appliance.js";

let cab: SimAppliance;
afterEach(() => cab?.dispose());

function waitForScan(a: SimAppliance): Promise<{ scan_ids: string[] }> {
  return new Promise((resolve) => a.appliance.events.on({}, "scan.completed", (e) => resolve(e)));
}

const actions = (a: SimAppliance) =>
  a.appliance.database.db
    .select()
    .from(unifiedEventLog)
    .all()
    .map((e) => (e.event_details as { action: string }).action);

describe("cabinet session on the simulator", () => {
  it("badge, take two, move one, close: two checkouts and one transfer by that person", async () => {
    cab = await startSimAppliance({ containers: 8 });
    // Seeded: labels 1..8 over shelves 1..4 (label n on shelf ((n-1) % 4) + 1).
    const scanned = waitForScan(cab);
    expect((await cab.sim("POST", "/badge", { badge: TECH.badge })).json).toMatchObject({ granted: true });
    expect((await cab.sim("GET", "/state")).json).toMatchObject({ lock: "unlocked", door: "closed" });
    expect((await cab.sim("POST", "/door", { open: true })).status).toBe(200);
    expect((await cab.sim("DELETE", `/shelves/1/containers/${encodeURIComponent(labelFor(1))}`)).status).toBe(
      204,
    );
    expect((await cab.sim("DELETE", `/shelves/2/containers/${encodeURIComponent(labelFor(2))}`)).status).toBe(
      204,
    );
    // Move label 3 from shelf 3 to shelf 4.
    expect((await cab.sim("DELETE", `/shelves/3/containers/${encodeURIComponent(labelFor(3))}`)).status).toBe(
      204,
    );
    expect(
      (await cab.sim("POST", "/shelves/4/containers", { qr_code: labelFor(3), x: 0.86, y: 0.5 })).status,
    ).toBe(201);
    await cab.sim("POST", "/door", { open: false });
    await scanned;

    const { db } = cab.appliance.database;
    const txns = db.select().from(containerTransactions).all();
    expect(txns.map((t) => [t.transaction_type, t.qr_code, t.user_id]).sort()).toEqual(
      [
        ["checkout", labelFor(1), TECH.user_id],
        ["checkout", labelFor(2), TECH.user_id],
        ["transfer", labelFor(3), TECH.user_id],
      ].sort(),
    );
    const transfer = txns.find((t) => t.transaction_type === "transfer")!;
    expect([transfer.source_shelf_level, transfer.return_shelf_level]).toEqual([3, 4]);
    const inv = (n: number) =>
      db
        .select()
        .from(chemicalInventory)
        .where(eq(chemicalInventory.qr_code, labelFor(n)))
        .get()!;
    expect(inv(1).status).toBe("checked_out");
    expect(inv(3)).toMatchObject({ status: "in_cabinet", shelf_level: 4 });
    expect(inv(5)).toMatchObject({ status: "in_cabinet", shelf_level: 1 });

    expect(actions(cab)).toEqual([
      "auth_granted",
      "unlocked",
      "door_opened",
      "door_closed",
      "relocked",
      "checkout",
      "checkout",
      "transfer",
      "scan_completed",
    ]);
    // Each shelf's result keeps where every code was read.
    for (const scan of db.select().from(scanResults).all()) {
      expect(scan.code_locations!.read.map((r) => r.text).sort()).toEqual([...scan.qr_codes_found!].sort());
      for (const r of scan.code_locations!.read) expect(r.corners).toHaveLength(4);
    }
    // Every event, transaction and inventory change is in the outbox.
    const changes = db.select().from(changeLog).all();
    const events = db.select().from(unifiedEventLog).all();
    for (const e of events) expect(changes.some((c) => c.entity_id === e.event_id)).toBe(true);
    for (const t of txns)
      expect(
        changes.some((c) => c.entity === "container_transactions" && c.entity_id === t.transaction_id),
      ).toBe(true);
    expect((await cab.sim("GET", "/state")).json).toMatchObject({ lock: "locked", door: "closed" });
  });

  it("a returned container closes the open checkout", async () => {
    cab = await startSimAppliance({ containers: 4 });
    let scanned = waitForScan(cab);
    await cab.sim("POST", "/badge", { badge: TECH.badge });
    await cab.sim("POST", "/door", { open: true });
    await cab.sim("DELETE", `/shelves/2/containers/${encodeURIComponent(labelFor(2))}`);
    await cab.sim("POST", "/door", { open: false });
    await scanned;
    scanned = waitForScan(cab);
    await cab.sim("POST", "/badge", { badge: MANAGER.badge });
    await cab.sim("POST", "/door", { open: true });
    await cab.sim("POST", "/shelves/1/containers", { qr_code: labelFor(2), x: 0.8, y: 0.5 });
    await cab.sim("POST", "/door", { open: false });
    await scanned;
    const txns = cab.appliance.database.db.select().from(containerTransactions).all();
    const checkout = txns.find((t) => t.transaction_type === "checkout")!;
    const ret = txns.find((t) => t.transaction_type === "return")!;
    expect(checkout.status).toBe("returned");
    expect(ret).toMatchObject({
      parent_transaction_id: checkout.transaction_id,
      return_shelf_level: 1,
      user_id: MANAGER.user_id,
    });
  });

  it("a badge right after the door closes waits for that session's scan: takes go to the right person", async () => {
    cab = await startSimAppliance({ containers: 8 });
    await cab.sim("POST", "/badge", { badge: TECH.badge });
    await cab.sim("POST", "/door", { open: true });
    await cab.sim("DELETE", `/shelves/1/containers/${encodeURIComponent(labelFor(1))}`);
    await cab.sim("POST", "/door", { open: false });
    // The manager badges at once; the first scan must not see what the manager takes next.
    expect((await cab.sim("POST", "/badge", { badge: MANAGER.badge })).json).toMatchObject({ granted: true });
    const scanned = waitForScan(cab);
    await cab.sim("POST", "/door", { open: true });
    await cab.sim("DELETE", `/shelves/2/containers/${encodeURIComponent(labelFor(2))}`);
    await cab.sim("POST", "/door", { open: false });
    await scanned;
    const txns = cab.appliance.database.db.select().from(containerTransactions).all();
    expect(txns.map((t) => [t.qr_code, t.user_id]).sort()).toEqual(
      [
        [labelFor(1), TECH.user_id],
        [labelFor(2), MANAGER.user_id],
      ].sort(),
    );
  });

  it("a wrong badge never unlocks, and the denial is on record", async () => {
    cab = await startSimAppliance({ containers: 2 });
    for (const badge of ["BADGE-9999", "", "x".repeat(129)]) {
      const r = await cab.sim("POST", "/badge", { badge });
      if (badge === "BADGE-9999")
        // One answer for every refusal; the event log keeps the real reason.
        expect(r.json).toEqual({ granted: false, reason: "denied" });
      else expect(r.status).toBe(400);
    }
    expect((await cab.sim("GET", "/state")).json).toMatchObject({ lock: "locked" });
    expect((await cab.sim("POST", "/door", { open: true })).status).toBe(409);
    expect(actions(cab)).toEqual(["auth_denied"]);
  });

  it("a dual-approval cabinet opens only for two different people", async () => {
    // The seeded cabinet row says dual approval; the appliance reads it at start.
    cab = await restartSimAppliance(await startSimAppliance({ containers: 2, requiresDualApproval: true }));
    expect((await cab.sim("POST", "/badge", { badge: TECH.badge })).json).toMatchObject({
      granted: false,
      awaiting_second: true,
    });
    expect((await cab.sim("POST", "/badge", { badge: TECH.badge })).json).toMatchObject({ granted: false });
    expect((await cab.sim("GET", "/state")).json).toMatchObject({ lock: "locked" });
    expect((await cab.sim("POST", "/badge", { badge: MANAGER.badge })).json).toMatchObject({ granted: true });
    expect((await cab.sim("GET", "/state")).json).toMatchObject({ lock: "unlocked" });
  });

  it("a forced door is a critical event and removals are flagged, not pinned on anyone", async () => {
    cab = await startSimAppliance({ containers: 4 });
    const scanned = waitForScan(cab);
    await cab.sim("POST", "/door", { open: true, force: true });
    await cab.sim("DELETE", `/shelves/1/containers/${encodeURIComponent(labelFor(1))}`);
    await cab.sim("POST", "/door", { open: false });
    await scanned;
    const { db } = cab.appliance.database;
    expect(db.select().from(containerTransactions).all()).toEqual([]);
    const forced = db
      .select()
      .from(unifiedEventLog)
      .all()
      .find((e) => (e.event_details as { action: string }).action === "door_forced")!;
    expect(forced.severity).toBe("critical");
    expect(actions(cab)).toContain("container_missing");
  });

  it("drives the lock to its safe state when the service stops", async () => {
    cab = await startSimAppliance({ containers: 1 });
    await cab.sim("POST", "/badge", { badge: TECH.badge });
    expect(cab.appliance.sim!.lockState()).toBe("unlocked");
    await cab.appliance.stop();
    expect(cab.appliance.sim!.lockState()).toBe("locked");
    // After a restart the persisted cabinet still reads locked.
    cab = await restartSimAppliance(cab);
    expect((await cab.sim("GET", "/state")).json).toMatchObject({ lock: "locked" });
  });
});
