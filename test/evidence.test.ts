// Photo evidence end to end: a checkout on the simulated cabinet reaches the cloud with its transaction
// linked to the shelf's scan and image; the image (and the shelf before) is uploaded after the rows and
// served through the API only to the organization's members; hostile uploads change nothing.
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Appliance } from "../appliance/appliance.js";
import { parseApplianceConfig } from "../appliance/config.js";
import { SimCabinet } from "../appliance/hardware/sim-cabinet.js";
import { simConfigInput } from "../appliance/sim/sim-config.js";
import { AccountService } from "../cloud/accounts/account.service.js";
import { DEMO_SHELVES, type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { silentLogger } from "../shared/logger.js";
import { cabinets, containerTransactions, evidenceImages, scanResults } from "../shared/schema/tenant.js";
import { startCloud, type TestCloud } from "./support/cloud.js";
import { backends } from "./support/databases.js";
import { waitFor } from "./support/wait-for.js";

const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe.each(backends)("photo evidence on $name", (backend) => {
  let t: TestCloud;
  let org: DemoOrg;
  let appliance: Appliance;
  let dir: string;
  let manager: string;
  let outsider: { org: string; token: string };
  let spareCredential: string;

  const api = (path: string, init: RequestInit = {}) => fetch(`${t.cloud.url}/api/v1${path}`, init);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const sim = (method: string, path: string, body?: unknown) =>
    fetch(`${appliance.url}/sim${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) => r.json().catch(() => undefined));
  const upload = (credential: string, key: string, body: Uint8Array) =>
    api(`/device/evidence/${key}`, {
      method: "PUT",
      headers: { ...bearer(credential), "content-type": "application/octet-stream" },
      body: body as RequestInit["body"],
    });
  const login = async (email: string, password: string) => {
    const res = await api("/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    return ((await res.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lilo-evidence-"));
    t = await startCloud(backend, {
      LILO_EVIDENCE_MAX_BYTES: String(MAX_IMAGE_BYTES),
      LILO_BLOB_DIR: join(dir, "blobs"),
    });
    org = await ensureDemoOrg(t.cloud.db);
    const provisioning = new ProvisioningService(t.cloud.db);
    // A second cabinet of the same organization with its own device credential: the hostile uploader.
    const spare = await t.cloud.db.withTenant(org.org_id, async (tx) => {
      const [demo] = await tx.select().from(cabinets).where(eq(cabinets.cabinet_id, org.cabinet_id));
      const [row] = await tx
        .insert(cabinets)
        .values({ lab_id: demo!.lab_id, cabinet_name: "Spare", cabinet_code: "SPARE-EV-1", num_shelves: 1 })
        .returning();
      return row!.cabinet_id;
    });
    spareCredential = (
      await provisioning.claim({
        claim_token: (await provisioning.createClaimToken(org.org_id, spare)).claim_token,
        serial_number: `EV-SPARE-${randomUUID().slice(0, 8)}`,
      })
    ).credential;
    const other = await new OrganizationService(t.cloud.db).create({
      name: "Other Lab",
      slug: `other-${randomUUID().slice(0, 8)}`,
      type: "university",
    });
    await new AccountService(t.cloud.db).create({
      email: "eve@other.example",
      password: "eve-password-123",
      org_id: other.org_id,
      org_role: "owner",
    });

    const cabinet = SimCabinet.load(join(dir, "sim-cabinet.json"), { shelves: DEMO_SHELVES });
    for (const p of org.placements) cabinet.addContainer(p.shelf, p);
    const { claim_token } = await provisioning.createClaimToken(org.org_id, org.cabinet_id);
    appliance = new Appliance(
      parseApplianceConfig({
        ...simConfigInput(dir, 0),
        cabinet: undefined,
        credentialSecret: undefined,
        scan: { intervalMinutes: 0, afterSession: true },
        cloud: { url: t.cloud.url, claimToken: claim_token, serialNumber: "EV-1", uploadIntervalMs: 300 },
      }),
      { logger: silentLogger },
    );
    await appliance.start();
    const managerUser = org.users.find((u) => u.role === "lab_manager")!;
    manager = await login(managerUser.email, "lilo-demo-manager");
    outsider = { org: other.org_id, token: await login("eve@other.example", "eve-password-123") };
  });
  afterAll(async () => {
    await appliance?.stop();
    await t?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("follows a checkout on the simulator to its before and after photos through the API", async () => {
    // A scan with nothing changed first: its pictures stay on the cabinet.
    const tech = org.users.find((u) => u.role === "technician")!;
    await sim("POST", "/badge", { badge: tech.badge });
    await sim("POST", "/door", { open: true });
    await sim("POST", "/door", { open: false });
    await waitFor(
      async () => (await t.cloud.db.withTenant(org.org_id, (tx) => tx.select().from(scanResults))).length > 0,
      { what: "the first scan in the cloud" },
    );

    expect(await sim("POST", "/badge", { badge: tech.badge })).toMatchObject({ granted: true });
    await sim("POST", "/door", { open: true });
    await sim("DELETE", `/shelves/2/containers/${encodeURIComponent("LILO:C:000002")}`);
    await sim("POST", "/door", { open: false });
    const txn = await waitFor(
      async () => {
        const [row] = await t.cloud.db.withTenant(org.org_id, (tx) =>
          tx.select().from(containerTransactions).where(eq(containerTransactions.qr_code, "LILO:C:000002")),
        );
        return row;
      },
      { what: "the checkout in the cloud" },
    );
    expect(txn).toMatchObject({
      transaction_type: "checkout",
      image_s3_key: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const [after] = await t.cloud.db.withTenant(org.org_id, (tx) =>
      tx.select().from(scanResults).where(eq(scanResults.scan_id, txn.scan_id!)),
    );
    expect(after).toMatchObject({ shelf_id: 2, image_s3_key: txn.image_s3_key });
    expect(after!.qr_codes_found).not.toContain("LILO:C:000002");
    const [before] = await t.cloud.db.withTenant(org.org_id, (tx) =>
      tx.select().from(scanResults).where(eq(scanResults.scan_id, after!.previous_scan_id!)),
    );
    expect(before!.qr_codes_found).toContain("LILO:C:000002");

    for (const key of [after!.image_s3_key, before!.image_s3_key]) {
      const res = await waitFor(
        async () => {
          const r = await api(`/orgs/${org.org_id}/images/${key}`, { headers: bearer(manager) });
          return r.status === 200 ? r : undefined;
        },
        { what: `image ${key.slice(0, 8)} through the API` },
      );
      expect(res.headers.get("content-type")).toMatch(/^image\/(jpeg|png)$/);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(sha256(bytes)).toBe(key);
    }
    // Shelves where nothing changed were not uploaded; the cabinet still has them.
    const uploaded = await t.cloud.db.withTenant(org.org_id, (tx) => tx.select().from(evidenceImages));
    expect(uploaded.every((u) => u.cabinet_id === org.cabinet_id)).toBe(true);
    const local = new Sqlite(join(dir, "appliance.db"), { readonly: true });
    try {
      const rows = local.prepare("SELECT image_key, upload, uploaded_at FROM evidence_images").all() as {
        image_key: string;
        upload: number;
        uploaded_at: string | null;
      }[];
      expect(
        rows
          .filter((r) => r.uploaded_at)
          .map((r) => r.image_key)
          .sort(),
      ).toEqual(uploaded.map((u) => u.image_key).sort());
      expect(rows.some((r) => !r.upload)).toBe(true);
    } finally {
      local.close();
    }
  }, 120_000);

  it("serves an image only to members of its organization; others get 404", async () => {
    const [img] = await t.cloud.db.withTenant(org.org_id, (tx) => tx.select().from(evidenceImages));
    const key = img!.image_key;
    expect((await api(`/orgs/${org.org_id}/images/${key}`)).status).toBe(401);
    const foreign = await api(`/orgs/${org.org_id}/images/${key}`, { headers: bearer(outsider.token) });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual({ error: { code: "not_found", message: "no such image" } });
    // Through its own organization the key names nothing.
    expect(
      (await api(`/orgs/${outsider.org}/images/${key}`, { headers: bearer(outsider.token) })).status,
    ).toBe(404);
    expect(
      (await api(`/orgs/${org.org_id}/images/${"0".repeat(64)}`, { headers: bearer(manager) })).status,
    ).toBe(404);
    expect((await api(`/orgs/${org.org_id}/images/..%2F..%2Fetc`, { headers: bearer(manager) })).status).toBe(
      404,
    );
  });

  it("refuses another cabinet's image, a body that is not its hash, a non-image and an oversized body", async () => {
    const [img] = await t.cloud.db.withTenant(org.org_id, (tx) => tx.select().from(evidenceImages));
    const res = await api(`/orgs/${org.org_id}/images/${img!.image_key}`, { headers: bearer(manager) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const own = appliance.device!.credential;
    const countRows = () => t.cloud.db.withTenant(org.org_id, (tx) => tx.select().from(evidenceImages));
    const rowsBefore = (await countRows()).length;

    // The spare cabinet's credential: no row of that cabinet names the image.
    const theft = await upload(spareCredential, img!.image_key, bytes);
    expect(theft.status).toBe(404);
    expect(((await theft.json()) as { error: { code: string } }).error.code).toBe("not_found");
    // The right cabinet, bytes that are not the key's.
    const tampered = bytes.slice();
    tampered[tampered.length - 1] = (tampered.at(-1) ?? 0) ^ 0xff;
    const mismatch = await upload(own, img!.image_key, tampered);
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({
      error: { code: "validation_failed", fields: { key: "does not match the SHA-256 of the body" } },
    });
    const text = new TextEncoder().encode("<script>alert(1)</script>");
    expect((await upload(own, sha256(text), text)).status).toBe(400);
    expect((await upload("not-a-credential", img!.image_key, bytes)).status).toBe(401);
    // A resent upload of the cabinet's own image is accepted and changes nothing.
    const again = await upload(own, img!.image_key, bytes);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ image_key: img!.image_key, created: false });
    expect((await countRows()).length).toBe(rowsBefore);
    // Last: the server closes a connection whose body it stopped reading.
    const huge = new Uint8Array(MAX_IMAGE_BYTES + 1).fill(0xff);
    const tooBig = await upload(own, sha256(huge), huge);
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });
});
