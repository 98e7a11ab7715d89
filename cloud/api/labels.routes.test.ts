// Printing a container's label over the HTTP API of a real cloud, on PGlite and on PostgreSQL: the
// bytes, the audit event with the acting user, and who may not print what.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userSessions } from "../../shared/schema/partitioned.js";
import { chemicalInventory, unifiedEventLog } from "../../shared/schema/tenant.js";
import { startCloud, type TestCloud } from "../../test/support/cloud.js";
import { backends } from "../../test/support/databases.js";
import {
  documentedSizes,
  expectDocumentedPdfAndZpl,
  rasterisePdf,
  readersMissing,
  readQr,
} from "../../test/support/label-reader.js";
import { AccountService } from "../accounts/account.service.js";
import { type DemoOrg, ensureDemoOrg } from "../demo/demo-seed.js";
import { CabinetService } from "../orgs/cabinet.service.js";
import { OrganizationService } from "../orgs/organization.service.js";

describe.each(backends)("label printing API on $name", (backend) => {
  let t: TestCloud;
  let org: DemoOrg;
  let manager: { token: string; user_id: string; email: string };
  /** Where the read-back tests rasterise labels. */
  let dir: string;

  const login = async (email: string, password: string) => {
    const res = await fetch(`${t.cloud.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    return ((await res.json()) as { token: string }).token;
  };

  const print = (orgId: string, container: string, token?: string, body?: unknown) =>
    fetch(`${t.cloud.url}/api/v1/orgs/${orgId}/containers/${encodeURIComponent(container)}/label`, {
      method: "POST",
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });

  const containerId = async (orgId: string, code: string) => {
    const [c] = await t.cloud.db.withTenant(orgId, (tx) =>
      tx.select().from(chemicalInventory).where(eq(chemicalInventory.qr_code, code)),
    );
    return c!.container_id;
  };

  const labelEvents = async (orgId: string, code: string) => {
    const id = await containerId(orgId, code);
    return t.cloud.db.withTenant(orgId, (tx) =>
      tx.select().from(unifiedEventLog).where(eq(unifiedEventLog.container_id, id)),
    );
  };

  beforeAll(async () => {
    t = await startCloud(backend);
    dir = mkdtempSync(join(tmpdir(), "lilo-api-readback-"));
    org = await ensureDemoOrg(t.cloud.db);
    const m = org.users.find((u) => u.role === "lab_manager")!;
    manager = { token: await login(m.email, m.password!), user_id: m.user_id, email: m.email };
  });
  afterAll(async () => {
    await t?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("prints a PDF, then records the second print as a reprint by the same person, byte for byte", async () => {
    const first = await print(org.org_id, "LILO:C:000001", manager.token);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("application/pdf");
    expect(first.headers.get("content-disposition")).toBe(
      'attachment; filename="label-LILO-C-000001-bottle.pdf"',
    );
    expect(first.headers.get("x-lilo-label-action")).toBe("label_printed");
    const pdf = Buffer.from(await first.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");

    const second = await print(org.org_id, "LILO:C:000001", manager.token, {});
    expect(second.headers.get("x-lilo-label-action")).toBe("label_reprinted");
    expect(Buffer.from(await second.arrayBuffer()).equals(pdf)).toBe(true);

    const events = await labelEvents(org.org_id, "LILO:C:000001");
    expect(events).toHaveLength(2);
    const byId = new Map(events.map((e) => [e.event_id, e]));
    const printed = byId.get(first.headers.get("x-lilo-event-id")!);
    const reprinted = byId.get(second.headers.get("x-lilo-event-id")!);
    const actor = { user_id: manager.user_id, user_name: manager.email, user_role: "manager" };
    expect(printed).toMatchObject({
      ...actor,
      event_type: "manual",
      event_category: "inventory",
      qr_code: "LILO:C:000001",
      chemical_name: "Acetone",
      event_details: { action: "label_printed", format: "pdf", size: "bottle", symbology: "datamatrix" },
      api_endpoint: `POST /api/v1/orgs/${org.org_id}/containers/LILO%3AC%3A000001/label`,
    });
    // The test talks to the cloud over loopback: that is the peer the audit row names, and the one
    // the manager's sign-in session records.
    const loopback = ["127.0.0.1", "::1", "::ffff:127.0.0.1"];
    expect(loopback).toContain(printed!.ip_address);
    const sessions = await t.cloud.db.asService((tx) =>
      tx.select().from(userSessions).where(eq(userSessions.user_id, manager.user_id)),
    );
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) expect(loopback).toContain(session.ip_address);
    expect(reprinted).toMatchObject({ ...actor, event_details: { action: "label_reprinted" } });
  });

  it("prints ZPL and SVG with the container's code, found by container_id too", async () => {
    const id = await containerId(org.org_id, "LILO:C:000002");
    const zpl = await print(org.org_id, id, manager.token, { format: "zpl", size: "small", symbology: "qr" });
    expect(zpl.status).toBe(200);
    expect(zpl.headers.get("content-type")).toBe("application/zpl");
    expect(zpl.headers.get("content-disposition")).toContain('filename="label-LILO-C-000002-small.zpl"');
    expect(await zpl.text()).toContain("^FDMA,LILO:C:000002^FS");

    const svg = await print(org.org_id, "LILO:C:000002", manager.token, { format: "svg", size: "vial" });
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    expect(svg.headers.get("x-lilo-label-action")).toBe("label_reprinted");
    expect(await svg.text()).toMatch(/^<svg[^>]*>.*LILO:C:000002/s);
  });

  it("refuses bad options with 400 naming each field, and records nothing", async () => {
    const res = await print(org.org_id, "LILO:C:000003", manager.token, {
      size: "huge",
      format: "png",
      copies: 0,
      formt: "zpl",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        code: "validation_failed",
        fields: {
          size: "one of vial, small, bottle, large",
          format: "one of pdf, zpl, svg",
          copies: "a whole number from 1 to 100",
          formt: "unknown option",
        },
      },
    });
    expect((await print(org.org_id, "LILO:C:000003", manager.token, "not json")).status).toBe(400);
    expect((await print(org.org_id, "LILO:C:000003", manager.token, ["zpl"])).status).toBe(400);
    expect(await labelEvents(org.org_id, "LILO:C:000003")).toHaveLength(0);
  });

  it("caps copies at 100 per request: 100 prints, 101 is refused and recorded nowhere", async () => {
    const hundred = await print(org.org_id, "LILO:C:000003", manager.token, { format: "zpl", copies: 100 });
    expect(hundred.status).toBe(200);
    expect(await hundred.text()).toContain("^PQ100");
    const before = (await labelEvents(org.org_id, "LILO:C:000003")).length;
    const tooMany = await print(org.org_id, "LILO:C:000003", manager.token, { format: "zpl", copies: 101 });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({
      error: { code: "validation_failed", fields: { copies: "a whole number from 1 to 100" } },
    });
    expect(await labelEvents(org.org_id, "LILO:C:000003")).toHaveLength(before);
  });

  it("answers 404 for an unknown container and 401 without a session", async () => {
    const unknown = await print(org.org_id, "LILO:C:999999", manager.token);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await print(org.org_id, "LILO:C:000004")).status).toBe(401);
    expect((await print(org.org_id, "LILO:C:000004", "lilo_sess_forged")).status).toBe(401);
    expect(await labelEvents(org.org_id, "LILO:C:000004")).toHaveLength(0);
  });

  it("lets only the organization's owners, admins and managers print its containers", async () => {
    const accounts = new AccountService(t.cloud.db);
    const password = "a-long-enough-password";
    await accounts.create({ email: "member@demo.lilo.example", password, org_id: org.org_id });
    const member = await login("member@demo.lilo.example", password);
    expect((await print(org.org_id, "LILO:C:000005", member)).status).toBe(403);

    // An admin of another organization, which has a container with the same printed code.
    const other = await new OrganizationService(t.cloud.db).create({
      name: "Other Institute",
      slug: "other-institute",
      type: "pharma",
    });
    await accounts.create({
      email: "admin@other.example",
      password,
      org_id: other.org_id,
      org_role: "admin",
    });
    const admin = await login("admin@other.example", password);
    const cab = await new CabinetService(t.cloud.db).create(other.org_id, {
      department: "QA",
      lab: "QC lab",
      name: "Acids",
      code: "OTHER-1",
    });
    await t.cloud.db.withTenant(other.org_id, (tx) =>
      tx.insert(chemicalInventory).values({
        cabinet_id: cab.cabinet_id,
        qr_code: "LILO:C:000005",
        shelf_level: 1,
        chemical_name: "Nitric acid",
        quantity: "500",
        unit: "mL",
      }),
    );

    expect((await print(org.org_id, "LILO:C:000005", admin)).status).toBe(403);
    // Through its own organization the admin reaches only its own rows, never the demo's by id.
    const demoId = await containerId(org.org_id, "LILO:C:000005");
    expect((await print(other.org_id, demoId, admin)).status).toBe(404);
    const own = await print(other.org_id, "LILO:C:000005", admin, { format: "zpl" });
    expect(own.headers.get("x-lilo-label-action")).toBe("label_printed");
    expect(await own.text()).toContain("LILO:C:000005");
    expect(await labelEvents(org.org_id, "LILO:C:000005")).toHaveLength(0);
    expect(await labelEvents(other.org_id, "LILO:C:000005")).toMatchObject([
      { user_role: "admin", chemical_name: "Nitric acid", event_details: { action: "label_printed" } },
    ]);
  });

  describe.skipIf(readersMissing)(`read back${readersMissing ? ` (skipped: ${readersMissing})` : ""}`, () => {
    const bytesOf = async (body: unknown) => {
      const res = await print(org.org_id, "LILO:C:000007", manager.token, body);
      expect(res.status).toBe(200);
      return Buffer.from(await res.arrayBuffer());
    };

    // libdmtx takes seconds per image on a busy machine.
    for (const doc of documentedSizes()) {
      it(`prints ${doc.size} labels as PDF and ZPL with the Data Matrix docs/labels.md gives (libdmtx)`, async () => {
        const code = "LILO:C:000007";
        const pdf = await bytesOf({ size: doc.size, page: "label" });
        const zpl = await bytesOf({ size: doc.size, format: "zpl" });
        await expectDocumentedPdfAndZpl({ pdf, zpl }, doc, code, dir);
        // Naming the default symbology gets the same measured default.
        expect((await bytesOf({ size: doc.size, format: "zpl", symbology: "datamatrix" })).equals(zpl)).toBe(
          true,
        );
      }, 180_000);
    }

    it("prints QR on request, upright (ZBar)", async () => {
      const pdf = await bytesOf({ size: "vial", symbology: "qr", page: "label" });
      expect(await readQr(await rasterisePdf(pdf, dir, "qr", 200))).toEqual([
        { text: "LILO:C:000007", orientation: "UP" },
      ]);
    });
  });

  it("records exactly one first print when two arrive at once", async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => print(org.org_id, "LILO:C:000006", manager.token, { format: "zpl" })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.map((r) => r.headers.get("x-lilo-label-action")).sort()).toEqual([
      "label_printed",
      "label_reprinted",
      "label_reprinted",
    ]);
  });
});
