// Decides whether a badge and/or PIN may open this cabinet: an active local user with an active,
// unexpired role assignment whose scope covers the cabinet and whose role grants `cabinet:open`.
// A PIN is checked for one person only, named by their badge or by the user number typed before it, so
// each try costs one slow hash; refused PIN tries count towards the PIN pad's lockout.
import { and, eq } from "drizzle-orm";
import { swipedBadgeHash, verifyCabinetPin } from "../../shared/credential-hash.js";
import { OPEN_PERMISSION } from "../../shared/permissions.js";
import type { LocalDb } from "../db/local-database.js";
import { localUsers, roles, userRoleAssignments } from "../db/schema.js";
import { type LockoutStarted, PinLockout } from "./pin-lockout.js";

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

/**
 * What the kiosk or the reader hands in: a badge, a badge and PIN, a user number and PIN, or a PIN
 * alone (which completes a badge swiped just before on a badge + PIN cabinet).
 */
export type Credential =
  | { badge: string; pin?: string; user?: undefined }
  | { user: number; pin: string; badge?: undefined }
  | { pin: string; badge?: undefined; user?: undefined };

export type CredentialMethod = "badge" | "pin" | "badge+pin";

/** Why a try was refused: for the local event log only; the person at the cabinet is told "denied". */
export type DenialReason =
  | "unknown_credential"
  | "wrong_pin"
  | "pin_needs_user_number"
  | "badge_needs_pin"
  | "locked_out"
  | "user_inactive"
  | "not_permitted";

export type AuthResult =
  | { ok: true; user: AuthorizedUser; method: CredentialMethod }
  | { ok: false; awaiting_pin: true; method: "badge" }
  | {
      ok: false;
      awaiting_pin?: undefined;
      method: CredentialMethod;
      reason: DenialReason;
      user_id?: string;
      /** Set when this refusal locked the PIN pad. */
      lockout?: LockoutStarted;
    };

export interface AccessPolicy {
  /** The badge identifies, the PIN verifies: neither opens alone. */
  requireBadgeAndPin: boolean;
  /** How long a swiped badge waits for its PIN on a badge + PIN cabinet. */
  badgePinWindowMs: number;
}

type LocalUser = typeof localUsers.$inferSelect;

export class AuthService {
  private readonly lockout: PinLockout;
  /** PIN tries run one after another, so the lockout counts every one of them before the next. */
  private pinQueue: Promise<unknown> = Promise.resolve();
  private pendingBadge: { hash: string; at: number } | undefined;

  constructor(
    private readonly db: LocalDb,
    private readonly scope: CabinetScope,
    /** Read at every check: the key can arrive or change with the cloud's downlink. */
    private readonly secret: () => string,
    private readonly policy: AccessPolicy = { requireBadgeAndPin: false, badgePinWindowMs: 30_000 },
  ) {
    this.lockout = new PinLockout(db);
  }

  authorize(credential: Credential): Promise<AuthResult> {
    const pin = credential.pin;
    if (pin === undefined) return Promise.resolve(this.badgeOnly(credential.badge as string));
    const run = this.pinQueue.then(() => this.withPin(credential, pin));
    this.pinQueue = run.catch(() => undefined);
    return run;
  }

  private badgeOnly(badge: string): AuthResult {
    const hash = swipedBadgeHash(this.secret(), badge);
    if (this.policy.requireBadgeAndPin) {
      // Known or not, every badge is asked for its PIN: the answer must not tell which badges exist.
      this.pendingBadge = { hash, at: Date.now() };
      return { ok: false, awaiting_pin: true, method: "badge" };
    }
    const user = this.db.select().from(localUsers).where(eq(localUsers.badge_hash, hash)).get();
    if (!user) return { ok: false, method: "badge", reason: "unknown_credential" };
    return this.permitted(user, "badge");
  }

  private async withPin(credential: Credential, pin: string): Promise<AuthResult> {
    const now = Date.now();
    let badgeHash: string | undefined;
    if (credential.badge !== undefined) badgeHash = swipedBadgeHash(this.secret(), credential.badge);
    else if (credential.user === undefined && this.pendingBadge) {
      if (now - this.pendingBadge.at <= this.policy.badgePinWindowMs) badgeHash = this.pendingBadge.hash;
      this.pendingBadge = undefined;
    }
    const method: CredentialMethod = badgeHash ? "badge+pin" : "pin";
    if (this.lockout.lockedUntil(now) !== undefined) return { ok: false, method, reason: "locked_out" };
    const refuse = (reason: DenialReason, user_id?: string): AuthResult => ({
      ok: false,
      method,
      reason,
      user_id,
      lockout: this.lockout.failed(Date.now()),
    });

    let user: LocalUser | undefined;
    if (badgeHash) user = this.db.select().from(localUsers).where(eq(localUsers.badge_hash, badgeHash)).get();
    else if (credential.user !== undefined)
      user = this.db.select().from(localUsers).where(eq(localUsers.user_number, credential.user)).get();
    // Always one slow hash, so a wrong user number takes as long as a wrong PIN.
    const pinOk = await verifyCabinetPin(this.secret(), user?.pin_hash, pin);
    if (!badgeHash && credential.user === undefined) return refuse("pin_needs_user_number");
    if (!badgeHash && this.policy.requireBadgeAndPin) return refuse("badge_needs_pin", user?.user_id);
    if (!user) return refuse("unknown_credential");
    if (!pinOk) return refuse("wrong_pin", user.user_id);
    const result = this.permitted(user, method);
    if (!result.ok) return refuse(result.reason, user.user_id);
    this.lockout.succeeded();
    return result;
  }

  private permitted(
    user: LocalUser,
    method: CredentialMethod,
  ):
    | Extract<AuthResult, { ok: true }>
    | { ok: false; method: CredentialMethod; reason: DenialReason; user_id: string } {
    if (user.status !== "active")
      return { ok: false, method, reason: "user_inactive", user_id: user.user_id };
    const role = this.permittedRole(user.user_id, new Date());
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
