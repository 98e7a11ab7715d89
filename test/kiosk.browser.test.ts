// The cabinet's touchscreen in real Chromium with touch, at the 7" (800×480) and 10" (1280×800)
// screens, driving a simulated cabinet with no cloud: sign in by PIN and by a badge reader that types,
// take a container and confirm what it was for, turn a bottle whose label was not read, register an
// unknown container, see the shelves, acknowledge an alert, return a container, lock the PIN pad.
import { and, eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertRecorded } from "../appliance/db/change-recorder.js";
import {
  changeLog,
  chemicalInventory,
  containerTransactions,
  safetyAlerts,
  scanResults,
  unifiedEventLog,
} from "../appliance/db/schema.js";
import { labelFor } from "../appliance/sim/sim-seed.js";
import { KIOSK_SCREENS, launchChromium, openKiosk } from "./support/kiosk-browser.js";
import { type SimAppliance, startSimAppliance, TECH } from "./support/sim-appliance.js";
import { waitFor } from "./support/wait-for.js";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

const enc = encodeURIComponent;
/** A scan of four shelves: seconds on a quiet machine, much longer on two busy cores. */
const SCAN_MS = 180_000;
const actions = (cab: SimAppliance) =>
  cab.appliance.database.db
    .select()
    .from(unifiedEventLog)
    .all()
    .map((e) => (e.event_details as { action: string }).action);

describe.each(KIOSK_SCREENS)("kiosk at $name", (screen) => {
  let cab: SimAppliance | undefined;
  afterAll(() => cab?.dispose());

  it("signs in, takes, confirms, turns a bottle, registers, acknowledges, returns", async () => {
    cab = await startSimAppliance({ containers: 8 });
    const { db } = cab.appliance.database;
    const kiosk = await openKiosk(browser, `${cab.url}/kiosk/`, screen);
    const { page, tap, typeOn, shot, text } = kiosk;
    const small: Record<string, string[]> = {};
    const visit = async (name: string) => {
      small[name] = await shot(name);
    };
    const see = (testId: string, timeout = 10_000) => page.getByTestId(testId).first().waitFor({ timeout });
    const signInByPin = async (user: string, pin: string) => {
      await typeOn("key", user);
      await tap("key-ok");
      await typeOn("key", pin);
      await tap("key-ok");
    };

    // Idle: the cabinet, its state and how to sign in.
    await see("prompt");
    expect(await text("prompt")).toBe("Swipe your badge or enter your PIN");
    expect(await text("lock-state")).toBe("Locked");
    expect(await text("sync-state")).toBe("No cloud");
    await visit("idle");

    // Sign in with user number and PIN on the pad.
    await tap("enter-pin");
    await visit("pin");
    await signInByPin(String(TECH.user_number), TECH.pin!);
    await see("signed-in-name");
    expect(await text("signed-in-name")).toContain(TECH.display_name);
    await see("relock-countdown");
    expect(await text("lock-state")).toBe("Unlocked");
    await visit("signed-in");
    await tap("sign-out");
    await see("prompt");
    expect(await text("lock-state")).toBe("Locked");
    expect(actions(cab)).toContain("kiosk_sign_out");

    // A USB badge reader types the badge and Enter anywhere on the idle screen.
    await page.keyboard.type(`${TECH.badge}\n`, { delay: 5 });
    await see("signed-in-name");
    expect(await text("signed-in-name")).toContain(TECH.display_name);

    // Open, take container 1, turn container 2's label away, put a container the cabinet does not know
    // on shelf 3, close.
    await cab.sim("POST", "/door", { open: true });
    await see("door-open-hint");
    await visit("door-open");
    expect((await cab.sim("DELETE", `/shelves/1/containers/${enc(labelFor(1))}`)).status).toBe(204);
    expect(
      (await cab.sim("PATCH", `/shelves/2/containers/${enc(labelFor(2))}`, { unreadable: true })).status,
    ).toBe(200);
    const stranger = labelFor(42);
    expect(
      (await cab.sim("POST", "/shelves/3/containers", { qr_code: stranger, x: 0.86, y: 0.5 })).status,
    ).toBe(201);
    await cab.sim("POST", "/door", { open: false });
    await see("review", SCAN_MS);
    await see(`taken-${labelFor(1)}`);
    await see("unread-card");
    await see("unknown-card");
    await see("mark-alert");
    await visit("review");

    // Turn the bottle back and scan again: the prompt goes, nothing is checked out for it.
    await cab.sim("PATCH", `/shelves/2/containers/${enc(labelFor(2))}`, { unreadable: false });
    await tap("rescan");
    await waitFor(async () => (await page.getByTestId("unread-card").count()) === 0, {
      what: "the turn-the-bottle card to go",
      timeoutMs: SCAN_MS,
    });
    expect(actions(cab)).toContain("kiosk_rescan");
    const inv = (qr: string) =>
      db.select().from(chemicalInventory).where(eq(chemicalInventory.qr_code, qr)).get();
    expect(inv(labelFor(2))?.status).toBe("in_cabinet");

    // Register the unknown container; a CAS number with a wrong check digit is refused on the spot.
    await tap("register");
    await typeOn("kb", "Ethanol");
    await tap("field-cas");
    await typeOn("kb", "64-17-6");
    expect(await text("cas-check")).toContain("CAS check digit does not match");
    await expect(page.getByTestId("register-next").isDisabled()).resolves.toBe(true);
    await visit("register-cas-invalid");
    await page.getByLabel("Delete").last().tap();
    await typeOn("kb", "5");
    expect(await text("cas-check")).toContain("Valid CAS number");
    await tap("register-next");
    await typeOn("key", "500");
    await visit("register-quantity");
    await tap("register-next");
    await tap("ghs-GHS02");
    await tap("ghs-GHS07");
    await tap("signal-Warning");
    await visit("register-hazards");
    await tap("register-next");
    await see("notice");
    expect(await text("notice")).toContain("Ethanol registered on shelf 3");
    const registered = inv(stranger)!;
    expect(registered).toMatchObject({
      chemical_name: "Ethanol",
      cas_number: "64-17-5",
      quantity: "500.000",
      unit: "mL",
      shelf_level: 3,
      status: "in_cabinet",
      ghs_pictograms: ["GHS02", "GHS07"],
      signal_word: "Warning",
      created_by: TECH.user_id,
    });
    // It goes up to the cloud through the outbox like everything else.
    const outbox = db.select().from(changeLog).where(eq(changeLog.entity_id, registered.container_id)).all();
    expect(outbox.map((c) => [c.entity, c.op])).toEqual([["chemical_inventory", "insert"]]);

    // Confirm the checkout with what it was for.
    await see("review");
    expect(await page.getByTestId("unknown-card").count()).toBe(0);
    await tap("purpose-analysis");
    await tap("edit-experiment");
    await typeOn("kb", "Exp7");
    await tap("kb-done");
    await tap("confirm");
    await see("prompt", 10_000);
    const checkout = db
      .select()
      .from(containerTransactions)
      .where(
        and(
          eq(containerTransactions.qr_code, labelFor(1)),
          eq(containerTransactions.transaction_type, "checkout"),
        ),
      )
      .get()!;
    expect(checkout).toMatchObject({ user_id: TECH.user_id, purpose: "analysis", experiment_id: "Exp7" });
    expect(actions(cab)).toContain("scan_confirmed");

    // The shelves: container 1 is gone from shelf 1, the new one stands on shelf 3.
    await tap("shelves-tile");
    await see("shelf-1");
    expect(await page.getByTestId(`container-${labelFor(1)}`).count()).toBe(0);
    await see(`container-${labelFor(5)}`);
    await visit("shelves");
    await tap("shelf-tab-3");
    await see(`container-${stranger}`);
    await tap(`container-${stranger}`);
    await see("mark-focus");
    await visit("shelves-picked");
    await tap("back");

    // An alert raised on shelf 2 (the spill detector writes them; here it is seeded) shows live.
    const scan2 = db
      .select()
      .from(scanResults)
      .where(eq(scanResults.shelf_id, 2))
      .all()
      .sort((a, b) => b.scan_timestamp.getTime() - a.scan_timestamp.getTime())[0]!;
    const scope = cab.appliance.scope!;
    const alert = cab.appliance.database.transaction((tx) =>
      insertRecorded(tx, safetyAlerts, {
        cabinet_id: scope.cabinet_id,
        lab_id: scope.lab_id,
        shelf_id: 2,
        alert_type: "spill",
        severity: "high",
        title: "Liquid on shelf 2",
        description: "A spill next to the solvents, about 6 cm across.",
        detection_method: "camera",
        scan_id: scan2.scan_id,
        sensor_data: { location: { x: 0.5, y: 0.75, radius: 0.06 } },
        status: "open",
      }),
    );
    cab.appliance.events.emit("cabinet.event", {
      action: "spill_detected",
      summary: "Spill on shelf 2",
      severity: "critical",
      at: new Date().toISOString(),
    });
    await waitFor(async () => (await text("alerts-tile")).includes("1 open alerts"), {
      what: "the alert on the idle screen",
    });
    await visit("idle-alert");
    await tap("alerts-tile");
    await tap(`alert-${alert.alert_id}`);
    await see("mark-alert");
    await visit("alert");
    await tap("sign-in-to-ack");
    await signInByPin(String(TECH.user_number), TECH.pin!);
    await see("acknowledge");
    await tap("acknowledge");
    await see("acknowledged");
    await visit("alert-acknowledged");
    const acked = db.select().from(safetyAlerts).where(eq(safetyAlerts.alert_id, alert.alert_id)).get()!;
    expect(acked).toMatchObject({
      status: "acknowledged",
      acknowledged_by: TECH.user_id,
      acknowledged_via: "kiosk",
    });
    expect(actions(cab)).toContain("alert_acknowledged");

    // Still signed in from acknowledging: open, put container 1 back, close, say how it came back.
    await tap("back");
    await tap("back");
    await see("signed-in-name");
    await tap("open-cabinet");
    // The tap's request must land before the door opens: an open door refuses "open" (a conflict).
    const here = cab;
    await waitFor(async () => actions(here).includes("kiosk_open"), { what: "the kiosk's open recorded" });
    await cab.sim("POST", "/door", { open: true });
    await cab.sim("POST", "/shelves/1/containers", { qr_code: labelFor(1), x: 0.14, y: 0.55 });
    await cab.sim("POST", "/door", { open: false });
    await see(`returned-${labelFor(1)}`, SCAN_MS);
    await tap("condition-nearly_empty");
    await visit("review-return");
    await tap("confirm");
    await see("prompt");
    const ret = db
      .select()
      .from(containerTransactions)
      .where(
        and(
          eq(containerTransactions.qr_code, labelFor(1)),
          eq(containerTransactions.transaction_type, "return"),
        ),
      )
      .get()!;
    expect(ret).toMatchObject({ user_id: TECH.user_id, return_condition: "nearly_empty" });

    // Five wrong PINs lock the pad, and the screen says so.
    await tap("enter-pin");
    for (let i = 0; i < 5; i++) await signInByPin(String(TECH.user_number), "000000");
    await see("pin-locked");
    expect(await text("pin-locked")).toContain("PIN pad locked");
    await expect(page.getByTestId("key-1").isDisabled()).resolves.toBe(true);
    await visit("pin-locked");
    await tap("back");

    // Every word comes from the catalogue: German at a tap.
    await tap("lang");
    await see("prompt");
    expect(await text("prompt")).toBe("Ausweis vorhalten oder PIN eingeben");
    await visit("idle-de");

    expect(small).toEqual(Object.fromEntries(Object.keys(small).map((k) => [k, []])));
    await page.context().close();
  }, 600_000);
});
