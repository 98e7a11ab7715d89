// The cloud's database logins on a real PostgreSQL server, as an attacker who gets SQL into the service's
// connection would meet them: the login is no superuser and has neither BYPASSRLS nor CREATEROLE, holds
// nothing by itself, cannot become the owner, and row-level security binds it. The unauthenticated device
// claim works with that login alone, so it never needs the owner.
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database, queryRows, serviceLoginWarning } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { cabinets } from "../shared/schema/tenant.js";
import { seedCabinet } from "./support/cabinet-rows.js";
import { lilo } from "./support/cli.js";
import { backends, serverUrl } from "./support/databases.js";

/** SQLSTATE of what `query` raises as the given client, or "ok". */
async function outcome(client: pg.Client, query: string): Promise<string> {
  try {
    await client.query(query);
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

const postgres = backends.find((b) => b.name === "postgres");

describe.skipIf(!postgres)("database logins on PostgreSQL", () => {
  let database: Database;
  let url: string;
  let ownerUrl: string;
  let dispose: () => Promise<void>;
  let a: { org_id: string; schema: string };
  let b: { org_id: string; schema: string };
  let cabinetA: string;
  /** A raw connection as the service login, without the Database wrapper's SET ROLE. */
  let raw: pg.Client;

  beforeAll(async () => {
    const created = await postgres!.create();
    ({ database, dispose } = created);
    url = created.url!;
    ownerUrl = created.ownerUrl!;
    await migrateAll(database);
    const orgs = new OrganizationService(database);
    a = await orgs.create({ name: "Alpha", slug: "alpha", type: "university" });
    b = await orgs.create({ name: "Beta", slug: "beta", type: "pharma" });
    cabinetA = await database.withTenant(a.org_id, (tx) => seedCabinet(tx, "CAB-A"));
    await database.withTenant(b.org_id, (tx) => seedCabinet(tx, "CAB-B"));
    raw = new pg.Client({ connectionString: url });
    await raw.connect();
  });
  afterAll(async () => {
    await raw?.end();
    await dispose?.();
  });

  it("connects the service as a login without superuser, BYPASSRLS, CREATEROLE or inherited rights", async () => {
    const { rows } = await raw.query(
      "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolinherit FROM pg_roles WHERE rolname = session_user",
    );
    expect(rows).toEqual([
      { rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolinherit: false },
    ]);
    expect(database.serviceLogin).toMatchObject({ superuser: false, bypassRls: false, separate: true });
  });

  it("gives the login itself no table, no DDL and no way to the owner", async () => {
    expect(await outcome(raw, "SELECT * FROM lilo_platform.organizations")).toBe("42501");
    expect(await outcome(raw, `SELECT * FROM "${a.schema}".cabinets`)).toBe("42501");
    const owner = decodeURIComponent(new URL(ownerUrl).username);
    expect(await outcome(raw, `SET ROLE "${owner}"`)).toBe("42501");
    expect(await outcome(raw, "SET ROLE postgres")).toBe("42501");
    for (const role of ["lilo_service", a.schema]) {
      await raw.query("BEGIN");
      await raw.query(`SET LOCAL ROLE "${role}"`);
      expect(await outcome(raw, "CREATE ROLE lilo_evil LOGIN SUPERUSER")).toBe("42501");
      await raw.query("ROLLBACK");
      await raw.query("BEGIN");
      await raw.query(`SET LOCAL ROLE "${role}"`);
      expect(await outcome(raw, "ALTER TABLE lilo_platform.organizations NO FORCE ROW LEVEL SECURITY")).toBe(
        "42501",
      );
      await raw.query("ROLLBACK");
    }
  });

  it("is bound by row-level security: a tenant sees and changes only its own platform rows", async () => {
    await raw.query("BEGIN");
    await raw.query(`SET LOCAL ROLE "${a.schema}"`);
    const { rows } = await raw.query("SELECT org_id FROM lilo_platform.organizations");
    expect(rows).toEqual([{ org_id: a.org_id }]);
    const update = await raw.query("UPDATE lilo_platform.claim_tokens SET used_at = now()").catch((e) => e);
    expect(update.code).toBe("42501");
    await raw.query("ROLLBACK");
    await raw.query("BEGIN");
    await raw.query(`SET LOCAL ROLE "${a.schema}"`);
    expect(await outcome(raw, `SELECT * FROM "${b.schema}".cabinets`)).toBe("42501");
    await raw.query("ROLLBACK");
    // The same through the service's own wrapper.
    const seen = await database.withTenant(a.org_id, (tx) =>
      queryRows<{ org_id: string }>(tx, sql`SELECT org_id FROM lilo_platform.system_events`),
    );
    expect(new Set(seen.map((r) => r.org_id))).toEqual(new Set([a.org_id]));
  });

  it("claims a device with the service login alone: the unauthenticated path never uses the owner", async () => {
    const { claim_token } = await new ProvisioningService(database).createClaimToken(a.org_id, cabinetA);
    // No owner URL: here "owner" is the service login itself, which holds nothing without SET ROLE.
    const serviceOnly = await connectDatabase({ databaseUrl: url, poolSize: 1 });
    try {
      expect(serviceOnly.serviceLogin.separate).toBe(false);
      await expect(
        serviceOnly.asOwner((tx) => tx.execute(sql`SELECT 1 FROM lilo_platform.organizations`)),
      ).rejects.toMatchObject({ cause: { code: "42501" } });
      const device = await new ProvisioningService(serviceOnly).claim({
        claim_token,
        serial_number: `SN-${randomBytes(4).toString("hex")}`,
      });
      expect(device).toMatchObject({ org_id: a.org_id, cabinet_id: cabinetA });
    } finally {
      await serviceOnly.close();
    }
    const [cab] = await database.withTenant(a.org_id, (tx) => tx.select().from(cabinets));
    expect(cab!.device_id).toBeTruthy();
  });

  it("refuses a privileged service login when an owner is configured, and warns in the fallback", async () => {
    const admin = new URL(serverUrl!);
    admin.pathname = new URL(url).pathname;
    await expect(connectDatabase({ databaseUrl: admin.toString(), ownerUrl, poolSize: 1 })).rejects.toThrow(
      /is a superuser or has BYPASSRLS or CREATEROLE/,
    );
    const fallback = await connectDatabase({ databaseUrl: admin.toString(), poolSize: 1 });
    try {
      expect(serviceLoginWarning(fallback)).toMatch(/is a superuser/);
    } finally {
      await fallback.close();
    }
    expect(serviceLoginWarning(database)).toBeUndefined();
  });

  it("lilo cloud db init-roles creates a service login that works, and refuses the owner as one", async () => {
    const name = `lilo_sec_${randomBytes(4).toString("hex")}`;
    const login = new URL(url);
    login.username = name;
    login.password = "s3cret-pass";
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      const r = await lilo(["cloud", "db", "init-roles"], {
        DATABASE_URL: login.toString(),
        DATABASE_OWNER_URL: ownerUrl,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ login: name, tenants: 2 });
      const { rows } = await admin.query(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolinherit, rolcanlogin FROM pg_roles WHERE rolname = $1",
        [name],
      );
      expect(rows).toEqual([
        { rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolinherit: false, rolcanlogin: true },
      ]);
      // Run again, as a redeploy or a second CI run on the same server does: the login exists now.
      const again = await lilo(["cloud", "db", "init-roles"], {
        DATABASE_URL: login.toString(),
        DATABASE_OWNER_URL: ownerUrl,
      });
      expect(again.code, again.stderr).toBe(0);
      const fresh = await connectDatabase({ databaseUrl: login.toString(), ownerUrl, poolSize: 1 });
      try {
        const orgs = await fresh.withTenant(b.org_id, (tx) =>
          queryRows(tx, sql`SELECT org_id FROM lilo_platform.organizations`),
        );
        expect(orgs).toEqual([{ org_id: b.org_id }]);
      } finally {
        await fresh.close();
      }
      const asOwner = await lilo(["cloud", "db", "init-roles"], {
        DATABASE_URL: ownerUrl,
        DATABASE_OWNER_URL: ownerUrl,
      });
      expect(asOwner.code).not.toBe(0);
      expect(asOwner.stderr).toContain("must not be the owner login");
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${name}`);
      await admin.end();
    }
  });
});
