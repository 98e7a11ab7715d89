// The kiosk API refuses what is not the cabinet's own kiosk, and bad or foreign input changes nothing:
// a confirmation naming another scan's transaction, a CAS number with a wrong check digit, a code the
// scan did not find, an alert of another cabinet, an acknowledgement with nobody signed in.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelFor } from "../../shared/labels/label-code.js";
import { type SimAppliance, startSimAppliance, TECH } from "../../test/support/sim-appliance.js";
import { insertRecorded } from "../db/change-recorder.js";
import { changeLog, chemicalInventory, safetyAlerts } from "../db/schema.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field
type Json = Record<string, any>;

let cab: SimAppliance;
let key: string;
let reviewId: string;

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${cab.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json", "x-lilo-kiosk-key": key }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : undefined };
};
const outbox = () => cab.appliance.database.db.select().from(changeLog).all().length;

beforeAll(async () => {
  cab = await startSimAppliance({ containers: 4 });
  key = readFileSync(join(cab.appliance.config.dataDir, "kiosk-key"), "utf8").trim();
  const scanned = new Promise((r) => cab.appliance.events.on({}, "scan.completed", r));
  await cab.sim("POST", "/badge", { badge: TECH.badge });
  await cab.sim("POST", "/door", { open: true });
  await cab.sim("DELETE", `/shelves/1/containers/${encodeURIComponent(labelFor(1))}`);
  await cab.sim("POST", "/shelves/2/containers", { qr_code: labelFor(77), x: 0.86, y: 0.5 });
  await cab.sim("POST", "/door", { open: false });
  await scanned;
  reviewId = (await call("GET", "/api/kiosk/review")).json!.review.review_id;
}, 120_000);
afterAll(() => cab?.dispose());

describe("kiosk API", () => {
  it("shows the scan's result: the take, and the unknown code where it was read", async () => {
    const { review } = (await call("GET", "/api/kiosk/review")).json!;
    expect(review.taken.map((t: { qr_code: string }) => t.qr_code)).toEqual([labelFor(1)]);
    expect(review.unknown).toMatchObject([
      { qr_code: labelFor(77), shelf: 2, box: { x: expect.any(Number) } },
    ]);
    const shelves = (await call("GET", "/api/kiosk/shelves")).json!.shelves;
    expect(shelves[0].containers.map((c: { qr_code: string }) => c.qr_code)).not.toContain(labelFor(1));
    const photo = await fetch(`${cab.url}/api/kiosk/photos/${shelves[0].scan_id}`);
    expect(photo.headers.get("content-type")).toBe("image/jpeg");
  });

  it("takes actions only from the kiosk: no key, another key, another origin, a form post", async () => {
    const before = outbox();
    const body = JSON.stringify({ reason: "button" });
    const attempts: Record<string, string>[] = [
      { "content-type": "application/json" },
      { "content-type": "application/json", "x-lilo-kiosk-key": "x".repeat(43) },
      { "content-type": "application/json", "x-lilo-kiosk-key": key, origin: "http://evil.example" },
      { "content-type": "text/plain", "x-lilo-kiosk-key": key },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${cab.url}/api/kiosk/sign-out`, { method: "POST", headers, body });
      expect([400, 403]).toContain(res.status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(
        /forbidden|validation_failed/,
      );
    }
    const elsewhere = await fetch(`${cab.url}/api/kiosk/status`, {
      headers: { origin: "http://evil.example" },
    });
    expect(elsewhere.status).toBe(403);
    expect(outbox()).toBe(before);
  });

  it("refuses a confirmation naming a transaction that is not this scan's, and changes nothing", async () => {
    const before = outbox();
    const r = await call("POST", `/api/kiosk/review/${reviewId}/confirm`, {
      checkouts: [{ transaction_id: randomUUID(), purpose: "analysis" }],
    });
    expect(r.status).toBe(400);
    expect(r.json!.error.fields).toHaveProperty(["checkouts.0.transaction_id"]);
    const stale = await call("POST", `/api/kiosk/review/${randomUUID()}/confirm`, {});
    expect(stale.status).toBe(409);
    expect(outbox()).toBe(before);
  });

  it("refuses a CAS number whose check digit is wrong, and a code the scan did not find", async () => {
    const before = outbox();
    const base = { chemical_name: "Ethanol", quantity: 1, unit: "L", ghs_pictograms: ["GHS02"] };
    const badCas = await call("POST", `/api/kiosk/review/${reviewId}/containers`, {
      ...base,
      qr_code: labelFor(77),
      cas_number: "64-17-6",
    });
    expect(badCas.status).toBe(400);
    expect(badCas.json!.error.fields).toHaveProperty("cas_number");
    const notFound = await call("POST", `/api/kiosk/review/${reviewId}/containers`, {
      ...base,
      qr_code: labelFor(3),
    });
    expect(notFound.status).toBe(400);
    const badInput = await call("POST", `/api/kiosk/review/${reviewId}/containers`, {
      ...base,
      qr_code: labelFor(77),
      quantity: -1,
      ghs_pictograms: ["GHS99"],
    });
    expect(badInput.status).toBe(400);
    expect(Object.keys(badInput.json!.error.fields).sort()).toEqual(["ghs_pictograms.0", "quantity"]);
    expect(outbox()).toBe(before);
    const { db } = cab.appliance.database;
    expect(
      db
        .select()
        .from(chemicalInventory)
        .all()
        .some((c) => c.qr_code === labelFor(77)),
    ).toBe(false);
  });

  it("acknowledges only this cabinet's open alerts, and only for someone signed in", async () => {
    const scope = cab.appliance.scope!;
    const raise = (cabinet_id: string) =>
      cab.appliance.database.transaction((tx) =>
        insertRecorded(tx, safetyAlerts, {
          cabinet_id,
          lab_id: scope.lab_id,
          alert_type: "leak",
          severity: "medium",
          title: "Vapour",
          status: "open",
        }),
      );
    const mine = raise(scope.cabinet_id);
    const theirs = raise(randomUUID());
    let before = outbox();
    expect((await call("POST", `/api/kiosk/alerts/${mine.alert_id}/acknowledge`, {})).status).toBe(403);
    expect(outbox()).toBe(before);
    await cab.sim("POST", "/badge", { badge: TECH.badge });
    before = outbox();
    expect((await call("POST", `/api/kiosk/alerts/${theirs.alert_id}/acknowledge`, {})).status).toBe(404);
    expect(outbox()).toBe(before);
    expect((await call("POST", `/api/kiosk/alerts/${mine.alert_id}/acknowledge`, {})).status).toBe(200);
    expect((await call("POST", `/api/kiosk/alerts/${mine.alert_id}/acknowledge`, {})).status).toBe(409);
    await call("POST", "/api/kiosk/sign-out", { reason: "button" });
    const alerts = (await call("GET", "/api/kiosk/alerts")).json!.alerts as {
      alert_id: string;
      status: string;
    }[];
    expect(alerts.map((a) => [a.alert_id, a.status])).toEqual([[mine.alert_id, "acknowledged"]]);
  });

  it("serves the page and its pictograms, and nothing outside the page's folder", async () => {
    const page = await fetch(`${cab.url}/kiosk/`);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const svg = await fetch(`${cab.url}/api/kiosk/ghs/GHS02.svg`);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    expect((await fetch(`${cab.url}/api/kiosk/ghs/GHS99.svg`)).status).toBe(404);
    const outside = await fetch(`${cab.url}/kiosk/assets/..%2f..%2f..%2fpackage.json`);
    expect(outside.status).toBe(404);
    expect((await fetch(`${cab.url}/api/kiosk/photos/${randomUUID()}`)).status).toBe(404);
  });
});
