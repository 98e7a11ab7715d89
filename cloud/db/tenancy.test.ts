// Migrations, constraints, search and tenant isolation on PGlite and on a real PostgreSQL server.
import { eq, sql } from "drizzle-orm";
import { getTableConfig, type PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tenantTables from "../../shared/schema/tenant.js";
import { seedCabinet } from "../../test/support/cabinet-rows.js";
import { backends } from "../../test/support/databases.js";
import { OrganizationService } from "../orgs/organization.service.js";
import { type Database, pgErrorCode, queryRows, type Tx } from "./database.js";
import { migrateAll } from "./migrator.js";

const { chemicalInventory, containerTransactions, unifiedEventLog } = tenantTables;
const tenantTableNames = Object.values(tenantTables)
  .map((t) => getTableConfig(t as PgTable).name)
  .sort();

/** Schema catalogue fingerprint: every column, constraint and index of the lilo schemas. */
async function catalogue(tx: Tx): Promise<string[]> {
  const rows = await queryRows<{ item: string }>(
    tx,
    sql`SELECT table_schema || '.' || table_name || '.' || column_name || ':' || data_type AS item
          FROM information_schema.columns WHERE table_schema LIKE 'lilo_platform' OR table_schema LIKE 'tenant\\_%'
        UNION ALL SELECT n.nspname || '.' || c.conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE n.nspname LIKE 'lilo_platform' OR n.nspname LIKE 'tenant\\_%'
        UNION ALL SELECT schemaname || '.' || indexname FROM pg_indexes
          WHERE schemaname LIKE 'lilo_platform' OR schemaname LIKE 'tenant\\_%'
        ORDER BY 1`,
  );
  return rows.map((r) => r.item);
}

async function errorOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return pgErrorCode(err) ?? String(err);
  }
  return undefined;
}

const container = (
  cabinet_id: string,
  qr_code: string,
  extra: Partial<typeof chemicalInventory.$inferInsert> = {},
) => ({
  cabinet_id,
  qr_code,
  shelf_level: 2,
  chemical_name: "Acetone",
  cas_number: "67-64-1",
  quantity: "500",
  unit: "mL",
  ...extra,
});

describe.each(backends)("data model on $name", (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let a: { org_id: string; schema: string };
  let b: { org_id: string; schema: string };
  let cabinetA: string;

  beforeAll(async () => {
    ({ database, dispose } = await backend.create());
    await migrateAll(database);
    const orgs = new OrganizationService(database);
    a = await orgs.create({ name: "Alpha University", slug: "alpha", type: "university" });
    b = await orgs.create({ name: "Beta Pharma", slug: "beta", type: "pharma", tier: "enterprise" });
    cabinetA = await database.withTenant(a.org_id, (tx) => seedCabinet(tx, "CAB-A"));
    await database.withTenant(b.org_id, (tx) => seedCabinet(tx, "CAB-B"));
  });
  afterAll(() => dispose?.());

  it("creates both tenant schemas with every table of the template", async () => {
    for (const org of [a, b]) {
      const rows = await database.asOwner((tx) =>
        queryRows<{ table_name: string }>(
          tx,
          sql`SELECT table_name FROM information_schema.tables WHERE table_schema = ${org.schema} AND table_name <> 'schema_migrations' ORDER BY 1`,
        ),
      );
      expect(rows.map((r) => r.table_name)).toEqual(tenantTableNames);
    }
    // The seed's 13; access credentials, settings, sync state; audit heads and checkpoints; signatures; evidence;
    // report runs, retention settings, legal holds and the links retention leaves in the audit chains.
    expect(tenantTableNames).toHaveLength(24);
  });

  it("running the migrations again changes nothing", async () => {
    const before = await database.asOwner(catalogue);
    const reports = await migrateAll(database);
    expect(reports.map((r) => r.schema).sort()).toEqual(["lilo_platform", a.schema, b.schema].sort());
    expect(reports.every((r) => r.applied.length === 0)).toBe(true);
    expect(await database.asOwner(catalogue)).toEqual(before);
  });

  it("rejects rows that break the seed's constraints", async () => {
    const inTenant = (fn: (tx: Tx) => Promise<unknown>) => errorOf(database.withTenant(a.org_id, fn));
    expect(
      await inTenant((tx) =>
        tx.insert(chemicalInventory).values(container(cabinetA, "LILO:C:000001", { shelf_level: 0 })),
      ),
    ).toBe("23514");
    await database.withTenant(a.org_id, (tx) =>
      tx.insert(chemicalInventory).values(container(cabinetA, "LILO:C:000002")),
    );
    expect(
      await inTenant((tx) => tx.insert(chemicalInventory).values(container(cabinetA, "LILO:C:000002"))),
    ).toBe("23505");
    const [row] = await database.withTenant(a.org_id, (tx) =>
      tx.select().from(chemicalInventory).where(eq(chemicalInventory.qr_code, "LILO:C:000002")),
    );
    expect(
      await inTenant((tx) =>
        tx.insert(containerTransactions).values({
          container_id: row!.container_id,
          qr_code: row!.qr_code,
          user_id: crypto.randomUUID(),
          transaction_type: "steal" as never,
        }),
      ),
    ).toBe("23514");
    // Nothing of the failed inserts is left behind.
    const count = await database.withTenant(a.org_id, (tx) => tx.$count(chemicalInventory));
    expect(count).toBe(1);
  });

  it("finds a container by name and by CAS number through the generated tsv column", async () => {
    await database.withTenant(a.org_id, (tx) =>
      tx.insert(chemicalInventory).values(
        container(cabinetA, "LILO:C:000003", {
          chemical_name: "Sodium hydroxide",
          cas_number: "1310-73-2",
        }),
      ),
    );
    const search = (q: string) =>
      database.withTenant(a.org_id, (tx) =>
        queryRows<{ chemical_name: string }>(
          tx,
          sql`SELECT chemical_name FROM chemical_inventory WHERE tsv @@ plainto_tsquery('english', ${q})`,
        ),
      );
    expect((await search("sodium hydroxide")).map((r) => r.chemical_name)).toEqual(["Sodium hydroxide"]);
    expect((await search("1310-73-2")).map((r) => r.chemical_name)).toEqual(["Sodium hydroxide"]);
    expect(await search("toluene")).toEqual([]);
  });

  it("keeps tenant A out of tenant B's schema and B's platform rows", async () => {
    expect(
      await errorOf(
        database.withTenant(a.org_id, (tx) => tx.execute(sql.raw(`SELECT * FROM "${b.schema}".cabinets`))),
      ),
    ).toBe("42501");
    const orgs = await database.withTenant(a.org_id, (tx) =>
      queryRows<{ org_id: string }>(tx, sql`SELECT org_id FROM lilo_platform.organizations`),
    );
    expect(orgs.map((o) => o.org_id)).toEqual([a.org_id]);
    const events = await database.withTenant(a.org_id, (tx) =>
      queryRows<{ org_id: string }>(tx, sql`SELECT DISTINCT org_id FROM lilo_platform.system_events`),
    );
    expect(events.map((o) => o.org_id)).toEqual([a.org_id]);
    // Even a forged org_id cannot write into B's platform rows or widen A's view.
    expect(
      await errorOf(
        database.withTenant(a.org_id, (tx) =>
          tx.execute(
            sql`UPDATE lilo_platform.organizations SET org_name = 'owned' WHERE org_id = ${b.org_id}`,
          ),
        ),
      ),
    ).toBe("42501");
  });

  it("keeps the event log append-only for the tenant", async () => {
    await database.withTenant(a.org_id, (tx) =>
      tx
        .insert(unifiedEventLog)
        .values({ event_type: "access", cabinet_id: cabinetA, changes_summary: "door opened" }),
    );
    expect(
      await errorOf(
        database.withTenant(a.org_id, (tx) => tx.update(unifiedEventLog).set({ severity: "debug" })),
      ),
    ).toBe("42501");
    expect(await errorOf(database.withTenant(a.org_id, (tx) => tx.delete(unifiedEventLog)))).toBe("42501");
  });

  it("refuses bad organizations and creates nothing for them", async () => {
    const orgs = new OrganizationService(database);
    const before = await database.asOwner(catalogue);
    await expect(orgs.create({ name: "Dup", slug: "alpha", type: "biotech" })).rejects.toThrow(
      /already exists/,
    );
    await expect(orgs.create({ name: "Bad", slug: "Not A Slug", type: "biotech" })).rejects.toThrow(/slug/);
    await expect(orgs.create({ name: "Bad", slug: "gamma", type: "startup" as never })).rejects.toThrow(
      /type must be one of/,
    );
    expect(await database.asOwner(catalogue)).toEqual(before);
    const count = await database.asOwner((tx) =>
      queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM lilo_platform.organizations`),
    );
    expect(count[0]!.n).toBe(2);
  });
});
