// Decides whether a badge or PIN may open this cabinet: an active local user with an active, unexpired
// role assignment whose scope covers the cabinet and whose role grants `cabinet:open`.
import { and, eq } from "drizzle-orm";
import { type CredentialKind, hashCredential } from "../../shared/credential-hash.js";
import { OPEN_PERMISSION } from "../../shared/permissions.js";
import type { LocalDb } from "../db/local-database.js";
import { localUsers, roles, userRoleAssignments } from "../db/schema.js";

/** Where this cabinet sits in the organization; scopes are matched against it. */
export interface CabinetScope {
  org_id: string;
  dept_id?: string;
  lab_id: string;
  cabinet_id: string;
}

export interface AuthorizedUser {
  user_id: string;
  display_name: string;
  email: string | null;
  role: string;
}

export type Credential = { badge: string } | { pin: string };

export type AuthResult =
  | { ok: true; user: AuthorizedUser; method: CredentialKind }
  | {
      ok: false;
      method: CredentialKind;
      reason: "unknown_credential" | "ambiguous_pin" | "user_inactive" | "not_permitted";
      user_id?: string;
    };

export class AuthService {
  constructor(
    private readonly db: LocalDb,
    private readonly scope: CabinetScope,
    /** Read at every check: the key can arrive or change with the cloud's downlink. */
    private readonly secret: () => string,
  ) {}

  authorize(credential: Credential, now: Date = new Date()): AuthResult {
    const method: CredentialKind = "badge" in credential ? "badge" : "pin";
    const value = "badge" in credential ? credential.badge : credential.pin;
    const hash = hashCredential(this.secret(), method, value);
    const column = method === "badge" ? localUsers.badge_hash : localUsers.pin_hash;
    const candidates = this.db.select().from(localUsers).where(eq(column, hash)).all();
    if (candidates.length === 0) return { ok: false, method, reason: "unknown_credential" };
    // A PIN shared by two people identifies neither; they must use their badge.
    if (candidates.length > 1) return { ok: false, method, reason: "ambiguous_pin" };
    const user = candidates[0]!;
    if (user.status !== "active")
      return { ok: false, method, reason: "user_inactive", user_id: user.user_id };
    const role = this.permittedRole(user.user_id, now);
    if (!role) return { ok: false, method, reason: "not_permitted", user_id: user.user_id };
    return {
      ok: true,
      method,
      user: { user_id: user.user_id, display_name: user.display_name, email: user.email, role },
    };
  }

  /** A known, active person allowed to open this cabinet now (for a remote unlock), else undefined. */
  userById(userId: string, now: Date = new Date()): AuthorizedUser | undefined {
    const user = this.db.select().from(localUsers).where(eq(localUsers.user_id, userId)).get();
    if (user?.status !== "active") return undefined;
    const role = this.permittedRole(user.user_id, now);
    return role
      ? { user_id: user.user_id, display_name: user.display_name, email: user.email, role }
      : undefined;
  }

  /** The slug of a role that lets this user open this cabinet now, if any. */
  private permittedRole(userId: string, now: Date): string | undefined {
    const grants = this.db
      .select({ a: userRoleAssignments, r: roles })
      .from(userRoleAssignments)
      .innerJoin(roles, eq(roles.role_id, userRoleAssignments.role_id))
      .where(and(eq(userRoleAssignments.user_id, userId), eq(userRoleAssignments.is_active, true)))
      .all();
    const inScope = (type: string, id: string) =>
      (type === "organization" && id === this.scope.org_id) ||
      (type === "department" && id === this.scope.dept_id) ||
      (type === "lab" && id === this.scope.lab_id) ||
      (type === "cabinet" && id === this.scope.cabinet_id);
    const grant = grants.find(
      ({ a, r }) =>
        (!a.expires_at || a.expires_at > now) &&
        inScope(a.scope_type, a.scope_id) &&
        Array.isArray(r.permissions) &&
        (r.permissions as unknown[]).includes(OPEN_PERMISSION),
    );
    return grant?.r.role_slug;
  }
}
