// Loads what the authorization function needs for one caller in one organization (membership, grants,
// roles, and the organization's tree of departments, labs and cabinets) in one tenant transaction, and
// answers every question of a request from it. Another organization's ids are not found: a caller who
// is not in the organization learns nothing about what exists there.
import { eq } from "drizzle-orm";
import { AppError } from "../../shared/errors.js";
import { PERMISSIONS, type Permission } from "../../shared/permissions.js";
import {
  cabinets,
  departments,
  laboratories,
  roles,
  userRoleAssignments,
} from "../../shared/schema/tenant.js";
import type { Database } from "../db/database.js";
import { authorize, type Grant, type Resource, type RoleDef, type Subject } from "./authorize.js";
import type { Caller } from "./caller.middleware.js";

export interface OrgTree {
  /** department → its parent department */
  departments: Map<string, string | null>;
  /** lab → its department */
  labs: Map<string, string>;
  /** cabinet → its lab */
  cabinets: Map<string, string>;
}

const notFound = (what: string) => new AppError("not_found", `no such ${what} in this organization`);

export class OrgAccess {
  constructor(
    readonly org_id: string,
    readonly caller: Caller,
    readonly subject: Subject,
    readonly tree: OrgTree,
    private readonly now = new Date(),
  ) {}

  can(permission: Permission, resource: Resource): boolean {
    return authorize(this.subject, permission, resource, this.now).allow;
  }

  /** Throws `forbidden` unless the caller holds `permission` on `resource`. */
  require(permission: Permission, resource: Resource = this.orgResource()): void {
    if (!this.can(permission, resource)) {
      throw new AppError("forbidden", `you may not do this here (needs ${permission})`);
    }
  }

  /**
   * An organization administrator: holds every permission organization-wide (owner and admin roles, the
   * org_admin role granted at the organization, an API key scoped `all`). Only they change who is one.
   */
  isOrgAdmin(): boolean {
    return PERMISSIONS.every((p) => this.can(p, this.orgResource()));
  }

  /** Throws `forbidden` unless the caller is an organization administrator (isOrgAdmin). */
  requireOrgAdmin(what: string): void {
    if (!this.isOrgAdmin()) throw new AppError("forbidden", `only an organization admin can ${what}`);
  }

  orgResource(): Resource {
    return { org_id: this.org_id };
  }

  /** The department and its parents, nearest first. */
  private deptChain(deptId: string): string[] {
    const chain: string[] = [];
    for (
      let d: string | null | undefined = deptId;
      d && !chain.includes(d);
      d = this.tree.departments.get(d)
    ) {
      chain.push(d);
    }
    return chain;
  }

  deptResource(deptId: string): Resource {
    if (!this.tree.departments.has(deptId)) throw notFound("department");
    return { org_id: this.org_id, dept_ids: this.deptChain(deptId) };
  }

  labResource(labId: string): Resource {
    const dept = this.tree.labs.get(labId);
    if (dept === undefined) throw notFound("laboratory");
    return { org_id: this.org_id, dept_ids: this.deptChain(dept), lab_id: labId };
  }

  cabinetResource(cabinetId: string): Resource {
    const lab = this.tree.cabinets.get(cabinetId);
    if (lab === undefined) throw notFound("cabinet");
    return { ...this.labResource(lab), cabinet_id: cabinetId };
  }

  /** The cabinets where the caller holds `permission` (for filtering lists). */
  cabinetsWhere(permission: Permission): string[] {
    return [...this.tree.cabinets.keys()].filter((id) => this.can(permission, this.cabinetResource(id)));
  }

  /** Whether `permission` is held anywhere: the organization, or any department, lab or cabinet in it. */
  canSomewhere(permission: Permission): boolean {
    return (
      this.can(permission, this.orgResource()) ||
      [...this.tree.departments.keys()].some((id) => this.can(permission, this.deptResource(id))) ||
      [...this.tree.labs.keys()].some((id) => this.can(permission, this.labResource(id))) ||
      this.cabinetsWhere(permission).length > 0
    );
  }

  /** Throws `forbidden` unless `permission` is held somewhere in the organization (lists filter the rest). */
  requireSomewhere(permission: Permission): void {
    if (!this.canSomewhere(permission)) {
      throw new AppError("forbidden", `you may not do this in this organization (needs ${permission})`);
    }
  }

  /** Visible in the tree: the node itself, or something under it, may be read. */
  seesDepartment(deptId: string): boolean {
    return (
      this.can("org:read", this.deptResource(deptId)) ||
      [...this.tree.labs].some(([lab, dept]) => this.deptChain(dept).includes(deptId) && this.seesLab(lab))
    );
  }

  seesLab(labId: string): boolean {
    return (
      this.can("org:read", this.labResource(labId)) ||
      [...this.tree.cabinets].some(
        ([cab, lab]) => lab === labId && this.can("org:read", this.cabinetResource(cab)),
      )
    );
  }
}

export class AccessService {
  constructor(private readonly database: Database) {}

  /** The caller's access to `orgId`; `not_found` when the caller is not in that organization. */
  async forOrg(caller: Caller, orgId: string): Promise<OrgAccess> {
    requireMemberOf(caller, orgId);
    const membership =
      caller.kind === "user" ? caller.memberships.find((m) => m.org_id === orgId) : undefined;
    const loaded = await this.database.withTenant(orgId, async (tx) => ({
      grants:
        caller.kind === "user"
          ? await tx
              .select({
                role_id: userRoleAssignments.role_id,
                scope_type: userRoleAssignments.scope_type,
                scope_id: userRoleAssignments.scope_id,
                expires_at: userRoleAssignments.expires_at,
                is_active: userRoleAssignments.is_active,
                revoked_at: userRoleAssignments.revoked_at,
              })
              .from(userRoleAssignments)
              .where(eq(userRoleAssignments.user_id, caller.user_id))
          : [],
      roles:
        caller.kind === "user"
          ? await tx
              .select({
                role_id: roles.role_id,
                permissions: roles.permissions,
                inherits_from: roles.inherits_from,
              })
              .from(roles)
          : [],
      departments: await tx
        .select({ id: departments.dept_id, parent: departments.parent_dept_id })
        .from(departments),
      labs: await tx.select({ id: laboratories.lab_id, dept: laboratories.dept_id }).from(laboratories),
      cabinets: await tx.select({ id: cabinets.cabinet_id, lab: cabinets.lab_id }).from(cabinets),
    }));
    const subject: Subject = {
      org_id: orgId,
      org_role: membership?.org_role,
      api_key_scopes: caller.kind === "api_key" ? caller.scopes : undefined,
      grants: loaded.grants as Grant[],
      roles: new Map<string, RoleDef>(
        loaded.roles.map((r) => [
          r.role_id,
          {
            role_id: r.role_id,
            permissions: Array.isArray(r.permissions) ? (r.permissions as string[]) : [],
            inherits_from: r.inherits_from,
          },
        ]),
      ),
    };
    return new OrgAccess(orgId, caller, subject, {
      departments: new Map(loaded.departments.map((d) => [d.id, d.parent])),
      labs: new Map(loaded.labs.map((l) => [l.id, l.dept])),
      cabinets: new Map(loaded.cabinets.map((c) => [c.id, c.lab])),
    });
  }
}

/**
 * The caller belongs to the organization (a membership, or an API key of it); otherwise 404, as for an
 * organization that does not exist. Checked before a request's input is validated, so another
 * organization's routes answer the same whatever is sent.
 */
export function requireMemberOf(caller: Caller, orgId: string): void {
  const member =
    caller.kind === "api_key" ? caller.org_id === orgId : caller.memberships.some((m) => m.org_id === orgId);
  if (!member) throw new AppError("not_found", "no such organization");
}
