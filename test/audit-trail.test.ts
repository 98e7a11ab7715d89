// The tamper-evident audit trail on a real PostgreSQL server and a real SQLite cabinet database: a
// cabinet's hash chain survives sync and verifies in the cloud, the cloud chains what it writes itself,
// and every kind of tampering a superuser can do directly in the tables (change, delete, insert,
// reorder) is found and named by `lilo cloud audit verify`, which passes again once the edit is undone.
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc, eq, sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeLogId } from "../appliance/db/device-state.repository.js";
import { type LocalDatabase, openLocalDatabase } from "../appliance/db/local-database.js";
import { changeLog } from "../appliance/db/schema.js";
import { recordEvent } from "../appliance/session/event-recorder.js";
import { AuditService } from "../cloud/audit/audit.service.js";
import { recordAuditEvent } from "../cloud/audit/audit-event.js";
import { loadSigningKey } from "../cloud/audit/audit-signing-key.js";
import type { Database } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { IngestService } from "../cloud/sync/ingest.service.js";
import { deviceChainId } from "../shared/audit/audit-hash.js";
import type { DeviceIdentity } from "../shared/device-identity.js";
import { cabinets, complianceAuditLog, unifiedEventLog } from "../shared/schema/tenant.js";
import { Change } from "../shared/sync/change.js";
import { seedCabinet } from "./support/cabinet-rows.js";
import { lilo } from "./support/cli.js";
import { backends, serverUrl } from "./support/databases.js";

const postgres = backends.find((b) => b.name === "postgres");

describe.skipIf(!postgres)("the audit trail's hash chains on PostgreSQL", () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let url: string;
  let ownerUrl: string;
  let org: { org_id: string; schema: string };
  let device: DeviceIdentity;
  let cabinet: LocalDatabase;
  let audit: AuditService;
  /** A superuser in the test database: what an administrator with psql can do. */
  let superuser: pg.Client;
  const keyFile = join(mkdtempSync(join(tmpdir(), "audit-")), "audit-signing-key.pem");
  const cliEnv = () => ({
    DATABASE_URL: url,
    DATABASE_OWNER_URL: ownerUrl,
    LILO_AUDIT_SIGNING_KEY_FILE: keyFile,
  });

  const chain = (table: "unified_event_log" | "compliance_audit_log", chainId: string) =>
    superuser
      .query(
        `SELECT ${table === "unified_event_log" ? "event_id" : "audit_id"} AS id, * FROM "${org.schema}".${table}
          WHERE chain_id = $1 ORDER BY chain_seq`,
        [chainId],
      )
      .then((r) => r.rows as Record<string, unknown>[]);
  const brokenChains = async () => (await audit.verify(org.org_id)).chains.filter((c) => c.break);
  /** Runs `tamper` as the superuser, expects verify to report `expected`, then undoes it in the same transaction. */
  async function expectFound(
    tamper: () => Promise<unknown>,
    expected: { table: string; chain_id: string; kind: string; row_id: string },
  ) {
    await superuser.query("BEGIN");
    try {
      await tamper();
      await superuser.query("COMMIT");
    } catch (err) {
      await superuser.query("ROLLBACK");
      throw err;
    }
    const broken = await brokenChains();
    expect(
      broken.map((c) => ({
        table: c.table,
        chain_id: c.chain_id,
        kind: c.break!.kind,
        row_id: c.break!.row_id,
      })),
    ).toEqual([expected]);
  }

  beforeAll(async () => {
    const created = await postgres!.create();
    ({ database, dispose } = created);
    url = created.url!;
    ownerUrl = created.ownerUrl!;
    await migrateAll(database);
    org = await new OrganizationService(database).create({ name: "Audit", slug: "audit", type: "pharma" });
    const cabinetId = await database.withTenant(org.org_id, (tx) => seedCabinet(tx, "CAB-AUDIT"));
    const [cab] = await database.withTenant(org.org_id, (tx) =>
      tx.select().from(cabinets).where(eq(cabinets.cabinet_id, cabinetId)),
    );
    device = { device_id: randomUUID(), org_id: org.org_id, thing_name: "cab-audit", cabinet_id: cabinetId };
    audit = new AuditService(database, loadSigningKey(keyFile));
    const base = new URL(serverUrl!);
    base.pathname = new URL(url).pathname;
    superuser = new pg.Client({ connectionString: base.toString() });
    await superuser.connect();

    // The cabinet records a session in its own SQLite file and uploads its outbox as sync does.
    cabinet = openLocalDatabase(":memory:");
    const scope = { org_id: org.org_id, lab_id: cab!.lab_id!, cabinet_id: cabinetId };
    const user = { user_id: randomUUID(), display_name: "Tina Technician", email: null, role: "technician" };
    cabinet.transaction((db) => {
      for (const action of ["auth_granted", "door_opened", "door_closed", "scan_done"]) {
        recordEvent(db, scope, {
          type: "access",
          category: "user_action",
          action,
          summary: `${action} by Tina`,
          user,
          details: { confidence: 0.87, shelves: [1, 2], nested: { b: 1, a: "x" } },
        });
      }
      recordEvent(db, scope, {
        type: "safety",
        category: "safety",
        action: "spill",
        summary: "spill on shelf 2",
        shelf: 2,
      });
    });
    const changes = cabinet.db
      .select()
      .from(changeLog)
      .orderBy(asc(changeLog.seq))
      .all()
      .map((c) => Change.parse({ ...c, payload: JSON.parse(c.payload) }));
    await new IngestService(database).ingest(device, { log_id: changeLogId(cabinet.db), changes });

    // The cloud writes events of its own: a sign-in (filed as access control) and a cabinet change.
    await database.withTenant(org.org_id, async (tx) => {
      await recordAuditEvent(tx, {
        action: "sign_in",
        type: "access",
        category: "user_action",
        summary: "Max Manager signed in",
        actor: { user_id: randomUUID(), name: "Max Manager", role: "lab_manager" },
        origin: { ip_address: "192.0.2.7", user_agent: "vitest", api_endpoint: "POST /api/v1/auth/login" },
        audit_category: "access_control",
      });
      await recordAuditEvent(tx, {
        action: "cabinet_updated",
        type: "manual",
        category: "maintenance",
        summary: "cabinet renamed",
        cabinet_id: cabinetId,
        old_values: { cabinet_name: "Flammables" },
        new_values: { cabinet_name: "Flammables A" },
        reason: "relabelled",
      });
    });
  });
  afterAll(async () => {
    cabinet?.close();
    await superuser?.end();
    await dispose?.();
  });

  it("keeps the cabinet's chain as it came and chains the cloud's own rows and the regulated subset", async () => {
    const report = await audit.verify(org.org_id);
    expect(report.ok).toBe(true);
    const summary = report.chains.map((c) => [c.table, c.chain_id, c.rows]);
    expect(summary).toEqual([
      ["unified_event_log", "cloud", 2],
      ["unified_event_log", deviceChainId(changeLogId(cabinet.db)), 5],
      // The cabinet's spill (a safety event) and the cloud's sign-in.
      ["compliance_audit_log", "cloud", 2],
    ]);
    const categories = (await chain("compliance_audit_log", "cloud")).map((r) => r.audit_category);
    expect(categories.sort()).toEqual(["access_control", "safety_incident"]);
    const deviceRows = await chain("unified_event_log", deviceChainId(changeLogId(cabinet.db)));
    const local = cabinet.sqlite
      .prepare("SELECT row_hash FROM unified_event_log ORDER BY chain_seq")
      .pluck()
      .all();
    expect(deviceRows.map((r) => r.row_hash)).toEqual(local);
  });

  it("refuses a cabinet's event that claims a place in another change log's chain, and stores nothing", async () => {
    const otherChain = deviceChainId(randomUUID());
    const event = {
      event_id: randomUUID(),
      event_timestamp: new Date().toISOString(),
      event_type: "access",
      cabinet_id: device.cabinet_id,
      chain_id: otherChain,
      chain_seq: 1,
      prev_hash: "0".repeat(64),
      row_hash: "f".repeat(64),
    };
    const batch = {
      log_id: randomUUID(),
      changes: [
        {
          seq: 1,
          entity: "unified_event_log",
          entity_id: event.event_id,
          op: "insert",
          payload: event,
          recorded_at: event.event_timestamp,
        },
      ],
    };
    await expect(new IngestService(database).ingest(device, batch)).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(await chain("unified_event_log", otherChain)).toEqual([]);
  });

  it("names a changed row of either table, and passes again once the change is undone", async () => {
    const deviceChain = deviceChainId(changeLogId(cabinet.db));
    const [, second] = await chain("unified_event_log", deviceChain);
    const s = org.schema;
    await expectFound(
      () =>
        superuser.query(
          `UPDATE "${s}".unified_event_log SET changes_summary = 'nothing happened' WHERE event_id = $1`,
          [second!.id],
        ),
      {
        table: "unified_event_log",
        chain_id: deviceChain,
        kind: "content changed",
        row_id: second!.id as string,
      },
    );
    await superuser.query(`UPDATE "${s}".unified_event_log SET changes_summary = $2 WHERE event_id = $1`, [
      second!.id,
      second!.changes_summary,
    ]);
    expect(await brokenChains()).toEqual([]);

    const [record] = await chain("compliance_audit_log", "cloud");
    await expectFound(
      () =>
        superuser.query(
          `UPDATE "${s}".compliance_audit_log SET compliance_status = 'resolved' WHERE audit_id = $1`,
          [record!.id],
        ),
      {
        table: "compliance_audit_log",
        chain_id: "cloud",
        kind: "content changed",
        row_id: record!.id as string,
      },
    );
    await superuser.query(
      `UPDATE "${s}".compliance_audit_log SET compliance_status = $2 WHERE audit_id = $1`,
      [record!.id, record!.compliance_status],
    );
    expect(await brokenChains()).toEqual([]);
  });

  it("finds a deleted row, an inserted row and rows put in another order", async () => {
    const deviceChain = deviceChainId(changeLogId(cabinet.db));
    const rows = await chain("unified_event_log", deviceChain);
    const s = org.schema;
    const list = Object.keys(rows[2]!)
      .filter((c) => c !== "id" && c !== "tsv")
      .map((c) => `"${c}"`)
      .join(", ");

    // Delete the third of five: the fourth names the gap.
    await superuser.query(
      `CREATE TEMP TABLE saved AS SELECT * FROM "${s}".unified_event_log WHERE event_id = $1`,
      [rows[2]!.id],
    );
    await expectFound(
      () => superuser.query(`DELETE FROM "${s}".unified_event_log WHERE event_id = $1`, [rows[2]!.id]),
      {
        table: "unified_event_log",
        chain_id: deviceChain,
        kind: "row missing",
        row_id: rows[3]!.id as string,
      },
    );
    await superuser.query(`INSERT INTO "${s}".unified_event_log (${list}) SELECT ${list} FROM saved`);
    expect(await brokenChains()).toEqual([]);

    // Insert a forged row in the third place, well linked and well hashed, as someone who knows the scheme.
    const forged = randomUUID();
    await expectFound(
      () =>
        superuser.query(
          `INSERT INTO "${s}".unified_event_log (${list})
           SELECT ${list.replace('"event_id"', `'${forged}'::uuid`).replace('"changes_summary"', "'returned in full'")} FROM saved`,
        ),
      { table: "unified_event_log", chain_id: deviceChain, kind: "row inserted", row_id: forged },
    );
    await superuser.query(`DELETE FROM "${s}".unified_event_log WHERE event_id = $1`, [forged]);
    expect(await brokenChains()).toEqual([]);

    // Swap the places of the second and third rows.
    const place = (second: unknown, third: unknown) =>
      superuser.query(
        `UPDATE "${s}".unified_event_log SET chain_seq = CASE event_id WHEN $1 THEN $3::bigint ELSE $4::bigint END
          WHERE event_id IN ($1, $2)`,
        [rows[1]!.id, rows[2]!.id, second, third],
      );
    await expectFound(() => place(rows[2]!.chain_seq, rows[1]!.chain_seq), {
      table: "unified_event_log",
      chain_id: deviceChain,
      kind: "order changed",
      row_id: rows[2]!.id as string,
    });
    await place(rows[1]!.chain_seq, rows[2]!.chain_seq);
    expect(await brokenChains()).toEqual([]);
    await superuser.query("DROP TABLE saved");
  });

  it("refuses UPDATE and DELETE to the service's login and to the owner", async () => {
    const [event] = await chain("unified_event_log", "cloud");
    const [record] = await chain("compliance_audit_log", "cloud");
    const attempts = [
      [
        "unified_event_log",
        `UPDATE unified_event_log SET changes_summary = 'x' WHERE event_id = '${event!.id}'`,
      ],
      ["unified_event_log", `DELETE FROM unified_event_log WHERE event_id = '${event!.id}'`],
      [
        "compliance_audit_log",
        `UPDATE compliance_audit_log SET compliance_status = 'resolved' WHERE audit_id = '${record!.id}'`,
      ],
      ["compliance_audit_log", `DELETE FROM compliance_audit_log WHERE audit_id = '${record!.id}'`],
      ["audit_chain_heads", "UPDATE audit_chain_heads SET seq = 0"],
      ["audit_checkpoints", "DELETE FROM audit_checkpoints"],
    ];
    for (const [, statement] of attempts) {
      // As the tenant role the service works under: no privilege.
      const asTenant = await database
        .withTenant(org.org_id, (tx) => tx.execute(sql.raw(statement!)))
        .then(
          () => "ok",
          (err: { cause?: { code?: string } }) => err.cause?.code,
        );
      expect(asTenant, statement).toBe("42501");
      // As the owner login, which owns the tables: the trigger refuses (the heads have none, but only
      // the chaining function writes them and the owner is no tenant role's member).
      if (statement!.includes("audit_chain_heads") || statement!.includes("audit_checkpoints")) continue;
      const owner = await database
        .asOwner(async (tx) => {
          await tx.execute(sql.raw(`SET LOCAL search_path TO "${org.schema}"`));
          await tx.execute(sql.raw(statement!));
        })
        .then(
          () => "ok",
          (err: { cause?: { code?: string; message?: string } }) => err.cause?.message,
        );
      expect(owner, statement).toMatch(/append-only/);
    }
    expect(await brokenChains()).toEqual([]);
  });

  it("`lilo cloud audit verify` exits 1 naming the row; `export` signs the heads, and a later deletion of the last row shows", async () => {
    const ok = await lilo(["cloud", "audit", "verify", "--org", org.org_id], cliEnv());
    expect(ok.stdout).toMatch(/audit trail intact/);
    expect(ok.code).toBe(0);

    const [event] = await chain("unified_event_log", "cloud");
    await superuser.query(
      `UPDATE "${org.schema}".unified_event_log SET user_name = 'Someone Else' WHERE event_id = $1`,
      [event!.id],
    );
    const broken = await lilo(["cloud", "audit", "verify", "--org", org.org_id], cliEnv());
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(
      `BROKEN  unified_event_log chain cloud: content changed at row ${event!.id}`,
    );
    const refused = await lilo(["cloud", "audit", "export", "--org", org.org_id], cliEnv());
    expect(refused.code).not.toBe(0);
    await superuser.query(`UPDATE "${org.schema}".unified_event_log SET user_name = $2 WHERE event_id = $1`, [
      event!.id,
      event!.user_name,
    ]);

    const exported = await lilo(["cloud", "audit", "export", "--org", org.org_id], cliEnv());
    expect(exported.code).toBe(0);
    const signed = JSON.parse(exported.stdout);
    const key = loadSigningKey(keyFile);
    expect(key.verify(signed.document, signed.signature)).toBe(true);
    expect(key.verify({ ...signed.document, heads: [] }, signed.signature)).toBe(false);
    // The export is itself an audited action, filed under data_export.
    const cloudEvents = await chain("unified_event_log", "cloud");
    const last = cloudEvents.at(-1)!;
    expect((last.event_details as { action: string }).action).toBe("audit_export");
    expect(signed.document.heads).toContainEqual({
      table: "unified_event_log",
      chain_id: "cloud",
      seq: last.chain_seq === null ? null : Number(last.chain_seq),
      hash: last.row_hash,
    });

    // Deleting the newest row leaves no gap in the chain; the signed checkpoint still shows it.
    const exportRecord = (await chain("compliance_audit_log", "cloud")).at(-1)!;
    await superuser.query(`DELETE FROM "${org.schema}".compliance_audit_log WHERE audit_id = $1`, [
      exportRecord.id,
    ]);
    const truncated = await lilo(["cloud", "audit", "verify", "--org", org.org_id, "--json"], cliEnv());
    expect(truncated.code).toBe(1);
    const report = JSON.parse(truncated.stdout);
    expect(
      report.chains
        .filter((c: { break: unknown }) => c.break)
        .map((c: { table: string; break: { kind: string } }) => [c.table, c.break.kind]),
    ).toEqual([["compliance_audit_log", "row missing"]]);
  });
});

describe.each(backends)("the cloud's chain on $name", (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ database, dispose } = await backend.create());
    await migrateAll(database);
  });
  afterAll(() => dispose?.());

  it("gives concurrent writers consecutive places, with no place taken twice", async () => {
    const org = await new OrganizationService(database).create({
      name: "Race",
      slug: "race",
      type: "biotech",
    });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        database.withTenant(org.org_id, (tx) =>
          recordAuditEvent(tx, {
            action: "note",
            type: "manual",
            category: "user_action",
            summary: `note ${i}`,
          }),
        ),
      ),
    );
    const seqs = await database.withTenant(org.org_id, (tx) =>
      tx
        .select({ seq: unifiedEventLog.chain_seq })
        .from(unifiedEventLog)
        .orderBy(asc(unifiedEventLog.chain_seq)),
    );
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const key = loadSigningKey(join(mkdtempSync(join(tmpdir(), "audit-")), "key.pem"));
    const report = await new AuditService(database, key).verify(org.org_id);
    expect(report.ok).toBe(true);
    expect(await database.withTenant(org.org_id, (tx) => tx.select().from(complianceAuditLog))).toEqual([]);
  });
});
