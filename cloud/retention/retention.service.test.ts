// Retention with legal holds, on PGlite and PostgreSQL: audit rows past retention are archived (the
// archive's checksum in the audit log, its content readable) and then deleted; rows under a hold on the
// organization, a cabinet or a container stay; the audit trail still verifies afterwards; the tenant role
// cannot use the deletion path to remove anything early; expired hot partitions are archived before they
// are dropped and kept while held. Periods and holds over HTTP: shortening below a legal minimum is
// refused, another organization sees nothing (404).
import { createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, inArray, sql } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorHandler } from "../../shared/http/errors.js";
import { silentLogger } from "../../shared/logger.js";
import { eventStream } from "../../shared/schema/partitioned.js";
import {
  auditPrunedLinks,
  chemicalInventory,
  complianceAuditLog,
  unifiedEventLog,
} from "../../shared/schema/tenant.js";
import { seedCabinet } from "../../test/support/cabinet-rows.js";
import { backends } from "../../test/support/databases.js";
import { AccountService } from "../accounts/account.service.js";
import { PasswordHasher } from "../accounts/password.js";
import { retentionRoutes } from "../api/v1/retention/retention.routes.js";
import { createV1App } from "../api/v1/v1.app.js";
import { ApiKeyService } from "../apikeys/api-key.service.js";
import { AuditService } from "../audit/audit.service.js";
import { signingKey } from "../audit/audit-signing-key.js";
import { AccessService } from "../authz/access.service.js";
import { callerAuth } from "../authz/caller.middleware.js";
import { FsBlobStore } from "../blobs/blob-store.fs.js";
import { type Database, queryRows } from "../db/database.js";
import { migrateAll } from "../db/migrator.js";
import { DEFAULT_RETENTION_DAYS, ensurePartitions } from "../db/partitions.js";
import { OrganizationService } from "../orgs/organization.service.js";
import { RateLimitRepository } from "../security/rate-limit.repository.js";
import { RateLimitService } from "../security/rate-limit.service.js";
import { RetentionService } from "./retention.service.js";
import { readArchive } from "./retention-archive.js";

const PASSWORD = "a-long-enough-password";
const DAY = 86_400_000;
const yearsAgo = (n: number) => new Date(Date.now() - n * 366 * DAY);

describe.each(backends)("retention with legal holds on $name", (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let retention: RetentionService;
  let audit: AuditService;
  let blobs: FsBlobStore;
  let app: Hono;
  let org = "";
  let other = "";
  let heldCabinet = "";
  let freeCabinet = "";
  let heldContainer = "";
  const tokens: Record<string, string> = {};
  const admin = { name: "admin@example.org" };

  const call = (who: string, method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** Inserts events as the service would, at a past time; returns their ids by name. */
  const insertEvents = (orgId: string, rows: Record<string, Partial<typeof unifiedEventLog.$inferInsert>>) =>
    database.withTenant(orgId, async (tx) => {
      const ids: Record<string, string> = {};
      for (const [name, values] of Object.entries(rows)) {
        const [row] = await tx
          .insert(unifiedEventLog)
          .values({ event_type: "manual", event_category: "user_action", changes_summary: name, ...values })
          .returning({ id: unifiedEventLog.event_id });
        ids[name] = row!.id;
      }
      return ids;
    });
  const present = (orgId: string, ids: string[]) =>
    database.withTenant(orgId, async (tx) =>
      (
        await tx
          .select({ id: unifiedEventLog.event_id })
          .from(unifiedEventLog)
          .where(inArray(unifiedEventLog.event_id, ids))
      ).map((r) => r.id),
    );
  const purges = (orgId: string) =>
    database.withTenant(orgId, (tx) =>
      queryRows<{
        details: { table: string; deleted: number; archive: { key: string; sha256: string; rows: number } };
      }>(
        tx,
        sql`SELECT event_details AS details FROM unified_event_log
             WHERE event_details->>'action' = 'retention_purge' ORDER BY chain_seq`,
      ),
    );

  beforeAll(async () => {
    ({ database, dispose } = await backend.create());
    await migrateAll(database);
    blobs = new FsBlobStore(mkdtempSync(join(tmpdir(), "lilo-retention-")));
    retention = new RetentionService(database, blobs, DEFAULT_RETENTION_DAYS, { batchSize: 2 });
    audit = new AuditService(database, signingKey(generateKeyPairSync("ed25519").privateKey));
    const limits = new RateLimitService(new RateLimitRepository(database));
    const accounts = new AccountService(database, {
      hasher: new PasswordHasher({ params: { N: 1024, r: 8, p: 1 } }),
      limits,
    });
    const orgs = new OrganizationService(database);
    org = (await orgs.create({ name: "Keepers", slug: "keepers", type: "pharma" })).org_id;
    other = (await orgs.create({ name: "Others", slug: "others", type: "pharma" })).org_id;
    for (const [who, orgId, role] of [
      ["admin", org, "admin"],
      ["manager", org, "manager"],
      ["outsider", other, "owner"],
    ] as const) {
      await accounts.create({
        email: `${who}@example.org`,
        password: PASSWORD,
        org_id: orgId,
        org_role: role,
      });
      tokens[who] = (await accounts.login(`${who}@example.org`, PASSWORD)).token;
    }
    heldCabinet = await database.withTenant(org, (tx) => seedCabinet(tx, "CAB-HELD"));
    freeCabinet = await database.withTenant(org, (tx) => seedCabinet(tx, "CAB-FREE"));
    heldContainer = await database.withTenant(org, async (tx) => {
      const [row] = await tx
        .insert(chemicalInventory)
        .values({
          cabinet_id: freeCabinet,
          qr_code: "QR-HELD",
          shelf_level: 1,
          chemical_name: "Acetone",
          quantity: "1",
          unit: "L",
        })
        .returning();
      return row!.container_id;
    });
    app = new Hono();
    app.onError(errorHandler(silentLogger));
    app.route(
      "/",
      createV1App({
        caller: callerAuth({ accounts, apiKeys: new ApiKeyService(database, limits) }),
        routers: [retentionRoutes({ access: new AccessService(database), retention })],
      }),
    );
  });
  afterAll(() => dispose?.());

  it("refuses to shorten a period below its legal minimum, lengthens one, and audits the change", async () => {
    const before = await call("admin", "GET", `/api/v1/orgs/${org}/retention`);
    const classes = (
      (await before.json()) as { items: { record_class: string; effective_days: number; source: string }[] }
    ).items;
    expect(classes.find((c) => c.record_class === "audit_log")).toMatchObject({ effective_days: 2557 });
    expect(classes.find((c) => c.record_class === "exposure_record")?.source).toContain("1910.1020");

    const shorter = await call("admin", "PUT", `/api/v1/orgs/${org}/retention/audit_log`, { days: 365 });
    expect(shorter.status).toBe(400);
    expect(await shorter.json()).toMatchObject({
      error: { code: "validation_failed", fields: { days: "at least 2557" } },
    });
    expect(
      (await call("admin", "PUT", `/api/v1/orgs/${org}/retention/controlled_substance`, { days: 700 }))
        .status,
    ).toBe(400);
    expect(
      (await call("manager", "PUT", `/api/v1/orgs/${org}/retention/hazardous_waste`, { days: 4000 })).status,
    ).toBe(403);

    const longer = await call("admin", "PUT", `/api/v1/orgs/${org}/retention/hazardous_waste`, {
      days: 4000,
    });
    expect(longer.status).toBe(200);
    expect(await longer.json()).toMatchObject({
      record_class: "hazardous_waste",
      configured_days: 4000,
      effective_days: 4000,
    });
    const policy = await retention.policy(org);
    expect(policy.find((c) => c.record_class === "audit_log")?.effective_days).toBe(2557);
    const [record] = await database.withTenant(org, (tx) =>
      queryRows<{ category: string; old: unknown; new: unknown }>(
        tx,
        sql`SELECT a.audit_category AS category, e.old_values AS old, e.new_values AS new
              FROM compliance_audit_log a JOIN unified_event_log e USING (event_id)
             WHERE e.event_details->>'action' = 'retention_period_set'`,
      ),
    );
    expect(record).toEqual({
      category: "records_retention",
      old: { record_class: "hazardous_waste", days: 1096 },
      new: { record_class: "hazardous_waste", days: 4000 },
    });
    // Another organization's settings stay as they were.
    expect(
      (await retention.policy(other)).find((c) => c.record_class === "hazardous_waste")?.effective_days,
    ).toBe(1096);
  });

  it("archives expired audit rows, records each archive's checksum, deletes them, keeps held and younger ones, and the trail still verifies", async () => {
    const old = yearsAgo(8);
    const ids = await insertEvents(org, {
      expired: { event_timestamp: old },
      expiredSignIn: { event_timestamp: old, compliance_flags: { audit_category: "access_control" } },
      expiredControlled: { event_timestamp: old, dea_relevant: true },
      heldByCabinet: { event_timestamp: old, cabinet_id: heldCabinet },
      heldByContainer: { event_timestamp: old, container_id: heldContainer },
      exposure: { event_timestamp: old, event_type: "safety", osha_relevant: true },
      // Lengthened to 4000 days above: 8 years is not enough.
      waste: { event_timestamp: old, epa_relevant: true },
      recent: { event_timestamp: yearsAgo(6) },
    });
    const cabinetHold = await call("admin", "POST", `/api/v1/orgs/${org}/legal-holds`, {
      scope_type: "cabinet",
      scope_id: heldCabinet,
      reason: "litigation 2026-17",
    });
    expect(cabinetHold.status).toBe(201);
    await retention.placeHold(org, admin, {
      scope_type: "container",
      scope_id: heldContainer,
      reason: "DEA inquiry",
    });
    // A signed checkpoint of the heads before the run: verify checks the chains against it afterwards.
    await audit.exportHeads(org, admin);

    const lines: string[] = [];
    const run = await retention.runOrg(org, { onProgress: (l) => lines.push(l) });

    const gone = [ids.expired!, ids.expiredSignIn!, ids.expiredControlled!];
    const kept = [ids.heldByCabinet!, ids.heldByContainer!, ids.exposure!, ids.waste!, ids.recent!];
    expect(await present(org, gone)).toEqual([]);
    expect((await present(org, kept)).sort()).toEqual([...kept].sort());
    expect(run.tables.find((t) => t.table === "compliance_audit_log")?.deleted).toBe(2);
    expect(run.tables.find((t) => t.table === "unified_event_log")).toMatchObject({ deleted: 3, held: 2 });
    expect(lines.some((l) => /unified_event_log: archived 2 rows .*sha256 [0-9a-f]{64}/.test(l))).toBe(true);

    // Every archive is in the audit log with its checksum; the file matches it and holds the rows.
    const recorded = await purges(org);
    expect(recorded.map((r) => r.details.deleted).reduce((a, b) => a + b, 0)).toBe(5);
    const archived: Record<string, unknown>[] = [];
    for (const { details } of recorded) {
      const blob = await blobs.get(details.archive.key);
      expect(createHash("sha256").update(blob!.bytes).digest("hex")).toBe(details.archive.sha256);
      const rows = (await readArchive(blobs, details.archive.key, details.archive.sha256)) as Record<
        string,
        unknown
      >[];
      expect(rows).toHaveLength(details.archive.rows);
      archived.push(...rows);
    }
    const archivedEvents = archived.filter((r) => "event_type" in r);
    expect(archivedEvents.map((r) => r.event_id).sort()).toEqual([...gone].sort());
    expect(archivedEvents.find((r) => r.event_id === ids.expired)).toMatchObject({
      changes_summary: "expired",
      chain_id: "cloud",
    });
    expect(
      archived
        .filter((r) => "audit_category" in r)
        .map((r) => r.event_id)
        .sort(),
    ).toEqual([ids.expiredSignIn!, ids.expiredControlled!].sort());
    // The links the deleted rows left name the archive that holds them.
    const links = await database.withTenant(org, (tx) =>
      tx.select().from(auditPrunedLinks).where(eq(auditPrunedLinks.row_id, ids.expired!)),
    );
    expect(recorded.map((r) => r.details.archive.sha256)).toContain(links[0]?.archive_sha256);

    const report = await audit.verify(org);
    expect(report.chains.filter((c) => c.break)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it("keeps everything under an organization hold, deletes once it is released, and records both", async () => {
    const ids = await insertEvents(org, {
      orgHeld: { event_timestamp: yearsAgo(9), cabinet_id: freeCabinet },
    });
    const hold = await retention.placeHold(org, admin, {
      scope_type: "organization",
      reason: "regulator audit",
    });
    const held = await retention.runOrg(org);
    expect(held.tables.every((t) => t.deleted === 0)).toBe(true);
    expect(await present(org, [ids.orgHeld!])).toEqual([ids.orgHeld]);

    const released = await call("admin", "POST", `/api/v1/orgs/${org}/legal-holds/${hold.hold_id}/release`, {
      reason: "audit closed",
    });
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({
      released_by_name: "admin@example.org",
      release_reason: "audit closed",
    });
    expect(
      (
        await call("admin", "POST", `/api/v1/orgs/${org}/legal-holds/${hold.hold_id}/release`, {
          reason: "again",
        })
      ).status,
    ).toBe(409);
    const after = await retention.runOrg(org);
    expect(after.tables.find((t) => t.table === "unified_event_log")?.deleted).toBe(1);
    expect(await present(org, [ids.orgHeld!])).toEqual([]);

    const actions = await database.withTenant(org, (tx) =>
      queryRows<{ action: string; category: string; reason: string }>(
        tx,
        sql`SELECT e.event_details->>'action' AS action, a.audit_category AS category, e.event_details->>'reason' AS reason
              FROM unified_event_log e JOIN compliance_audit_log a USING (event_id)
             WHERE e.event_details->>'action' LIKE 'legal_hold_%' ORDER BY e.chain_seq`,
      ),
    );
    expect(actions).toEqual([
      { action: "legal_hold_placed", category: "records_retention", reason: "litigation 2026-17" },
      { action: "legal_hold_placed", category: "records_retention", reason: "DEA inquiry" },
      { action: "legal_hold_placed", category: "records_retention", reason: "regulator audit" },
      { action: "legal_hold_released", category: "records_retention", reason: "audit closed" },
    ]);
    expect((await audit.verify(org)).ok).toBe(true);
  });

  it("lets the tenant role delete nothing early through the deletion path, nor forge a link", async () => {
    const ids = await insertEvents(org, { young: { event_timestamp: yearsAgo(1) } });
    const sha = "a".repeat(64);
    const deleted = await database.withTenant(org, (tx) =>
      queryRows<{ n: number }>(
        tx,
        sql`SELECT retention_prune('unified_event_log', ${`{${ids.young}}`}::uuid[], ${sha}, now()) AS n`,
      ),
    );
    expect(deleted[0]?.n).toBe(0);
    await expect(
      database.withTenant(org, (tx) =>
        tx.execute(
          sql`SELECT retention_prune('unified_event_log', ${`{${ids.young}}`}::uuid[], ${sha}, now() + interval '20 years')`,
        ),
      ),
    ).rejects.toThrow();
    await expect(
      database.withTenant(org, (tx) =>
        tx.execute(
          sql`SELECT retention_prune('unified_event_log', ${`{${ids.young}}`}::uuid[], 'none', now())`,
        ),
      ),
    ).rejects.toThrow();
    if (backend.name === "postgres") {
      // Only the SECURITY DEFINER function writes links; a forged one would let a delete through.
      await expect(
        database.withTenant(org, (tx) =>
          tx.insert(auditPrunedLinks).values({
            table_name: "unified_event_log",
            row_id: ids.young!,
            chain_id: "cloud",
            seq: 1,
            prev_hash: sha,
            row_hash: sha,
            record_class: "audit_log",
            archive_sha256: sha,
          }),
        ),
      ).rejects.toThrow();
      await expect(
        database.withTenant(org, (tx) =>
          tx.delete(unifiedEventLog).where(eq(unifiedEventLog.event_id, ids.young!)),
        ),
      ).rejects.toThrow();
    }
    expect(await present(org, [ids.young!])).toEqual([ids.young]);
  });

  it("archives an expired hot partition before dropping it, and keeps it while a cabinet of an organization with rows in it is held", async () => {
    await database.asOwner((tx) => ensurePartitions(tx, { behind: 12 }));
    const tenDaysAgo = new Date(Date.now() - 10 * DAY);
    const day = tenDaysAgo.toISOString().slice(0, 10).replaceAll("-", "");
    const partition = `event_stream_p${day}`;
    await database.asOwner((tx) =>
      tx.insert(eventStream).values([
        { org_id: org, event_type: "door_opened", event_timestamp: tenDaysAgo, cabinet_id: heldCabinet },
        { org_id: org, event_type: "door_closed", event_timestamp: tenDaysAgo, cabinet_id: freeCabinet },
        { org_id: other, event_type: "door_opened", event_timestamp: tenDaysAgo },
      ]),
    );
    const kept = await retention.runPartitions();
    expect(kept.kept.find((k) => k.partition === partition)?.reason).toMatch(/legal hold on a cabinet/);
    expect(kept.dropped).not.toContain(partition);

    const [hold] = (await retention.holds(org, true)).filter((h) => h.scope_type === "cabinet");
    await retention.releaseHold(org, admin, hold!.hold_id, "case settled");
    const dropped = await retention.runPartitions();
    expect(dropped.dropped).toContain(partition);
    const archives = dropped.archives.filter((a) => a.partition === partition);
    expect(archives.map((a) => [a.org_id, a.rows]).sort()).toEqual(
      [
        [org, 2],
        [other, 1],
      ].sort(),
    );
    const ours = archives.find((a) => a.org_id === org)!;
    const rows = (await readArchive(blobs, ours.key, ours.sha256)) as { event_type: string }[];
    expect(rows.map((r) => r.event_type).sort()).toEqual(["door_closed", "door_opened"]);
    // Each organization's archive is recorded in its own audit log, not in the other's.
    const recorded = (orgId: string) =>
      database.withTenant(orgId, (tx) =>
        queryRows<{ sha: string }>(
          tx,
          sql`SELECT event_details->'archive'->>'sha256' AS sha FROM unified_event_log
               WHERE event_details->>'action' = 'retention_archive' AND event_details->>'partition' = ${partition}`,
        ),
      );
    expect((await recorded(org)).map((r) => r.sha)).toEqual([ours.sha256]);
    expect((await recorded(other)).map((r) => r.sha)).toEqual([
      archives.find((a) => a.org_id === other)!.sha256,
    ]);
    expect((await audit.verify(org)).ok).toBe(true);
  });

  it("shows another organization nothing of this one's holds and settings (404), and changes nothing there", async () => {
    const [hold] = await retention.holds(org, false);
    expect((await call("outsider", "GET", `/api/v1/orgs/${org}/legal-holds`)).status).toBe(404);
    expect((await call("outsider", "GET", `/api/v1/orgs/${org}/retention`)).status).toBe(404);
    expect(
      (await call("outsider", "PUT", `/api/v1/orgs/${org}/retention/audit_log`, { days: 9000 })).status,
    ).toBe(404);
    expect(
      (
        await call("outsider", "POST", `/api/v1/orgs/${org}/legal-holds/${hold!.hold_id}/release`, {
          reason: "x",
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call("outsider", "POST", `/api/v1/orgs/${other}/legal-holds/${hold!.hold_id}/release`, {
          reason: "x",
        })
      ).status,
    ).toBe(404);
    const theirs = await call("outsider", "GET", `/api/v1/orgs/${other}/legal-holds?active=false`);
    expect(await theirs.json()).toEqual({ items: [] });
    // A hold on this organization's cabinet cannot be placed from the other one.
    expect(
      (
        await call("outsider", "POST", `/api/v1/orgs/${other}/legal-holds`, {
          scope_type: "cabinet",
          scope_id: freeCabinet,
          reason: "x",
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call("admin", "POST", `/api/v1/orgs/${org}/legal-holds`, {
          scope_type: "container",
          scope_id: randomUUID(),
          reason: "x",
        })
      ).status,
    ).toBe(404);
    expect(await retention.holds(other, false)).toEqual([]);
    expect(
      (await retention.policy(org)).find((c) => c.record_class === "audit_log")?.configured_days,
    ).toBeNull();
    const records = await database.withTenant(org, (tx) =>
      tx
        .select({ n: sql<number>`count(*)::int` })
        .from(complianceAuditLog)
        .where(eq(complianceAuditLog.audit_category, "records_retention")),
    );
    expect(records[0]!.n).toBeGreaterThan(0);
  });
});
