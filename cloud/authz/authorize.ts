// The one authorization function: may this caller do this to that, in this organization? Pure (no I/O):
// the caller's memberships, grants and roles are loaded once per request (access.service.ts) and every
// decision, for people and API keys alike, is made here. Table-tested in authorize.test.ts.
import type { ORG_ROLES, ScopeType } from "../../shared/enums.js";
import { PERMISSIONS, type Permission } from "../../shared/permissions.js";

export type OrgRole = (typeof ORG_ROLES)[number];

/** A role of the tenant: its own permissions and the role it inherits from (`roles.inherits_from`). */
export interface RoleDef {
  role_id: string;
  permissions: readonly string[];
  inherits_from: string | null;
}

/** A scoped grant (`user_role_assignments`): a role at an organization, department, lab or cabinet. */
export interface Grant {
  role_id: string;
  scope_type: ScopeType;
  scope_id: string;
  expires_at: Date | null;
  is_active: boolean | null;
  revoked_at: Date | null;
}

/** Who asks, as far as one organization is concerned. */
export interface Subject {
  /** The organization the subject belongs to: a membership's org or an API key's org. */
  org_id: string;
  /** A person's organization role, if a member. */
  org_role?: OrgRole;
  /** An API key's scopes: permissions, or `all` for every permission organization-wide. */
  api_key_scopes?: readonly string[];
  grants: readonly Grant[];
  roles: ReadonlyMap<string, RoleDef>;
}

/** Where the thing acted on sits in the tree; the more is known, the more grants can match. */
export interface Resource {
  org_id: string;
  /** The department and its parents, nearest first. */
  dept_ids?: readonly string[];
  lab_id?: string | null;
  cabinet_id?: string | null;
}

export type Decision =
  | { allow: true; via: string }
  | { allow: false; reason: "other_organization" | "not_granted" };

export const API_KEY_ALL = "all";

/** What an organization role allows everywhere in its organization, before any grant. */
export const ORG_ROLE_PERMISSIONS: Record<OrgRole, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  manager: [
    "org:read",
    "org:manage",
    "inventory:read",
    "container:register",
    "container:write",
    "cabinet:open",
    "event:read",
    "evidence:read",
    "alert:read",
    "alert:acknowledge",
    "alert:resolve",
    "user:manage",
    "device:manage",
  ],
  member: ["org:read"],
};

/** A role's permissions with those of every role it inherits from (a cycle ends the walk). */
export function effectivePermissions(roleId: string, roles: ReadonlyMap<string, RoleDef>): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  for (let id: string | null = roleId; id && !seen.has(id); id = roles.get(id)?.inherits_from ?? null) {
    seen.add(id);
    for (const p of roles.get(id)?.permissions ?? []) out.add(p);
  }
  return out;
}

/** A grant counts while it is active, not revoked and not past its expiry. */
export function grantLive(g: Grant, now: Date): boolean {
  return g.is_active !== false && g.revoked_at === null && (g.expires_at === null || g.expires_at > now);
}

/** Whether a grant's scope covers the resource: its organization, a department above it, its lab or cabinet. */
function covers(g: Grant, r: Resource): boolean {
  switch (g.scope_type) {
    case "organization":
      return g.scope_id === r.org_id;
    case "department":
      return r.dept_ids?.includes(g.scope_id) ?? false;
    case "lab":
      return r.lab_id === g.scope_id;
    case "cabinet":
      return r.cabinet_id === g.scope_id;
  }
}

export function authorize(
  subject: Subject,
  permission: Permission,
  resource: Resource,
  now: Date = new Date(),
): Decision {
  if (subject.org_id !== resource.org_id) return { allow: false, reason: "other_organization" };
  if (subject.api_key_scopes) {
    const s = subject.api_key_scopes;
    return s.includes(API_KEY_ALL) || s.includes(permission)
      ? { allow: true, via: "api_key" }
      : { allow: false, reason: "not_granted" };
  }
  if (subject.org_role && ORG_ROLE_PERMISSIONS[subject.org_role].includes(permission)) {
    return { allow: true, via: `org_role:${subject.org_role}` };
  }
  for (const g of subject.grants) {
    if (!grantLive(g, now) || !covers(g, resource)) continue;
    if (effectivePermissions(g.role_id, subject.roles).has(permission)) {
      return { allow: true, via: `grant:${g.scope_type}:${g.scope_id}` };
    }
  }
  return { allow: false, reason: "not_granted" };
}

/** A saved view as far as sharing goes (saved_views): whose it is, who else may see it, what it reads. */
export interface SharedView {
  org_id: string;
  owner_user_id: string;
  visibility: "private" | "shared" | "public";
  /** What its rows need (inventory:read for containers, event:read for events). */
  permission: Permission;
  /**
   * Where it is shared: its labs (`shared_with_labs`) when shared, every place in the organization when
   * public. A colleague sees it by holding `permission` in one of them.
   */
  scopes: readonly Resource[];
}

/**
 * May `viewer` (a person's user id; null for an API key) read a saved view, or change it? Only the owner
 * changes one; others read a shared or public view only where their grants let them read its rows.
 */
export function authorizeView(
  subject: Subject,
  viewer: string | null,
  view: SharedView,
  action: "read" | "change",
  now: Date = new Date(),
): Decision {
  if (subject.org_id !== view.org_id) return { allow: false, reason: "other_organization" };
  if (viewer !== null && viewer === view.owner_user_id) return { allow: true, via: "owner" };
  if (action === "change" || view.visibility === "private") return { allow: false, reason: "not_granted" };
  for (const scope of view.scopes) {
    const d = authorize(subject, view.permission, scope, now);
    if (d.allow) return { allow: true, via: `${view.visibility}:${d.via}` };
  }
  return { allow: false, reason: "not_granted" };
}
