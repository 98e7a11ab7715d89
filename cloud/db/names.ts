// Tenant schema and role names, derived from the org id as the seed does (hyphens become underscores).
import { z } from "zod";

const orgId = z.uuid();

export function tenantSchemaName(id: string): string {
  return `tenant_${orgId.parse(id).toLowerCase().replaceAll("-", "_")}`;
}

/** Each tenant's role shares its schema's name; lilo_platform.current_tenant_org_id() relies on that. */
export const tenantRoleName = tenantSchemaName;

export function orgIdFromSchemaName(schema: string): string | undefined {
  const m = /^tenant_([0-9a-f]{8})_([0-9a-f]{4})_([0-9a-f]{4})_([0-9a-f]{4})_([0-9a-f]{12})$/.exec(schema);
  return m ? m.slice(1).join("-") : undefined;
}
