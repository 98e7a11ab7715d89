// Sign-in rules on PGlite and PostgreSQL: equal cost for unknown emails, lock-out, rehash, sign-out.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppError } from "../../shared/errors.js";
import { userPasswords } from "../../shared/schema/platform.js";
import { unifiedEventLog } from "../../shared/schema/tenant.js";
import { backends } from "../../test/support/databases.js";
import type { Database } from "../db/database.js";
import { migrateAll } from "../db/migrator.js";
import { OrganizationService } from "../orgs/organization.service.js";
import { RateLimitRepository } from "../security/rate-limit.repository.js";
import { RateLimitService, type RateRule } from "../security/rate-limit.service.js";
import { AccountService } from "./account.service.js";
import { PasswordHasher } from "./password.js";

const PASSWORD = "a-long-enough-password";
/** Cheap parameters where the cost itself is not under test (password.test.ts checks the real ones). */
const cheap = { N: 1024, r: 8, p: 1 };
const lockout: RateRule = { name: "login_fail", limit: 3, windowMs: 15 * 60_000, what: "failed sign-ins" };

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error("expected a failure");
}

describe.each(backends)("accounts on $name", (backend) => {
  let db: { database: Database; dispose(): Promise<void> };
  let hasher: PasswordHasher;
  let accounts: AccountService;
  let orgId: string;
  let seq = 0;

  /** A fresh member (fresh email, so lock-out counters never carry over between tests). */
  const member = async (org_role: "owner" | "admin" | "manager" | "member" = "member") => {
    const email = `person${++seq}@example.org`;
    const { user_id } = await accounts.create({ email, password: PASSWORD, org_id: orgId, org_role });
    return { email, user_id };
  };

  beforeAll(async () => {
    db = await backend.create();
    await migrateAll(db.database);
    hasher = new PasswordHasher({ params: cheap });
    const limits = new RateLimitService(new RateLimitRepository(db.database));
    accounts = new AccountService(db.database, { hasher, limits, lockout });
    ({ org_id: orgId } = await new OrganizationService(db.database).create({
      name: "Accounts Test",
      slug: "accounts-test",
      type: "university",
    }));
  });
  afterAll(() => db?.dispose());

  it("spends one password hash on an unknown email, as on a known one, and answers the same", async () => {
    const { email } = await member();
    await accounts.login("nobody@example.org", "warm-up").catch(() => undefined); // makes the dummy hash
    const cost = async (e: string) => {
      const before = hasher.computations;
      const err = await failure(accounts.login(e, "wrong password"));
      return { computations: hasher.computations - before, status: err.status, message: err.message };
    };
    const known = await cost(email);
    const unknown = await cost("someone-else@example.org");
    expect(known).toEqual({ computations: 1, status: 401, message: "wrong email or password" });
    expect(unknown).toEqual(known);
  });

  it("locks an email after repeated failures, even against the right password, without hashing", async () => {
    const { email } = await member();
    for (let i = 0; i < lockout.limit; i++) {
      expect((await failure(accounts.login(email, `guess ${i}`))).status).toBe(401);
    }
    const before = hasher.computations;
    const locked = await failure(accounts.login(email, PASSWORD));
    expect(locked.status).toBe(429);
    expect(locked.code).toBe("rate_limited");
    expect(locked.retryAfterSeconds).toBeGreaterThan(14 * 60);
    expect(hasher.computations).toBe(before);
    // An unknown email locks the same way: the answer says nothing about which emails exist.
    for (let i = 0; i < lockout.limit; i++) await failure(accounts.login("ghost@example.org", "x"));
    expect((await failure(accounts.login("ghost@example.org", "x"))).status).toBe(429);
  });

  it("records each sign-in and each refused one in the organization's audit trail, who and from where", async () => {
    const { email, user_id } = await member("manager");
    await failure(accounts.login(email, "wrong-password", { ip: "192.0.2.9", user_agent: "test" }));
    await accounts.login(email, PASSWORD, { ip: "192.0.2.9", user_agent: "test" });
    const events = await db.database.withTenant(orgId, (tx) =>
      tx
        .select()
        .from(unifiedEventLog)
        .where(eq(unifiedEventLog.user_id, user_id))
        .orderBy(unifiedEventLog.chain_seq),
    );
    expect(
      events.map((e) => [
        (e.event_details as { action: string }).action,
        e.user_role,
        e.ip_address,
        e.chain_id,
      ]),
    ).toEqual([
      ["sign_in_refused", "manager", "192.0.2.9", "cloud"],
      ["sign_in", "manager", "192.0.2.9", "cloud"],
    ]);
  });

  it("forgets earlier failures after a successful sign-in", async () => {
    const { email } = await member();
    for (let i = 1; i < lockout.limit; i++) await failure(accounts.login(email, "wrong"));
    await accounts.login(email, PASSWORD);
    for (let i = 1; i < lockout.limit; i++) await failure(accounts.login(email, "wrong"));
    expect((await accounts.login(email, PASSWORD)).token).toMatch(/^lilo_sess_/);
  });

  it("rehashes a password stored with older parameters at the next sign-in", async () => {
    const { email, user_id } = await member();
    const older = await new PasswordHasher({ params: { N: 512, r: 8, p: 1 } }).hash(PASSWORD);
    const stored = async () =>
      (
        await db.database.asOwner((tx) =>
          tx.select().from(userPasswords).where(eq(userPasswords.user_id, user_id)),
        )
      )[0]!.password_hash;
    await db.database.asOwner((tx) =>
      tx.update(userPasswords).set({ password_hash: older }).where(eq(userPasswords.user_id, user_id)),
    );
    await accounts.login(email, PASSWORD);
    expect(await stored()).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(hasher.needsRehash(await stored())).toBe(false);
    await accounts.login(email, PASSWORD);
  });

  it("ends a session at logout and every session on revocation, at once", async () => {
    const { email, user_id } = await member();
    const a = await accounts.login(email, PASSWORD);
    const b = await accounts.login(email, PASSWORD);
    const c = await accounts.login(email, PASSWORD);
    await accounts.logout(a.token);
    expect(await accounts.authenticate(a.token)).toBeUndefined();
    expect(await accounts.authenticate(b.token)).toMatchObject({ user_id });
    expect(await accounts.revokeSessions([user_id])).toEqual({ revoked: 2 });
    expect(await accounts.authenticate(b.token)).toBeUndefined();
    expect(await accounts.authenticate(c.token)).toBeUndefined();
  });

  it("lets an owner or admin, not a manager, revoke a member's sessions, only in their organization", async () => {
    const target = await member();
    const token = (await accounts.login(target.email, PASSWORD)).token;
    const principalOf = async (role: "admin" | "manager") => {
      const m = await member(role);
      return (await accounts.authenticate((await accounts.login(m.email, PASSWORD)).token))!;
    };
    const manager = await principalOf("manager");
    expect((await failure(accounts.revokeMemberSessions(manager, orgId, target.user_id))).status).toBe(403);
    const admin = await principalOf("admin");
    const elsewhere = await new OrganizationService(db.database).create({
      name: "Elsewhere",
      slug: "elsewhere",
      type: "university",
    });
    expect(
      (await failure(accounts.revokeMemberSessions(admin, elsewhere.org_id, target.user_id))).status,
    ).toBe(403);
    expect((await failure(accounts.revokeMemberSessions(admin, orgId, "not-a-uuid"))).status).toBe(404);
    expect(await accounts.authenticate(token)).toBeDefined();
    expect(await accounts.revokeMemberSessions(admin, orgId, target.user_id)).toEqual({ revoked: 1 });
    expect(await accounts.authenticate(token)).toBeUndefined();
  });
});
