// Cloud accounts: people with a password who sign in to the dashboard and the API. Sessions live in
// the partitioned user_sessions table (24 h), so any cloud instance can check any session, and a
// revoked (deleted) session is refused by every instance at its next request.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ORG_ROLES } from "../../shared/enums.js";
import { AppError, parseInput } from "../../shared/errors.js";
import { newToken, sha256 } from "../../shared/tokens.js";
import { recordAuditEvent } from "../audit/audit-event.js";
import { type Database, type Tx, withinTenant } from "../db/database.js";
import { RateLimitRepository } from "../security/rate-limit.repository.js";
import { RateLimitService, type RateRule, rateRules, secretKey } from "../security/rate-limit.service.js";
import { accountRepository } from "./account.repository.js";
import { PasswordHasher } from "./password.js";
import { sessionRepository } from "./session.repository.js";

export const SESSION_TTL_MS = 24 * 3600_000;

/** A session's id is derived from its token, so lookups use the primary key and the token is never stored. */
function sessionIdFor(token: string): string {
  const h = sha256(token);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const CreateAccountInput = z.object({
  email: z.email(),
  password: z.string().min(10, "password must be at least 10 characters").max(200),
  first_name: z.string().max(100).optional(),
  last_name: z.string().max(100).optional(),
  org_id: z.uuid(),
  org_role: z.enum(ORG_ROLES).default("member"),
});

export interface Principal {
  user_id: string;
  email: string;
  memberships: { org_id: string; org_role: (typeof ORG_ROLES)[number] }[];
}

export interface AccountDeps {
  hasher?: PasswordHasher;
  limits?: RateLimitService;
  /** Failed sign-ins per email before it is locked for the rest of the window. */
  lockout?: RateRule;
}

export class AccountService {
  private readonly hasher: PasswordHasher;
  private readonly limits: RateLimitService;
  private readonly lockout: RateRule;

  constructor(
    private readonly database: Database,
    deps: AccountDeps = {},
  ) {
    this.hasher = deps.hasher ?? new PasswordHasher();
    this.limits = deps.limits ?? new RateLimitService(new RateLimitRepository(database));
    this.lockout = deps.lockout ?? rateRules().loginFailures;
  }

  async create(input: z.input<typeof CreateAccountInput>): Promise<{ user_id: string }> {
    const a = parseInput(CreateAccountInput, input);
    const password_hash = await this.hasher.hash(a.password);
    return this.database.asService(async (tx) => {
      if (await accountRepository.findByEmail(tx, a.email))
        throw new AppError("conflict", `an account for ${a.email} already exists`, { email: "taken" });
      const user_id = randomUUID();
      await accountRepository.insert(
        tx,
        {
          user_id,
          cognito_user_id: `local:${user_id}`,
          email: a.email,
          email_verified: true,
          first_name: a.first_name,
          last_name: a.last_name,
          display_name: [a.first_name, a.last_name].filter(Boolean).join(" ") || a.email,
        },
        password_hash,
        { user_id, org_id: a.org_id, org_role: a.org_role, status: "active", joined_at: new Date() },
      );
      return { user_id };
    });
  }

  /**
   * Returns a bearer session token; wrong email and wrong password are indistinguishable, in answer
   * and in cost (an unknown email is checked against a dummy hash). After `lockout.limit` failures for
   * one email (known or not) it is locked for the rest of the window: 429 without checking the password.
   */
  async login(
    email: string,
    password: string,
    meta: { ip?: string; user_agent?: string } = {},
  ): Promise<{ token: string; expires_at: Date }> {
    const account = secretKey(email);
    await this.limits.check(this.lockout, account);
    const row = await this.database.asService((tx) => accountRepository.findSignIn(tx, email));
    const matches = row
      ? await this.hasher.verify(password, row.hash)
      : await this.hasher.verifyDummy(password);
    if (!row || !matches || row.status !== "active") {
      await this.limits.fail(this.lockout, account);
      if (row) await this.database.asService((tx) => recordSignIn(tx, row.user_id, email, meta, false));
      throw new AppError("unauthorized", "wrong email or password");
    }
    await this.limits.reset(this.lockout, account);
    // Hashes from before the current parameters are upgraded now, while the password is at hand.
    const rehashed = this.hasher.needsRehash(row.hash) ? await this.hasher.hash(password) : undefined;
    const token = newToken("lilo_sess");
    const expires_at = new Date(Date.now() + SESSION_TTL_MS);
    await this.database.asService(async (tx) => {
      await sessionRepository.insert(tx, {
        session_id: sessionIdFor(token),
        user_id: row.user_id,
        expires_at,
        ip_address: meta.ip,
        user_agent: meta.user_agent,
      });
      await accountRepository.recordLogin(tx, row.user_id);
      await recordSignIn(tx, row.user_id, email, meta, true);
      if (rehashed) await accountRepository.updatePassword(tx, row.user_id, rehashed);
    });
    return { token, expires_at };
  }

  /**
   * Checks a signed-in person's password again, as an electronic signature requires; a wrong one
   * counts toward the same lock-out as a failed sign-in.
   */
  async confirmPassword(email: string, password: string): Promise<boolean> {
    const account = secretKey(email);
    await this.limits.check(this.lockout, account);
    const row = await this.database.asService((tx) => accountRepository.findSignIn(tx, email));
    const matches = row
      ? await this.hasher.verify(password, row.hash)
      : await this.hasher.verifyDummy(password);
    if (!row || !matches || row.status !== "active") {
      await this.limits.fail(this.lockout, account);
      return false;
    }
    return true;
  }

  /** Ends the session of this token (sign-out); unknown or expired tokens are ignored. */
  async logout(token: string): Promise<void> {
    await this.database.asService((tx) => sessionRepository.delete(tx, sessionIdFor(token)));
  }

  /** Ends every session of these people ("sign out everywhere", or an administrator's revocation). */
  async revokeSessions(userIds: string[]): Promise<{ revoked: number }> {
    if (userIds.length === 0) return { revoked: 0 };
    const revoked = await this.database.asService((tx) => sessionRepository.deleteOfUsers(tx, userIds));
    return { revoked };
  }

  /** An organization's owner or admin signs one of its members out everywhere (a lost laptop, a leaver). */
  async revokeMemberSessions(
    principal: Principal,
    orgId: string,
    userId: string,
  ): Promise<{ revoked: number }> {
    if (!canManageMembers(principal, orgId)) {
      throw new AppError(
        "forbidden",
        "only an owner or admin of this organization can revoke its members' sessions",
      );
    }
    const member =
      z.uuid().safeParse(userId).success &&
      (await this.database.asService((tx) => accountRepository.isMember(tx, userId, orgId)));
    if (!member) throw new AppError("not_found", `no member ${userId} in organization ${orgId}`);
    return this.revokeSessions([userId]);
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    return this.database.asService(async (tx) => {
      const userId = await sessionRepository.findLiveUser(tx, sessionIdFor(token), new Date());
      if (!userId) return undefined;
      const user = await accountRepository.findById(tx, userId);
      if (user?.status !== "active") return undefined;
      const memberships = await accountRepository.activeMemberships(tx, user.user_id);
      return { user_id: user.user_id, email: user.email, memberships };
    });
  }
}

/** Files a sign-in, or a refused one, in the audit trail of each organization the person belongs to. */
async function recordSignIn(
  tx: Tx,
  userId: string,
  email: string,
  meta: { ip?: string; user_agent?: string },
  succeeded: boolean,
): Promise<void> {
  for (const m of await accountRepository.activeMemberships(tx, userId)) {
    await withinTenant(tx, m.org_id, (t) =>
      recordAuditEvent(t, {
        action: succeeded ? "sign_in" : "sign_in_refused",
        type: "access",
        category: "user_action",
        severity: succeeded ? "info" : "warning",
        summary: succeeded
          ? `${email} signed in`
          : `${email}: sign-in refused (wrong password or inactive account)`,
        actor: { user_id: userId, name: email, role: m.org_role },
        origin: { ip_address: meta.ip, user_agent: meta.user_agent, api_endpoint: "POST /api/v1/auth/login" },
        audit_category: "access_control",
      }),
    );
  }
}

/** The one authorization rule for org-level administration (devices, cabinets): owner, admin, manager. */
export function canAdminister(principal: Principal, orgId: string): boolean {
  return principal.memberships.some(
    (m) => m.org_id === orgId && ["owner", "admin", "manager"].includes(m.org_role),
  );
}

/** Who may act on other members' accounts (revoke their sessions): owner and admin, not manager. */
export function canManageMembers(principal: Principal, orgId: string): boolean {
  return principal.memberships.some((m) => m.org_id === orgId && ["owner", "admin"].includes(m.org_role));
}
