// The system roles every organization has (shared/permissions.ts SYSTEM_ROLES), written into its tenant
// schema by the migrator: created for a new organization, brought up to date for an existing one. A
// system role's row carries its inherited permissions too, so a cabinet that reads `permissions` alone
// decides as the cloud does.
import { eq, sql } from "drizzle-orm";
import { SYSTEM_ROLES } from "../../shared/permissions.js";
import { roles } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";
import { effectivePermissions, type RoleDef } from "./authorize.js";

const defs = new Map<string, RoleDef>(
  SYSTEM_ROLES.map((r) => [
    r.slug,
    { role_id: r.slug, permissions: r.permissions, inherits_from: r.inherits },
  ]),
);

/** Upserts the system roles by slug, parents first; runs in the caller's transaction on the tenant's schema. */
export async function ensureSystemRoles(tx: Tx): Promise<void> {
  const ids = new Map<string, string>();
  for (const r of SYSTEM_ROLES) {
    const values = {
      role_name: r.name,
      role_slug: r.slug,
      is_system_role: true,
      permissions: [...effectivePermissions(r.slug, defs)].sort(),
      inherits_from: r.inherits ? (ids.get(r.inherits) ?? null) : null,
    };
    await tx
      .insert(roles)
      .values(values)
      .onConflictDoUpdate({
        target: roles.role_slug,
        set: { ...values, updated_at: sql`now()` },
        // Unchanged roles are left alone, so a restart does not change what cabinets download.
        setWhere: sql`(${roles.role_name}, ${roles.permissions}, ${roles.inherits_from}, ${roles.is_system_role})
          IS DISTINCT FROM (excluded.role_name, excluded.permissions, excluded.inherits_from, excluded.is_system_role)`,
      });
    ids.set(r.slug, (await systemRoleId(tx, r.slug))!);
  }
}

/** A system role's id in the current tenant, by slug. */
export async function systemRoleId(tx: Tx, slug: string): Promise<string | undefined> {
  const [row] = await tx.select({ role_id: roles.role_id }).from(roles).where(eq(roles.role_slug, slug));
  return row?.role_id;
}
