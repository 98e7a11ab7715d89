// Provisioning, exactly-once upload, downlink and its conflict rule, against a real cloud service on
// PGlite and on PostgreSQL.
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SHELVES, type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { type ClaimResponse, ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { DownlinkService } from "../cloud/sync/downlink.service.js";
import { IngestService } from "../cloud/sync/ingest.service.js";
import { chemicalInventory, unifiedEventLog } from "../shared/schema/tenant.js";
import type { Change } from "../shared/sync/change.js";
import { eventChange } from "./support/changes.js";
import { startCloud, type TestCloud } from "./support/cloud.js";
import { backends } from "./support/databases.js";

describe.each(backends)("sync with the cloud on $name", (backend) => {
  let t: TestCloud;
  let org: DemoOrg;
  let provisioning: ProvisioningService;

  beforeAll(async () => {
    t = await startCloud(backend);
    org = await ensureDemoOrg(t.cloud.db);
    provisioning = new ProvisioningService(t.cloud.db);
  });
  afterAll(() => t?.dispose());

  async function claimDevice(): Promise<ClaimResponse> {
    const { claim_token } = await provisioning.createClaimToken(org.org_id, org.cabinet_id);
    return provisioning.claim({ claim_token, serial_number: `TEST-${randomUUID().slice(0, 8)}` });
  }

  const cloudEventIds = () =>
    t.cloud.db.withTenant(org.org_id, async (tx) =>
      (await tx.select({ id: unifiedEventLog.event_id }).from(unifiedEventLog)).map((r) => r.id),
    );

  describe("provisioning", () => {
    it("claims once per token and refuses used, expired and unknown tokens", async () => {
      const { claim_token } = await provisioning.createClaimToken(org.org_id, org.cabinet_id);
      const device = await provisioning.claim({ claim_token, serial_number: "SN-1" });
      expect(device).toMatchObject({
        org_id: org.org_id,
        cabinet_id: org.cabinet_id,
        thing_name: expect.stringMatching(/^lilo-/),
      });
      expect(await provisioning.authenticate(device.credential)).toMatchObject({
        device_id: device.device_id,
      });
      await expect(provisioning.claim({ claim_token, serial_number: "SN-2" })).rejects.toThrow(
        /already used/,
      );

      const expired = await provisioning.createClaimToken(org.org_id, org.cabinet_id);
      await t.cloud.db.asOwner((tx) =>
        tx.execute(
          sql`UPDATE lilo_platform.claim_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`,
        ),
      );
      await expect(
        provisioning.claim({ claim_token: expired.claim_token, serial_number: "SN-3" }),
      ).rejects.toThrow(/expired/);
      await expect(
        provisioning.claim({ claim_token: "lilo_claim_nonsense", serial_number: "SN-4" }),
      ).rejects.toThrow(/unknown claim token/);
      await expect(provisioning.claim({ claim_token: "x" })).rejects.toThrow(/invalid input/);
      await expect(provisioning.createClaimToken(org.org_id, randomUUID())).rejects.toThrow(/no cabinet/);
    });

    it("lets a controller claimed again go on where its change log was", async () => {
      const ingest = new IngestService(t.cloud.db);
      const first = await provisioning.claim({
        claim_token: (await provisioning.createClaimToken(org.org_id, org.cabinet_id)).claim_token,
        serial_number: "SN-REFLASH",
      });
      const log_id = randomUUID();
      await ingest.ingest(first, { log_id, changes: [1, 2, 3].map((n) => eventChange(n, first)) });
      // Re-flashed, identity file lost: with an admin's approval the same serial claims again and keeps
      // its device id.
      await provisioning.approveReclaim({ device_id: first.device_id });
      const again = await provisioning.claim({
        claim_token: (await provisioning.createClaimToken(org.org_id, org.cabinet_id)).claim_token,
        serial_number: "SN-REFLASH",
      });
      expect(again.device_id).toBe(first.device_id);
      expect(await provisioning.authenticate(first.credential)).toBeUndefined();
      expect(await ingest.ingest(again, { log_id, changes: [eventChange(4, again)] })).toMatchObject({
        applied: 1,
        accepted_through: 4,
      });
      // A replacement board (new serial) that kept the old database continues the same log.
      const replacement = await provisioning.claim({
        claim_token: (await provisioning.createClaimToken(org.org_id, org.cabinet_id)).claim_token,
        serial_number: "SN-REPLACEMENT",
      });
      expect(replacement.device_id).not.toBe(first.device_id);
      expect(
        await ingest.ingest(replacement, { log_id, changes: [eventChange(5, replacement)] }),
      ).toMatchObject({ applied: 1, accepted_through: 5 });
    });

    it("rotates and revokes credentials", async () => {
      const device = await claimDevice();
      const fresh = await provisioning.rotate(device.device_id);
      expect(await provisioning.authenticate(device.credential)).toBeUndefined();
      expect(await provisioning.authenticate(fresh)).toMatchObject({ device_id: device.device_id });
      await provisioning.revoke(device.device_id);
      expect(await provisioning.authenticate(fresh)).toBeUndefined();
    });
  });

  describe("upload", () => {
    it("applies a batch once: a resent batch changes nothing, a gap is refused", async () => {
      const device = await claimDevice();
      const ingest = new IngestService(t.cloud.db);
      const log_id = randomUUID();
      const batch1 = [1, 2, 3].map((s) => eventChange(s, device));
      const batch2 = [4, 5].map((s) => eventChange(s, device));
      const before = (await cloudEventIds()).length;
      await expect(ingest.ingest(device, { log_id, changes: batch2 })).rejects.toThrow(
        /out of order: expected seq 1/,
      );
      expect(await ingest.ingest(device, { log_id, changes: batch1 })).toEqual({
        accepted_through: 3,
        applied: 3,
        skipped: 0,
      });
      expect(await ingest.ingest(device, { log_id, changes: batch1 })).toEqual({
        accepted_through: 3,
        applied: 0,
        skipped: 3,
      });
      // A batch overlapping what was applied applies only the new part.
      expect(await ingest.ingest(device, { log_id, changes: [batch1[2]!, ...batch2] })).toEqual({
        accepted_through: 5,
        applied: 2,
        skipped: 1,
      });
      expect((await cloudEventIds()).length).toBe(before + 5);
    });

    it("rejects malformed batches and changes for another cabinet, changing nothing", async () => {
      const device = await claimDevice();
      const ingest = new IngestService(t.cloud.db);
      const log_id = randomUUID();
      const before = await cloudEventIds();
      const good = eventChange(1, device);
      const cases: [unknown, RegExp][] = [
        [{ log_id, changes: [good, eventChange(2, device, { severity: 42 })] }, /change 2 .*severity/],
        [
          { log_id, changes: [good, eventChange(2, device, { cabinet_id: randomUUID() })] },
          /not this device's cabinet/,
        ],
        [
          { log_id, changes: [good, { ...eventChange(2, device), entity_id: randomUUID() }] },
          /does not match entity_id/,
        ],
        [{ log_id, changes: [good, eventChange(3, device)] }, /consecutive/],
        [{ log_id, changes: [] }, /invalid input/],
        [{ log_id: "nope", changes: [good] }, /log_id/],
        [{ log_id, changes: [{ ...good, entity: "users" }] }, /entity/],
        [
          { log_id, changes: Array.from({ length: 1001 }, (_, i) => eventChange(i + 1, device)) },
          /at most 1000/,
        ],
      ];
      for (const [batch, message] of cases)
        await expect(ingest.ingest(device, batch)).rejects.toThrow(message);
      expect(await cloudEventIds()).toEqual(before);
      expect(await ingest.state(device)).toEqual({ log_id: null, last_seq: 0 });
    });

    it("answers over HTTP with clear errors: no credential, oversized body, bad gzip", async () => {
      const device = await claimDevice();
      const url = `${t.cloud.url}/api/v1/device/sync/changes`;
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch(url, {
          method: "POST",
          body,
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${device.credential}`,
            ...headers,
          },
        });
      expect((await fetch(url, { method: "POST", body: "{}" })).status).toBe(401);
      const huge = await post(JSON.stringify({ pad: "x".repeat(9 * 1024 * 1024) }));
      expect(huge.status).toBe(413);
      expect(await huge.json()).toMatchObject({ error: { code: "payload_too_large" } });
      const badZip = await post("not gzip", { "content-encoding": "gzip" });
      expect(badZip.status).toBe(400);
      expect(await badZip.json()).toMatchObject({
        error: { code: "validation_failed", message: "body is not valid gzip" },
      });
    });

    it("delivers every change exactly once whatever the batching, duplication and order (property)", async () => {
      const ingest = new IngestService(t.cloud.db);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 25 }),
          fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
          fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
          async (total, sizes, picks) => {
            const device = await claimDevice();
            const log_id = randomUUID();
            const changes = Array.from({ length: total }, (_, i) => eventChange(i + 1, device));
            // Cut into batches, then deliver a shuffled, duplicated sequence of them, like retries would.
            const batches: Change[][] = [];
            for (let i = 0, k = 0; i < total; k++) {
              const n = sizes[k % sizes.length]!;
              batches.push(changes.slice(i, i + n));
              i += n;
            }
            const deliveries = [...picks.map((p) => batches[p % batches.length]!), ...batches];
            for (const b of deliveries)
              await ingest.ingest(device, { log_id, changes: b }).catch(() => undefined);
            const ids = new Set(await cloudEventIds());
            expect(changes.every((c) => ids.has(c.entity_id))).toBe(true);
            expect((await ingest.state(device)).last_seq).toBe(total);
          },
        ),
        { numRuns: 12 },
      );
      const all = await cloudEventIds();
      expect(new Set(all).size).toBe(all.length);
    });
  });

  describe("downlink", () => {
    it("sends the cabinet its people (hashes only), roles and containers", async () => {
      const device = await claimDevice();
      const snap = await new DownlinkService(t.cloud.db).snapshot(device);
      expect(snap.scope).toMatchObject({ org_id: org.org_id, cabinet_id: org.cabinet_id });
      expect(snap.people.map((p) => p.display_name).sort()).toEqual(["Max Manager", "Tina Technician"]);
      expect(JSON.stringify(snap)).not.toContain("BADGE-TECH-0001");
      expect(snap.people.every((p) => /^[0-9a-f]{64}$/.test(p.badge_hash ?? ""))).toBe(true);
      expect(snap.containers).toHaveLength(org.placements.length);
      expect(DEMO_SHELVES).toContain(snap.containers[0]!.shelf_level);
    });

    it("keeps both edits when the cloud renames a container the cabinet just checked out", async () => {
      const device = await claimDevice();
      const ingest = new IngestService(t.cloud.db);
      const [c] = await t.cloud.db.withTenant(org.org_id, (tx) =>
        tx.select().from(chemicalInventory).where(eq(chemicalInventory.qr_code, "LILO:C:000007")),
      );
      // The cloud edits what the container is ...
      await t.cloud.db.withTenant(org.org_id, (tx) =>
        tx
          .update(chemicalInventory)
          .set({ chemical_name: "Toluene, anhydrous 99.8%" })
          .where(eq(chemicalInventory.container_id, c!.container_id)),
      );
      // ... while the cabinet, not knowing, uploads the checkout with the old name in its row.
      const { tsv: _, ...row } = c!;
      const stale = {
        ...row,
        status: "checked_out",
        chemical_name: "Toluene",
        updated_at: new Date().toISOString(),
      };
      await ingest.ingest(device, {
        log_id: randomUUID(),
        changes: [
          {
            seq: 1,
            entity: "chemical_inventory",
            entity_id: c!.container_id,
            op: "update",
            payload: JSON.parse(JSON.stringify(stale)),
            recorded_at: new Date().toISOString(),
          },
        ],
      });
      const [after] = await t.cloud.db.withTenant(org.org_id, (tx) =>
        tx.select().from(chemicalInventory).where(eq(chemicalInventory.container_id, c!.container_id)),
      );
      expect(after).toMatchObject({ chemical_name: "Toluene, anhydrous 99.8%", status: "checked_out" });
      const snap = await new DownlinkService(t.cloud.db).snapshot(device);
      expect(snap.containers.find((x) => x.container_id === c!.container_id)).toMatchObject({
        chemical_name: "Toluene, anhydrous 99.8%",
        status: "checked_out",
      });
    });
  });

  it("keeps tenants apart: no claim token for another tenant's cabinet, no writes into it", async () => {
    const other = await new OrganizationService(t.cloud.db).create({
      name: "Other Org",
      slug: `other-${randomUUID().slice(0, 6)}`,
      type: "pharma",
    });
    await expect(provisioning.createClaimToken(other.org_id, org.cabinet_id)).rejects.toThrow(/no cabinet/);
    const device = await claimDevice();
    const intruder = eventChange(1, device, { cabinet_id: randomUUID() });
    await expect(
      new IngestService(t.cloud.db).ingest(device, { log_id: randomUUID(), changes: [intruder] }),
    ).rejects.toThrow(/not this device's cabinet/);
    const rows = await t.cloud.db.withTenant(other.org_id, (tx) => tx.select().from(unifiedEventLog));
    expect(rows).toEqual([]);
  });
});
