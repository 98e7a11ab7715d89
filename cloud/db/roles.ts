// The database logins of a PostgreSQL deployment, run on the owner connection. The owner (migrations,
// organizations) has CREATEROLE: it creates tenant roles at org creation, so no SECURITY DEFINER function
// has to hand DDL to the service. The service login is LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE
// NOINHERIT: it reaches data only through SET ROLE lilo_service or a tenant role, so a query that forgets
// to pick a role, or SQL smuggled into one, finds nothing granted to the login itself.
import { sql } from "drizzle-orm";
import { connectDatabase, queryRows, quoteIdent, type Tx } from "./database.js";
import { orgIdFromSchemaName, tenantRoleName } from "./names.js";

/** The NOLOGIN group roles every policy names; 0001_security.sql creates them too, for fresh databases. */
export async function ensureGroupRoles(tx: Tx): Promise<void> {
  for (const role of ["lilo_tenant", "lilo_service"]) {
    // Roles are cluster-wide: a concurrent creator from another database is not an error.
    await tx.execute(
      sql.raw(`DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} NOLOGIN; END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`),
    );
  }
}

/**
 * Creates the service login (or updates its password and flags), as `lilo cloud db init-roles` does.
 * Refuses a name that already belongs to a superuser or the owner itself.
 */
export async function ensureServiceLogin(tx: Tx, login: { name: string; password?: string }): Promise<void> {
  const [me] = await queryRows<{ name: string }>(tx, sql`SELECT current_user AS name`);
  if (me!.name === login.name) {
    throw new Error(
      `the service login "${login.name}" must not be the owner login: give DATABASE_URL its own user`,
    );
  }
  const [existing] = await queryRows<{ rolsuper: boolean; rolbypassrls: boolean; rolreplication: boolean }>(
    tx,
    sql`SELECT rolsuper, rolbypassrls, rolreplication FROM pg_roles WHERE rolname = ${login.name}`,
  );
  if (existing?.rolsuper) throw new Error(`"${login.name}" is a superuser: it cannot be the service login`);
  if (existing?.rolbypassrls || existing?.rolreplication) {
    throw new Error(
      `"${login.name}" has BYPASSRLS or REPLICATION: a superuser must remove them before it can be the service login`,
    );
  }
  const password = login.password === undefined ? "" : ` PASSWORD ${quoteLiteral(login.password)}`;
  // PostgreSQL lets only a superuser name SUPERUSER, BYPASSRLS or REPLICATION in an ALTER ROLE, even to
  // turn them off; an existing login was checked above, a new one gets them spelt out.
  const flags = existing
    ? "LOGIN NOCREATEROLE NOCREATEDB NOINHERIT"
    : "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION NOINHERIT";
  await tx.execute(
    sql.raw(`${existing ? "ALTER" : "CREATE"} ROLE ${quoteIdent(login.name)} ${flags}${password}`),
  );
}

/**
 * Makes `login` able to SET ROLE to lilo_service, and the owner (current_user) a member of it: platform
 * tables FORCE row-level security, so the owner needs that policy to write an organization's row.
 */
export async function grantPlatformRoles(tx: Tx, login: string): Promise<void> {
  await ensureGroupRoles(tx);
  const [me] = await queryRows<{ name: string }>(tx, sql`SELECT current_user AS name`);
  await grantIfMissing(tx, "lilo_service", me!.name);
  await grantIfMissing(tx, "lilo_service", login);
}

/**
 * GRANT role TO member, unless member is a superuser (it needs none) or already a member: a fleet of
 * cloud instances migrating at start does not then contend on the cluster-wide role catalogue.
 */
export async function grantIfMissing(tx: Tx, role: string, member: string): Promise<void> {
  const [needed] = await queryRows<{ needed: boolean }>(
    tx,
    sql`SELECT NOT r.rolsuper AND NOT EXISTS (
          SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
           WHERE m.member = r.oid AND g.rolname = ${role}) AS needed
          FROM pg_roles r WHERE r.rolname = ${member}`,
  );
  if (needed?.needed) await tx.execute(sql.raw(`GRANT ${quoteIdent(role)} TO ${quoteIdent(member)}`));
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The organizations with a tenant schema in this database. */
export async function listTenantOrgIds(tx: Tx): Promise<string[]> {
  const rows = await queryRows<{ nspname: string }>(
    tx,
    sql`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY nspname`,
  );
  return rows.map((r) => orgIdFromSchemaName(r.nspname)).filter((id): id is string => Boolean(id));
}

export interface InitRolesReport {
  owner: string;
  login: string;
  tenants: number;
}

/**
 * `lilo cloud db init-roles`: on the owner connection, the group roles, the service login named by
 * `serviceUrl` with its password, and its memberships; then a connection as that login proves it works.
 */
export async function initRoles(urls: { serviceUrl: string; ownerUrl: string }): Promise<InitRolesReport> {
  const service = new URL(urls.serviceUrl);
  const login = decodeURIComponent(service.username);
  if (!login) throw new Error("DATABASE_URL names no user: the service login is its user name");
  const password = service.password ? decodeURIComponent(service.password) : undefined;
  const ownerConnection = await connectDatabase({ databaseUrl: urls.ownerUrl, poolSize: 1 });
  let report: InitRolesReport;
  try {
    report = await ownerConnection.asOwner(async (tx) => {
      await ensureGroupRoles(tx);
      await ensureServiceLogin(tx, { name: login, password });
      await grantPlatformRoles(tx, login);
      const orgIds = await listTenantOrgIds(tx);
      for (const orgId of orgIds) await grantIfMissing(tx, tenantRoleName(orgId), login);
      const [me] = await queryRows<{ name: string }>(tx, sql`SELECT current_user AS name`);
      return { owner: me!.name, login, tenants: orgIds.length };
    });
  } finally {
    await ownerConnection.close();
  }
  // Refuses a privileged service login; a wrong password fails here rather than at the next start.
  const check = await connectDatabase({ databaseUrl: urls.serviceUrl, ownerUrl: urls.ownerUrl, poolSize: 1 });
  await check.close();
  return report;
}
