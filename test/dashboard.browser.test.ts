// The dashboard in real Chromium against a real cloud seeded like the demo, with a simulated cabinet
// claimed through the real flow and a real checkout on it: sign in, search, open a container with its
// history and shelf photos, follow a checkout to its before/after photos (in the browser and through
// the API), enrol a technician with a badge, manage devices and API keys from the keyboard. At a
// laptop's and a tablet's size, nothing scrolls sideways. Screenshots land in test/artifacts/dashboard/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, inArray } from "drizzle-orm";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { Appliance } from "../appliance/appliance.js";
import { parseApplianceConfig } from "../appliance/config.js";
import { SimCabinet } from "../appliance/hardware/sim-cabinet.js";
import { simConfigInput } from "../appliance/sim/sim-config.js";
import { AccountService } from "../cloud/accounts/account.service.js";
import { DASHBOARD_PATH } from "../cloud/api/dashboard.routes.js";
import { systemRoleId } from "../cloud/authz/system-roles.js";
import { DEMO_SHELVES, type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { badgeDigest } from "../shared/credential-hash.js";
import { silentLogger } from "../shared/logger.js";
import { fromRoot } from "../shared/paths.js";
import {
  accessCredentials,
  containerTransactions,
  safetyAlerts,
  scanResults,
  userRoleAssignments,
} from "../shared/schema/tenant.js";
import { startCloud, type TestCloud } from "./support/cloud.js";
import { backends } from "./support/databases.js";
import { waitFor } from "./support/wait-for.js";

const ARTIFACTS = fromRoot("test", "artifacts", "dashboard");
const VIEWPORTS = [
  { name: "laptop", width: 1366, height: 768 },
  { name: "tablet", width: 1024, height: 768 },
];
/** Ethanol, on shelf 2 of the demo cabinet: the technician takes it out before the browser looks. */
const TAKEN = { code: "LILO:C:000002", name: "Ethanol", shelf: 2 };
/** An organization administrator: the one who manages API keys. */
const ADMIN = { email: "ada.admin@demo.lilo.example", password: "ada-admin-password-1" };
const NEW_TECH = {
  first: "Nora",
  last: "Newhire",
  badge: "BADGE-NEW-7731",
  user_number: "1077",
  pin: "583920",
};

// PostgreSQL when the run names one (CI does), as production; PGlite otherwise.
const backend = backends.at(-1)!;

describe(`the dashboard in Chromium on ${backend.name}`, () => {
  let t: TestCloud;
  let org: DemoOrg;
  let appliance: Appliance;
  let dir: string;
  let browser: Browser;
  let dashboardUrl: string;
  const manager = () => org.users.find((u) => u.password)!;

  const sim = (method: string, path: string, body?: unknown) =>
    fetch(`${appliance.url}/sim${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => (await r.json().catch(() => undefined)) as Record<string, unknown> | undefined);

  beforeAll(async () => {
    // The browser sees this checkout's sources, not an older build.
    await build({ configFile: fromRoot("cloud", "dashboard", "vite.config.ts"), logLevel: "warn" });
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startCloud(backend);
    org = await ensureDemoOrg(t.cloud.db);
    // As `lilo cloud user create --role org_admin` makes one.
    const { user_id } = await new AccountService(t.cloud.db).create({
      ...ADMIN,
      first_name: "Ada",
      last_name: "Admin",
      org_id: org.org_id,
      org_role: "admin",
    });
    await t.cloud.db.withTenant(org.org_id, async (tx) =>
      tx.insert(userRoleAssignments).values({
        user_id,
        role_id: (await systemRoleId(tx, "org_admin"))!,
        scope_type: "organization",
        scope_id: org.org_id,
      }),
    );
    dashboardUrl = `${t.cloud.url}${DASHBOARD_PATH}`;
    dir = mkdtempSync(join(tmpdir(), "lilo-dashboard-"));
    const { claim_token } = await new ProvisioningService(t.cloud.db).createClaimToken(
      org.org_id,
      org.cabinet_id,
    );
    const cabinet = SimCabinet.load(join(dir, "sim-cabinet.json"), { shelves: DEMO_SHELVES });
    for (const p of org.placements) cabinet.addContainer(p.shelf, p);
    appliance = new Appliance(
      parseApplianceConfig({
        ...simConfigInput(dir, 0),
        cabinet: undefined,
        credentialSecret: undefined,
        cloud: { url: t.cloud.url, claimToken: claim_token, serialNumber: "DASH-1", uploadIntervalMs: 300 },
      }),
      { logger: silentLogger },
    );
    await appliance.start();
    const tech = org.users.find((u) => u.role === "technician")!;
    // A look inside that takes nothing: the shelves' scan becomes the checkout's "before".
    expect(await sim("POST", "/badge", { badge: tech.badge })).toMatchObject({ granted: true });
    await sim("POST", "/door", { open: true });
    await sim("POST", "/door", { open: false });
    await waitFor(
      async () => (await t.cloud.db.withTenant(org.org_id, (tx) => tx.select().from(scanResults))).length > 0,
      { what: "the first scan in the cloud", timeoutMs: 90_000 },
    );
    expect(await sim("POST", "/badge", { badge: tech.badge })).toMatchObject({ granted: true });
    await sim("POST", "/door", { open: true });
    await sim("DELETE", `/shelves/${TAKEN.shelf}/containers/${encodeURIComponent(TAKEN.code)}`);
    await sim("POST", "/door", { open: false });
    await waitFor(
      async () => {
        const rows = await t.cloud.db.withTenant(org.org_id, (tx) =>
          tx.select().from(containerTransactions).where(eq(containerTransactions.qr_code, TAKEN.code)),
        );
        return rows.length > 0;
      },
      { what: "the checkout in the cloud", timeoutMs: 90_000 },
    );
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
    });
  });
  afterAll(async () => {
    for (const tab of tabs.values()) await tab.close();
    await browser?.close();
    await appliance?.stop();
    await t?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One tab per size, signed in once: the session lives in the tab's sessionStorage across page loads. */
  const tabs = new Map<string, Page>();
  async function signIn(page: Page, who = { email: manager().email, password: manager().password! }) {
    await page.getByLabel("Email").fill(who.email);
    await page.getByLabel("Password").fill(who.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Cabinets", level: 1 }).waitFor();
  }
  async function signedIn(
    viewport: { name: string; width: number; height: number },
    path = "",
  ): Promise<Page> {
    let page = tabs.get(viewport.name);
    if (!page) {
      page = await browser.newPage({ viewport });
      page.setDefaultTimeout(20_000);
      await page.goto(dashboardUrl);
      await signIn(page);
      tabs.set(viewport.name, page);
    }
    await page.goto(`${dashboardUrl}${path}`);
    return page;
  }

  async function noSidewaysScroll(page: Page): Promise<void> {
    // Evaluated in the page (this file is type-checked without the DOM library).
    const { scroll, width } = await page.evaluate<{ scroll: number; width: number }>(
      "({ scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth })",
    );
    expect(scroll, "page wider than the window").toBeLessThanOrEqual(width);
    // A table clipped by its frame hides columns as surely as a page that scrolls sideways.
    const clipped = await page.evaluate<string[]>(
      "[...document.querySelectorAll('.table-wrap')].filter((e) => e.scrollWidth > e.clientWidth)" +
        ".map((e) => `${e.querySelector('th')?.textContent}: ${e.scrollWidth} > ${e.clientWidth}`)",
    );
    expect(clipped, "tables wider than their frame").toEqual([]);
  }

  const naturalWidth = (img: unknown) => (img as { naturalWidth: number }).naturalWidth;
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it("refuses a wrong password and keeps the dashboard closed", async () => {
    const page = await browser.newPage({ viewport: VIEWPORTS[0] });
    await page.goto(`${dashboardUrl}inventory`);
    await page.getByLabel("Email").fill(manager().email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("wrong email or password");
    expect(await page.evaluate("sessionStorage.getItem('lilo.session')")).toBeNull();
    await shot(page, "sign-in-refused");
    await page.close();
  });

  for (const vp of VIEWPORTS) {
    describe(`at ${vp.width}×${vp.height} (${vp.name})`, () => {
      it("signs in to the organization tree with the cabinet's live status", async () => {
        const page = await browser.newPage({ viewport: vp });
        page.setDefaultTimeout(20_000);
        await page.goto(dashboardUrl);
        await page.getByRole("heading", { name: "Sign in" }).waitFor();
        await noSidewaysScroll(page);
        await shot(page, `${vp.name}-sign-in`);
        await signIn(page);
        tabs.set(vp.name, page);
        const home = page;
        const cabinet = home.getByRole("article", { name: "Cabinet Flammables cabinet 1" });
        await cabinet.waitFor();
        await expect.poll(() => cabinet.textContent(), { timeout: 15_000 }).toContain("Online");
        // Door and lock as the cloud last heard them (unknown until the cabinet reports a step).
        expect(await cabinet.textContent()).toMatch(/Door (closed|open|forced|unknown)/);
        // The demo's many safety alerts read as a few findings: grouped by cabinet and kind, worst first.
        const openAlerts = async () =>
          (
            await t.cloud.db.withTenant(org.org_id, (tx) =>
              tx
                .select()
                .from(safetyAlerts)
                .where(inArray(safetyAlerts.status, ["open", "acknowledged", "in_progress"])),
            )
          ).length;
        const stat = home.locator(".stat", { hasText: "Open alerts" }).locator(".stat__value");
        await expect.poll(async () => Number(await stat.textContent()) === (await openAlerts())).toBe(true);
        const total = await openAlerts();
        expect(total, "the demo's shelves raise several alerts").toBeGreaterThan(3);
        const entries = home.locator(".overview__alerts > .alerts > li");
        expect(await entries.count()).toBeLessThan(total);
        await noSidewaysScroll(home);
        await shot(home, `${vp.name}-cabinets`);
        const worst = entries.first();
        await worst.locator("summary").focus();
        await home.keyboard.press("Enter");
        const inside = worst.locator(".alerts > li");
        await inside.first().waitFor();
        // A long group opens on its first few; the rest on request.
        const size = Number((await worst.locator("summary").textContent())!.match(/(\d+) alerts/)![1]);
        expect(size, "the demo's worst finding is a long group").toBeGreaterThan(5);
        expect(await inside.count()).toBe(5);
        await worst.getByRole("button", { name: `Show all ${size}` }).click();
        expect(await inside.count()).toBe(size);
        await noSidewaysScroll(home);
        await shot(home, `${vp.name}-cabinets-alerts-open`);
      });

      it("searches the inventory and exports it as CSV", async () => {
        const page = await signedIn(vp);
        await page.getByRole("link", { name: "Inventory" }).click();
        await page.getByLabel("Search inventory").fill("methanol");
        await page.getByRole("button", { name: "Search" }).click();
        await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
        expect(await page.locator("tbody").textContent()).toContain("Methanol");
        await noSidewaysScroll(page);
        await shot(page, `${vp.name}-inventory`);
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.getByRole("button", { name: "Export CSV" }).click(),
        ]);
        const csv = await new Response(
          (await download.createReadStream()) as unknown as ReadableStream,
        ).text();
        expect(csv.split("\r\n")[0]).toMatch(/^Name,CAS,QR code/);
        expect(csv).toContain("Methanol,67-56-1");
        expect(csv).not.toContain("Acetone");
      });

      // Skipped until issue 14 is done: the cloud's scan rows do not carry previous_scan_id yet, so a
      // transaction has no "before" photo to show.
      it("opens a container with its hazards, its shelf and its history with photos", async () => {
        const page = await signedIn(vp);
        await page.getByRole("link", { name: "Inventory" }).click();
        await page.getByLabel("Search inventory").fill(TAKEN.name);
        await page.getByRole("button", { name: "Search" }).click();
        await page.getByRole("link", { name: TAKEN.name, exact: true }).click();
        await page.getByRole("heading", { name: TAKEN.name, level: 1 }).waitFor();
        expect(await page.getByRole("img", { name: /GHS02: flame/ }).count()).toBeGreaterThan(0);
        // H statements spelled out, as on a safety data sheet.
        expect(await page.locator(".statements").textContent()).toContain(
          "H225 Highly flammable liquid and vapour",
        );
        expect(await page.locator(".location-path__shelf").textContent()).toContain(`Shelf ${TAKEN.shelf}`);
        const checkout = page.getByRole("link", { name: "Checkout" });
        await checkout.first().waitFor();
        const photo = page.locator(".timeline img").first();
        await expect.poll(() => photo.evaluate(naturalWidth), { timeout: 20_000 }).toBeGreaterThan(0);
        await noSidewaysScroll(page);
        await shot(page, `${vp.name}-container`);

        await checkout.first().click();
        await page.getByRole("heading", { name: /Checkout/, level: 1 }).waitFor();
        const after = page.locator(".evidence").nth(1);
        await expect
          .poll(() => after.locator("img").evaluate(naturalWidth), { timeout: 20_000 })
          .toBeGreaterThan(0);
        await shot(page, `${vp.name}-transaction`);
        const before = page.locator(".evidence").first();
        await expect
          .poll(() => before.locator("img").evaluate(naturalWidth), { timeout: 20_000 })
          .toBeGreaterThan(0);
        // Before the checkout the bottle stood on the shelf: its code is outlined there.
        expect(await before.locator("polygon.code-mark").count()).toBe(1);
        await noSidewaysScroll(page);
        await shot(page, `${vp.name}-transaction`);
      });

      it("shows people with their badges, roles and grants", async () => {
        const page = await signedIn(vp, "people");
        const tina = page.getByRole("row", { name: /Tina Technician/ });
        await tina.waitFor();
        await noSidewaysScroll(page);
        await shot(page, `${vp.name}-people`);
        await page.getByRole("tab", { name: "Grants" }).focus();
        await page.keyboard.press("Enter");
        await page.getByRole("row", { name: /Tina Technician.*Technician/ }).waitFor();
        await noSidewaysScroll(page);
        await shot(page, `${vp.name}-grants`);
      });

      it("lists the cabinet's controller and issues a claim token", async () => {
        const page = await signedIn(vp, "devices");
        await page.getByRole("row", { name: /DASH-1/ }).waitFor();
        expect(await page.getByRole("row", { name: /DASH-1/ }).textContent()).toContain(
          "Flammables cabinet 1",
        );
        await page.getByRole("button", { name: "New claim token" }).click();
        const dialog = page.getByRole("dialog", { name: "New claim token" });
        await dialog.getByRole("button", { name: "Issue token" }).click();
        const token = await dialog.locator(".secret__value").textContent();
        expect(token?.length).toBeGreaterThan(10);
        await page.keyboard.press("Escape");
        await dialog.waitFor({ state: "hidden" });
        await page
          .getByRole("row", { name: /Waiting for the cabinet/ })
          .first()
          .waitFor();
        await shot(page, `${vp.name}-devices`);
        await noSidewaysScroll(page);
      });

      it("lets an administrator create an API key from the keyboard, shown once, that works", async () => {
        const page = await browser.newPage({ viewport: vp });
        onTestFailed(async () => {
          await shot(page, `${vp.name}-api-keys-FAILED`);
        });
        page.setDefaultTimeout(20_000);
        await page.goto(dashboardUrl);
        await signIn(page, ADMIN);
        await page.getByRole("link", { name: "API keys" }).click();
        await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
        await page.getByRole("button", { name: "New API key" }).focus();
        await page.keyboard.press("Enter");
        const dialog = page.getByRole("dialog", { name: "New API key" });
        // The dialog puts the cursor in its first field; Enter sends the form.
        const name = dialog.getByLabel("Name");
        const focused = (e: unknown) =>
          e === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;
        await expect.poll(() => name.evaluate(focused)).toBe(true);
        await page.keyboard.type(`LIMS sync (${vp.name})`);
        await noSidewaysScroll(page);
        await shot(page, `${vp.name}-api-key-new`);
        await page.keyboard.press("Enter");
        const key = (await dialog.locator(".secret__value").textContent())!;
        const res = await fetch(`${t.cloud.url}/api/v1/orgs/${org.org_id}/containers?limit=1`, {
          headers: { authorization: `Bearer ${key}` },
        });
        expect(res.status).toBe(200);
        await page.keyboard.press("Escape");
        await dialog.waitFor({ state: "hidden" });
        const row = page.getByRole("row", { name: new RegExp(`LIMS sync \\(${vp.name}\\)`) });
        await row.waitFor();
        expect(await row.textContent()).toContain("inventory:read");
        expect(await row.textContent()).not.toContain(key);
        await noSidewaysScroll(page);
        await shot(page, `${vp.name}-api-keys`);
        await page.close();
      });
    });
  }

  it("follows the checkout to its before and after photos through the API", async () => {
    const api = (path: string, init: RequestInit = {}) => fetch(`${t.cloud.url}/api/v1${path}`, init);
    const login = await api("/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: manager().email, password: manager().password }),
    });
    const headers = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const get = async <T>(path: string): Promise<T> => {
      const res = await api(`/orgs/${org.org_id}${path}`, { headers });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };
    type Scan = {
      scan_id: string;
      shelf_id: number;
      image_s3_key: string;
      previous_scan_id: string | null;
      qr_codes_found: string[];
      code_locations: { read: { text: string }[] };
    };
    const found = await get<{ items: { container_id: string; qr_code: string }[] }>(
      `/containers?q=${TAKEN.name}`,
    );
    const container = found.items.find((c) => c.qr_code === TAKEN.code)!;
    const txns = await get<{ items: { transaction_type: string; scan_id: string; image_s3_key: string }[] }>(
      `/transactions?container_id=${container.container_id}`,
    );
    const checkout = txns.items.find((x) => x.transaction_type === "checkout")!;
    const after = await get<Scan>(`/scans/${checkout.scan_id}`);
    expect(after).toMatchObject({ shelf_id: TAKEN.shelf, image_s3_key: checkout.image_s3_key });
    expect(after.qr_codes_found).not.toContain(TAKEN.code);
    const before = await get<Scan>(`/scans/${after.previous_scan_id}`);
    expect(before.shelf_id).toBe(TAKEN.shelf);
    expect(before.code_locations.read.map((r) => r.text)).toContain(TAKEN.code);
    for (const scan of [before, after]) {
      const image = await waitFor(
        async () => {
          const r = await api(`/orgs/${org.org_id}/images/${scan.image_s3_key}`, { headers });
          return r.status === 200 ? r : undefined;
        },
        { what: `the ${scan === before ? "before" : "after"} photo`, timeoutMs: 30_000 },
      );
      expect(image.headers.get("content-type")).toMatch(/^image\/(jpeg|png)$/);
      expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it("enrols a technician with a badge, which the cabinet's credentials then hold", async () => {
    const page = await signedIn(VIEWPORTS[1]!, "people");
    await page.getByRole("button", { name: "Enrol technician" }).click();
    const dialog = page.getByRole("dialog", { name: "Enrol a technician" });
    await dialog.getByLabel("First name").fill(NEW_TECH.first);
    await dialog.getByLabel("Last name").fill(NEW_TECH.last);
    await dialog.getByLabel("Email").fill("nora.newhire@demo.lilo.example");
    await dialog.getByLabel("Badge").fill(NEW_TECH.badge);
    await dialog.getByLabel("User number").fill(NEW_TECH.user_number);
    await dialog.getByLabel("PIN").fill(NEW_TECH.pin);
    await noSidewaysScroll(page);
    await shot(page, "tablet-enrol");
    await dialog.getByRole("button", { name: "Enrol technician" }).click();
    await dialog.waitFor({ state: "hidden" });
    const row = page.getByRole("row", { name: new RegExp(`${NEW_TECH.first} ${NEW_TECH.last}`) });
    await row.waitFor();
    expect(await row.textContent()).toContain("Badge enrolled");
    expect(await row.textContent()).toContain("PIN set");
    await shot(page, "tablet-people");
    const [credential] = await t.cloud.db.withTenant(org.org_id, (tx) =>
      tx
        .select()
        .from(accessCredentials)
        .where(eq(accessCredentials.badge_hash, badgeDigest(NEW_TECH.badge))),
    );
    expect(credential).toMatchObject({
      display_name: `${NEW_TECH.first} ${NEW_TECH.last}`,
      user_number: 1077,
    });
    await page.close();
  });
});
