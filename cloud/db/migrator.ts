// Creates or upgrades lilo_platform and every tenant schema: one transaction per schema, idempotent,
// serialized across cloud instances by an advisory lock.
import { sql } from "drizzle-orm";
import { loadMigrations, type Migration } from "../../shared/migrations.js";
import { fromRoot } from "../../shared/paths.js";
import { PLATFORM_SCHEMA } from "../../shared/schema/platform.js";
import { ensureSystemRoles } from "../authz/system-roles.js";
import { type Database, queryRows, quoteIdent, type Tx, withinTenantAsOwner } from "./database.js";
import { tenantRoleName, tenantSchemaName } from "./names.js";
import { ensurePartitions } from "./partitions.js";
import { grantIfMissing, grantPlatformRoles, listTenantOrgIds } from "./roles.js";

const MIGRATION_LOCK = 0x4c494c4f; // "LILO"

export const platformMigrations = () => loadMigrations(fromRoot("cloud/db/migrations/platform"));
export const tenantMigrations = () => loadMigrations(fromRoot("cloud/db/migrations/tenant"));

export interface MigrateReport {
  schema: string;
  applied: string[];
}

async function applyPending(tx: Tx, schema: string, migrations: Migration[]): Promise<string[]> {
  const s = quoteIdent(schema);
  await tx.execute(sql.raw(`CREATE SCHEMA IF NOT EXISTS ${s}`));
  await tx.execute(
    sql.raw(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`),
  );
  const done = new Set(
    (await queryRows<{ version: string }>(tx, sql.raw(`SELECT version FROM ${s}.schema_migrations`))).map(
      (r) => r.version,
    ),
  );
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements) await tx.execute(sql.raw(statement));
    await tx.execute(sql`INSERT INTO ${sql.raw(s)}.schema_migrations (version) VALUES (${m.version})`);
    applied.push(m.version);
  }
  return applied;
}

export async function migratePlatform(tx: Tx): Promise<MigrateReport> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
  return { schema: PLATFORM_SCHEMA, applied: await applyPending(tx, PLATFORM_SCHEMA, platformMigrations()) };
}

/**
 * Migrates one tenant schema and (re)grants its role, to the service login too (so that it can SET ROLE
 * to it); runs inside the caller's owner transaction.
 */
export async function migrateTenant(tx: Tx, orgId: string, serviceLogin: string): Promise<MigrateReport> {
  const schema = tenantSchemaName(orgId);
  const role = quoteIdent(tenantRoleName(orgId));
  const s = quoteIdent(schema);
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
  await tx.execute(
    sql.raw(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${tenantRoleName(orgId)}') THEN
        CREATE ROLE ${role} NOLOGIN;
      END IF;
    END $$`),
  );
  await tx.execute(sql.raw(`GRANT lilo_tenant TO ${role}`));
  await grantIfMissing(tx, tenantRoleName(orgId), serviceLogin);
  // Tenant migrations name no schema (scripts/migration-targets.ts): they land in the search_path's.
  const applied = await withinTenantAsOwner(tx, orgId, async (t) => {
    const versions = await applyPending(t, schema, tenantMigrations());
    await ensureSystemRoles(t);
    return versions;
  });
  await tx.execute(sql.raw(`GRANT USAGE ON SCHEMA ${s} TO ${role}`));
  await tx.execute(sql.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${role}`));
  // The audit trail is append-only: no UPDATE or DELETE, even for the tenant itself (a trigger refuses
  // them too); chain heads are written only by the chaining trigger's SECURITY DEFINER function.
  for (const table of [
    "unified_event_log",
    "compliance_audit_log",
    "audit_checkpoints",
    "electronic_signatures",
  ]) {
    await tx.execute(sql.raw(`REVOKE UPDATE, DELETE, TRUNCATE ON ${s}.${table} FROM ${role}`));
  }
  // Chain heads and the links retention leaves are written only by SECURITY DEFINER functions.
  for (const table of ["audit_chain_heads", "audit_pruned_links"]) {
    await tx.execute(sql.raw(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${s}.${table} FROM ${role}`));
  }
  await tx.execute(sql.raw(`REVOKE INSERT, UPDATE, DELETE ON ${s}.schema_migrations FROM ${role}`));
  return { schema, applied };
}

/** `lilo cloud migrate`: the platform first, then each tenant in its own transaction. */
export async function migrateAll(database: Database): Promise<MigrateReport[]> {
  const login = database.serviceLogin.name;
  const reports = [
    await database.asOwner(async (tx) => {
      const report = await migratePlatform(tx);
      await ensurePartitions(tx);
      await grantPlatformRoles(tx, login);
      return report;
    }),
  ];
  const orgIds = await database.asOwner(listTenantOrgIds);
  for (const orgId of orgIds) reports.push(await database.asOwner((tx) => migrateTenant(tx, orgId, login)));
  return reports;
}
