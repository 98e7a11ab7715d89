// Controlled substances at a real (simulated) cabinet: a container with a DEA schedule makes the cabinet
// open only for two different people; each access is an access event signed by both ("performed",
// "witnessed") in the cabinet's hash chain; a controlled container gone with nobody to answer for it
// raises a theft/loss alert at once, with the DEA Form 106 facts and the shelf images, shown on the kiosk.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { chemicalInventory, unifiedEventLog } from "../appliance/db/schema.js";
import type { AlertRow } from "../appliance/safety/alert.repository.js";
import { eventRecordHash, nextEventLink } from "../shared/audit/audit-hash.js";
import { labelFor } from "../shared/labels/label-code.js";
import { MANAGER, type SimAppliance, startSimAppliance, TECH } from "./support/sim-appliance.js";

let cab: SimAppliance;
afterEach(() => cab?.dispose());

type Event = typeof unifiedEventLog.$inferSelect;
const details = (e: Event) => e.event_details as Record<string, unknown>;
const events = (action: string) =>
  cab.appliance.database.db
    .select()
    .from(unifiedEventLog)
    .all()
    .filter((e) => details(e).action === action);

/** Label n as a schedule II substance of 10 mg/mL (seeded labels 1..n over shelves 1..4). */
function makeControlled(n: number) {
  cab.appliance.database.db
    .update(chemicalInventory)
    .set({ dea_schedule: "II", concentration: "10.0000", concentration_unit: "mg/mL" })
    .where(eq(chemicalInventory.qr_code, labelFor(n)))
    .run();
}

const waitFor = <T>(event: "scan.completed" | "alert.raised") =>
  new Promise<T>((resolve) => cab.appliance.events.on({}, event, (e) => resolve(e as T)));

async function kiosk(path: string) {
  return (await (await fetch(`${cab.url}/api/kiosk${path}`)).json()) as Record<string, unknown>;
}

describe("controlled substances at the cabinet", { timeout: 240_000 }, () => {
  it("a cabinet holding a controlled container opens only for two different people", async () => {
    cab = await startSimAppliance({ containers: 4 });
    makeControlled(2);
    expect(await kiosk("/status")).toMatchObject({ cabinet: { dual_approval: true, controlled: true } });
    // One person alone, badging twice, never unlocks; the door cannot be opened without forcing it.
    expect((await cab.sim("POST", "/badge", { badge: TECH.badge })).json).toMatchObject({
      granted: false,
      awaiting_second: true,
    });
    expect((await cab.sim("POST", "/badge", { badge: TECH.badge })).json).toMatchObject({ granted: false });
    expect((await cab.sim("GET", "/state")).json).toMatchObject({ lock: "locked" });
    expect((await cab.sim("POST", "/door", { open: true })).status).toBe(409);
    expect(events("auth_granted")).toEqual([]);
    expect(details(events("auth_first_approval")[0]!)).toMatchObject({ reason: "controlled_substance" });
    // A second, different person opens it, and both are on the session.
    expect((await cab.sim("POST", "/badge", { badge: MANAGER.badge })).json).toMatchObject({ granted: true });
    expect((await cab.sim("GET", "/state")).json).toMatchObject({ lock: "unlocked" });
    expect(details(events("auth_granted")[0]!).approvers).toEqual([TECH.user_id, MANAGER.user_id]);
  });

  it("without a controlled container, the same cabinet opens for one person", async () => {
    cab = await startSimAppliance({ containers: 4 });
    expect((await cab.sim("POST", "/badge", { badge: TECH.badge })).json).toMatchObject({ granted: true });
  });

  it("a checkout and a count are access events signed by both people, in the cabinet's hash chain", async () => {
    cab = await startSimAppliance({ containers: 4 });
    makeControlled(1);
    makeControlled(2);
    const scanned = waitFor("scan.completed");
    await cab.sim("POST", "/badge", { badge: TECH.badge });
    await cab.sim("POST", "/badge", { badge: MANAGER.badge });
    await cab.sim("POST", "/door", { open: true });
    await cab.sim("DELETE", `/shelves/1/containers/${encodeURIComponent(labelFor(1))}`);
    await cab.sim("POST", "/door", { open: false });
    await scanned;

    const accesses = events("controlled_access");
    expect(accesses.map((e) => [details(e).access, e.qr_code]).sort()).toEqual([
      ["checkout", labelFor(1)],
      ["count", labelFor(2)],
    ]);
    const checkout = accesses.find((e) => details(e).access === "checkout")!;
    expect(checkout).toMatchObject({
      user_id: TECH.user_id,
      dea_relevant: true,
      compliance_flags: { audit_category: "controlled_substance", regulation: "DEA_21_CFR_1304" },
    });
    expect(details(checkout)).toMatchObject({ dea_schedule: "II", strength: "10.0000 mg/mL" });
    expect(typeof details(checkout).transaction_id).toBe("string");

    const signatures = events("electronic_signature").filter((s) => s.related_event_id === checkout.event_id);
    expect(signatures.map((s) => [s.user_id, details(s).meaning])).toEqual([
      [TECH.user_id, "performed"],
      [MANAGER.user_id, "witnessed"],
    ]);
    for (const s of signatures) {
      expect(details(s)).toMatchObject({
        record_type: "controlled_substance_access",
        record_id: checkout.event_id,
        record_hash: eventRecordHash(checkout as Record<string, unknown>),
        method: "badge",
      });
      expect(s.compliance_flags).toMatchObject({ audit_category: "controlled_substance" });
    }
    // Every row links to the one before it: the signatures cannot be removed or reordered unseen.
    const chain = cab.appliance.database.db.select().from(unifiedEventLog).all();
    chain.sort((a, b) => a.chain_seq! - b.chain_seq!);
    let head: { seq: number; hash: string } | undefined;
    for (const row of chain) {
      expect(row.row_hash).toBe(nextEventLink(row.chain_id!, head, row as Record<string, unknown>).row_hash);
      head = { seq: row.chain_seq!, hash: row.row_hash! };
    }

    // Someone with the SQLite file edits the access afterwards: the signatures no longer match it.
    const { sqlite } = cab.appliance.database;
    sqlite.exec("DROP TRIGGER unified_event_log_no_update");
    sqlite
      .prepare("UPDATE unified_event_log SET changes_summary = 'nothing taken' WHERE event_id = ?")
      .run(checkout.event_id);
    const edited = events("controlled_access").find((e) => e.event_id === checkout.event_id)!;
    expect(eventRecordHash(edited as Record<string, unknown>)).not.toBe(details(signatures[0]!).record_hash);
  });

  it("a controlled container gone with no checkout raises theft_loss at once with the Form 106 facts", async () => {
    cab = await startSimAppliance({ containers: 4 });
    makeControlled(3);
    // A first session counts it on shelf 3: that scan is where it was last seen.
    let scanned = waitFor<{ scan_ids: string[] }>("scan.completed");
    await cab.sim("POST", "/badge", { badge: TECH.badge });
    await cab.sim("POST", "/badge", { badge: MANAGER.badge });
    await cab.sim("POST", "/door", { open: true });
    await cab.sim("POST", "/door", { open: false });
    const seenBy = await scanned;

    // Then the door is forced and it is taken: nobody authenticated, so nobody checked it out.
    const raised = waitFor<AlertRow>("alert.raised");
    scanned = waitFor("scan.completed");
    await cab.sim("POST", "/door", { open: true, force: true });
    await cab.sim("DELETE", `/shelves/3/containers/${encodeURIComponent(labelFor(3))}`);
    await cab.sim("POST", "/door", { open: false });
    const alert = await raised;
    await scanned;

    const container = cab.appliance.database.db
      .select()
      .from(chemicalInventory)
      .where(eq(chemicalInventory.qr_code, labelFor(3)))
      .get()!;
    expect(alert).toMatchObject({
      alert_type: "theft_loss",
      severity: "critical",
      status: "open",
      shelf_id: 3,
      container_id: container.container_id,
      requires_regulatory_report: true,
    });
    const facts = (alert.sensor_data as { form_106: Record<string, unknown> }).form_106;
    const seenScan = cab.appliance.database.sqlite
      .prepare(
        "SELECT scan_id, scan_timestamp, image_s3_key FROM scan_results WHERE shelf_id = 3 AND scan_id IN (SELECT value FROM json_each(?))",
      )
      .get(JSON.stringify(seenBy.scan_ids)) as {
      scan_id: string;
      scan_timestamp: string;
      image_s3_key: string;
    };
    expect(facts).toMatchObject({
      registrant_org_id: cab.appliance.config.cabinet!.org_id,
      substance: container.chemical_name,
      dea_schedule: "II",
      cas_number: container.cas_number,
      quantity: container.quantity,
      unit: container.unit,
      strength: "10.0000 mg/mL",
      container_id: container.container_id,
      last_seen: { scan_id: seenScan.scan_id, at: seenScan.scan_timestamp, shelf: 3 },
      cabinet: { cabinet_id: cab.appliance.config.cabinet!.cabinet_id, code: "CAB-A" },
      shelf: 3,
    });
    expect(Date.parse(String(facts.discovered_at))).toBeGreaterThan(Date.parse(seenScan.scan_timestamp));
    // The shelf's picture now (the missing bottle) and when it was last seen.
    expect(alert.image_references).toHaveLength(2);
    expect(alert.image_references).toContain(seenScan.image_s3_key);
    const now = cab.appliance.database.sqlite
      .prepare("SELECT image_s3_key FROM scan_results WHERE scan_id = ?")
      .get(alert.scan_id) as { image_s3_key: string };
    expect(facts.discovered_by_scan).toBe(alert.scan_id);
    expect(alert.image_references).toContain(now.image_s3_key);
    expect(events("theft_loss")[0]).toMatchObject({ dea_relevant: true, requires_review: true });

    // The touchscreen lists it.
    const { alerts } = (await kiosk("/alerts")) as { alerts: { alert_id: string; alert_type: string }[] };
    expect(alerts).toContainEqual(
      expect.objectContaining({ alert_id: alert.alert_id, alert_type: "theft_loss" }),
    );

    // The next scan still misses it: the same loss is not raised twice.
    const key = readFileSync(join(cab.appliance.config.dataDir, "kiosk-key"), "utf8").trim();
    const rescan = await fetch(`${cab.url}/api/scan`, {
      method: "POST",
      headers: { "x-lilo-kiosk-key": key, "content-type": "application/json" },
      body: "{}",
    });
    expect(((await rescan.json()) as { missing: string[] }).missing).toEqual([labelFor(3)]);
    expect(
      cab.appliance.database.sqlite
        .prepare("SELECT count(*) AS n FROM safety_alerts WHERE alert_type = 'theft_loss'")
        .get(),
    ).toEqual({ n: 1 });
  });

  it("an ordinary container taken through a forced door raises no theft_loss", async () => {
    cab = await startSimAppliance({ containers: 4 });
    const scanned = waitFor("scan.completed");
    await cab.sim("POST", "/door", { open: true, force: true });
    await cab.sim("DELETE", `/shelves/1/containers/${encodeURIComponent(labelFor(1))}`);
    await cab.sim("POST", "/door", { open: false });
    await scanned;
    expect(
      cab.appliance.database.sqlite
        .prepare("SELECT count(*) AS n FROM safety_alerts WHERE alert_type = 'theft_loss'")
        .get(),
    ).toEqual({ n: 0 });
  });
});
