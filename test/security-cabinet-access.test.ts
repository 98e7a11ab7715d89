// Hostile tests of the cabinet's PIN pad, badge check and kiosk API, on a real appliance over real HTTP:
// only the kiosk gets in, PIN guessing locks the pad (also across a restart) and tells the cloud at once,
// every refusal reads the same, a badge + PIN cabinet opens for neither alone, and what one cabinet holds
// matches nothing at another.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Appliance } from "../appliance/appliance.js";
import { parseApplianceConfig } from "../appliance/config.js";
import { changeLog, deviceState, localUsers, unifiedEventLog } from "../appliance/db/schema.js";
import { SimCabinet } from "../appliance/hardware/sim-cabinet.js";
import { KIOSK_KEY_FILE, KIOSK_KEY_HEADER } from "../appliance/kiosk-guard.middleware.js";
import { simConfigInput } from "../appliance/sim/sim-config.js";
import { DEMO_SHELVES, type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { DownlinkService } from "../cloud/sync/downlink.service.js";
import { silentLogger } from "../shared/logger.js";
import { eventStream } from "../shared/schema/partitioned.js";
import { iotDevices } from "../shared/schema/platform.js";
import { accessCredentials, cabinets, tenantSettings } from "../shared/schema/tenant.js";
import { startCloud, type TestCloud } from "./support/cloud.js";
import { backends } from "./support/databases.js";
import {
  MANAGER,
  restartSimAppliance,
  type SimAppliance,
  startSimAppliance,
  TECH,
} from "./support/sim-appliance.js";
import { waitFor } from "./support/wait-for.js";

interface Reply {
  status: number;
  json: Record<string, unknown>;
}

/** A raw request, so that Host, Origin and Content-Type are exactly what a hostile client sends. */
function send(
  app: Appliance,
  path: string,
  opts: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: opts.method ?? "POST", headers: opts.headers ?? {} },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : {} }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

const kioskKey = (app: Appliance) => readFileSync(join(app.config.dataDir, KIOSK_KEY_FILE), "utf8").trim();

/** What the kiosk sends: loopback, its own Host, JSON and this start's key. */
function kiosk(app: Appliance, body: unknown, path = "/api/access"): Promise<Reply> {
  return send(app, path, {
    body: JSON.stringify(body),
    headers: {
      host: new URL(app.url).host,
      "content-type": "application/json",
      [KIOSK_KEY_HEADER]: kioskKey(app),
    },
  });
}

const actions = (app: Appliance, action: string) =>
  app.database.db
    .select()
    .from(unifiedEventLog)
    .all()
    .filter((e) => (e.event_details as { action?: string }).action === action);

describe("the kiosk API of a cabinet", () => {
  let cab: SimAppliance;
  beforeAll(async () => {
    cab = await startSimAppliance({ containers: 1 });
  });
  afterAll(() => cab?.dispose());

  it("opens for the kiosk with a user number and PIN", async () => {
    const res = await kiosk(cab.appliance, { user: TECH.user_number, pin: TECH.pin });
    expect(res).toMatchObject({ status: 200, json: { granted: true, user: { user_id: TECH.user_id } } });
  });

  const JSON_TYPE = { "content-type": "application/json" };
  const cases: [string, Record<string, string>, boolean, number][] = [
    // what, headers over the kiosk's own, whether the right kiosk key is sent, status
    ["no kiosk key", JSON_TYPE, false, 403],
    ["a stale kiosk key", { ...JSON_TYPE, [KIOSK_KEY_HEADER]: "x".repeat(43) }, false, 403],
    ["a rebound DNS name", { ...JSON_TYPE, host: "evil.example:8081" }, true, 403],
    ["another page's Origin", { ...JSON_TYPE, origin: "http://evil.example" }, true, 403],
    ["a cross-site fetch", { ...JSON_TYPE, "sec-fetch-site": "cross-site" }, true, 403],
    ["a form post", { "content-type": "application/x-www-form-urlencoded" }, true, 400],
    ["a text/plain post", { "content-type": "text/plain" }, true, 400],
  ];
  it.each(cases)("refuses a request with %s and changes nothing", async (_, extra, withKey, status) => {
    const app = cab.appliance;
    const headers = {
      host: new URL(app.url).host,
      ...(withKey ? { [KIOSK_KEY_HEADER]: kioskKey(app) } : {}),
      ...extra,
    };
    const before = app.database.db.select().from(unifiedEventLog).all().length;
    const res = await send(app, "/api/access", {
      body: JSON.stringify({ user: TECH.user_number, pin: TECH.pin }),
      headers,
    });
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { code: status === 403 ? "forbidden" : "validation_failed" } });
    expect(app.database.db.select().from(unifiedEventLog).all().length).toBe(before);
    // A scan is refused the same way.
    expect((await send(app, "/api/scan", { body: "{}", headers })).status).toBe(status);
  });

  it("gives one answer to every refusal: unknown badge, wrong PIN, unknown number, PIN without number", async () => {
    const refusals = [
      { badge: "BADGE-NOBODY" },
      { user: TECH.user_number, pin: "000000" },
      { user: 4242, pin: TECH.pin },
      { pin: TECH.pin },
    ];
    for (const body of refusals) {
      const res = await kiosk(cab.appliance, body);
      expect(res).toEqual({ status: 200, json: { granted: false, reason: "denied" } });
    }
  });
});

describe("PIN guessing at a cabinet", () => {
  let cab: SimAppliance;
  afterEach(() => cab?.dispose());

  it("locks the PIN pad after 5 refused tries: the right PIN is refused, also after a restart", async () => {
    cab = await startSimAppliance({ containers: 1 });
    const guesses = Array.from({ length: 30 }, (_, i) => String(100000 + i * 7919));
    // Sent at once, as a script would: the pad still takes them one by one.
    const answers = await Promise.all(
      guesses.map((pin) => kiosk(cab.appliance, { user: TECH.user_number, pin })),
    );
    expect(answers.every((a) => a.json.granted === false && a.json.reason === "denied")).toBe(true);
    const denied = actions(cab.appliance, "auth_denied");
    expect(denied).toHaveLength(30);
    // Only 5 were checked; the other 25 were refused unchecked.
    expect(denied.filter((e) => (e.event_details as { reason: string }).reason === "wrong_pin")).toHaveLength(
      5,
    );
    const lockouts = actions(cab.appliance, "access_lockout");
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({ severity: "critical", requires_review: true });
    // In the outbox, so it reaches the cloud's event log too.
    const outbox = cab.appliance.database.db.select().from(changeLog).all();
    expect(outbox.some((c) => c.payload.includes("access_lockout"))).toBe(true);

    expect((await kiosk(cab.appliance, { user: TECH.user_number, pin: TECH.pin })).json).toEqual({
      granted: false,
      reason: "denied",
    });
    cab = await restartSimAppliance(cab);
    expect((await kiosk(cab.appliance, { user: TECH.user_number, pin: TECH.pin })).json).toEqual({
      granted: false,
      reason: "denied",
    });
    expect(cab.appliance.status().lock).toBe("locked");
    // A badge is not a PIN-pad try: a technician in gloves still gets in.
    expect((await kiosk(cab.appliance, { badge: TECH.badge })).json).toMatchObject({ granted: true });
  });

  it("stores no PIN that a fast hash could recover, and no tenant-wide key", async () => {
    cab = await startSimAppliance({ containers: 1 });
    const people = cab.appliance.database.db.select().from(localUsers).all();
    for (const p of people) expect(p.pin_hash).toMatch(/^scrypt\$16384\$8\$1\$4\$[\w-]{22}\$[\w-]{43}$/);
  });
});

describe("a cabinet that requires badge and PIN", () => {
  let cab: SimAppliance;
  beforeAll(async () => {
    cab = await startSimAppliance({ containers: 1, config: { access: { requireBadgeAndPin: true } } });
  });
  afterAll(() => cab?.dispose());

  it("opens for neither alone, and for a badge swiped at the reader followed by its PIN", async () => {
    const app = cab.appliance;
    // The swipe at the reader asks for a PIN (for an unknown badge as well: nothing tells them apart).
    expect((await cab.sim("POST", "/badge", { badge: TECH.badge })).json).toMatchObject({
      granted: false,
      awaiting_pin: true,
    });
    expect((await cab.sim("POST", "/badge", { badge: "BADGE-NOBODY" })).json).toMatchObject({
      awaiting_pin: true,
    });
    expect(app.status().lock).toBe("locked");
    expect((await kiosk(app, { user: TECH.user_number, pin: TECH.pin })).json).toEqual({
      granted: false,
      reason: "denied",
    });
    // The unknown badge was the last swipe: its PIN prompt does not open for Tina's PIN.
    expect((await kiosk(app, { pin: TECH.pin })).json).toEqual({ granted: false, reason: "denied" });
    expect((await kiosk(app, { badge: MANAGER.badge, pin: TECH.pin })).json).toEqual({
      granted: false,
      reason: "denied",
    });
    await cab.sim("POST", "/badge", { badge: TECH.badge });
    expect((await kiosk(app, { pin: TECH.pin })).json).toMatchObject({
      granted: true,
      user: { user_id: TECH.user_id },
    });
    expect(app.status().lock).toBe("unlocked");
  });
});

describe.each(backends)("a provisioned cabinet on $name", (backend) => {
  let t: TestCloud;
  let org: DemoOrg;
  let appliance: Appliance;
  let dir: string;

  beforeAll(async () => {
    t = await startCloud(backend);
    org = await ensureDemoOrg(t.cloud.db);
    dir = mkdtempSync(join(tmpdir(), "lilo-cabinet-auth-"));
    const { claim_token } = await new ProvisioningService(t.cloud.db).createClaimToken(
      org.org_id,
      org.cabinet_id,
    );
    const cabinet = SimCabinet.load(join(dir, "sim-cabinet.json"), { shelves: DEMO_SHELVES });
    for (const p of org.placements) cabinet.addContainer(p.shelf, p);
    const base = simConfigInput(dir, 0);
    appliance = new Appliance(
      parseApplianceConfig({
        ...base,
        cabinet: undefined,
        credentialSecret: undefined,
        scan: { intervalMinutes: 0, afterSession: false },
        cloud: {
          url: t.cloud.url,
          claimToken: claim_token,
          serialNumber: "AUTH-1",
          uploadIntervalMs: 60_000,
        },
      }),
      { logger: silentLogger },
    );
    await appliance.start();
  });
  afterAll(async () => {
    await appliance?.stop();
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds its own key and hashes keyed with it, never the tenant's key", async () => {
    const master = await t.cloud.db.withTenant(org.org_id, async (tx) => {
      const [row] = await tx.select().from(tenantSettings).where(eq(tenantSettings.key, "credential_secret"));
      return row!.value;
    });
    const disk = [
      readFileSync(join(dir, "appliance.db")).toString("latin1"),
      readFileSync(join(dir, "device.json"), "utf8"),
    ];
    for (const d of disk) expect(d.includes(master)).toBe(false);
    const stored = appliance.database.db
      .select()
      .from(deviceState)
      .where(eq(deviceState.key, "credential_secret"))
      .get();
    expect(stored?.value).toBeTruthy();

    // Another cabinet of the same tenant gets other values for the same person.
    const other = await t.cloud.db.withTenant(org.org_id, async (tx) => {
      const [mine] = await tx.select().from(cabinets).where(eq(cabinets.cabinet_id, org.cabinet_id));
      const [row] = await tx
        .insert(cabinets)
        .values({
          lab_id: mine!.lab_id,
          cabinet_name: "Acids",
          cabinet_code: `ACID-${randomUUID().slice(0, 6)}`,
        })
        .returning();
      return row!.cabinet_id;
    });
    const downlink = new DownlinkService(t.cloud.db);
    const identity = { device_id: randomUUID(), org_id: org.org_id, thing_name: "x", cabinet_id: other };
    const there = await downlink.snapshot(identity);
    const here = appliance.database.db.select().from(localUsers).all();
    const tech = org.users.find((u) => u.role === "technician")!;
    const mine = here.find((u) => u.user_id === tech.user_id)!;
    const theirs = there.people.find((u) => u.user_id === tech.user_id)!;
    expect(there.credential_secret).not.toBe(stored?.value);
    expect(theirs.badge_hash).not.toBe(mine.badge_hash);
    expect(theirs.pin_hash).not.toBe(mine.pin_hash);
    const [cloudRow] = await t.cloud.db.withTenant(org.org_id, (tx) =>
      tx.select().from(accessCredentials).where(eq(accessCredentials.user_id, tech.user_id)),
    );
    expect(mine.badge_hash).not.toBe(cloudRow!.badge_hash);
  });

  it("opens for the technician's number and PIN from the cloud, and reports a lockout live", async () => {
    const tech = org.users.find((u) => u.role === "technician")!;
    expect((await kiosk(appliance, { user: tech.user_number, pin: tech.pin })).json).toMatchObject({
      granted: true,
    });
    const deviceId = appliance.device!.device_id;
    await waitFor(
      async () => {
        const [d] = await t.cloud.db.asService((tx) =>
          tx.select().from(iotDevices).where(eq(iotDevices.device_id, deviceId)),
        );
        return d?.status === "active";
      },
      { what: "the cabinet online over MQTT" },
    );
    for (let i = 0; i < 5; i++) await kiosk(appliance, { user: tech.user_number, pin: `99999${i}` });
    // Uploads wait a minute here: the event can only have come over the live channel.
    const [live] = await waitFor(
      async () => {
        const rows = await t.cloud.db.asService((tx) =>
          tx
            .select()
            .from(eventStream)
            .where(
              and(eq(eventStream.cabinet_id, org.cabinet_id), eq(eventStream.event_type, "access_lockout")),
            ),
        );
        return rows.length ? rows : undefined;
      },
      { what: "access_lockout in the cloud's event stream" },
    );
    expect(live).toBeDefined();
    expect((await kiosk(appliance, { user: tech.user_number, pin: tech.pin })).json).toEqual({
      granted: false,
      reason: "denied",
    });
  });
});
