// Platform reads and writes of people: their account, password hash and organization memberships.
// The service owns the rules.
import { and, eq } from "drizzle-orm";
import { userOrgMemberships, userPasswords, users } from "../../shared/schema/platform.js";
import type { Tx } from "../db/database.js";

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type NewMembership = typeof userOrgMemberships.$inferInsert;
export type Membership = Pick<typeof userOrgMemberships.$inferSelect, "org_id" | "org_role">;

export const accountRepository = {
  async findByEmail(tx: Tx, email: string): Promise<User | undefined> {
    const [row] = await tx.select().from(users).where(eq(users.email, email));
    return row;
  },

  async findById(tx: Tx, userId: string): Promise<User | undefined> {
    const [row] = await tx.select().from(users).where(eq(users.user_id, userId));
    return row;
  },

  /** What signing in checks: the account's status and password hash. */
  async findSignIn(
    tx: Tx,
    email: string,
  ): Promise<{ user_id: string; status: User["status"]; hash: string } | undefined> {
    const [row] = await tx
      .select({ user_id: users.user_id, status: users.status, hash: userPasswords.password_hash })
      .from(users)
      .innerJoin(userPasswords, eq(userPasswords.user_id, users.user_id))
      .where(eq(users.email, email));
    return row;
  },

  async insert(tx: Tx, user: NewUser, passwordHash: string, membership: NewMembership): Promise<void> {
    await tx.insert(users).values(user);
    await tx.insert(userPasswords).values({ user_id: user.user_id!, password_hash: passwordHash });
    await tx.insert(userOrgMemberships).values(membership);
  },

  async addMembership(tx: Tx, membership: NewMembership): Promise<void> {
    await tx.insert(userOrgMemberships).values(membership);
  },

  async recordLogin(tx: Tx, userId: string): Promise<void> {
    await tx.update(users).set({ last_login_at: new Date() }).where(eq(users.user_id, userId));
  },

  async updatePassword(tx: Tx, userId: string, passwordHash: string): Promise<void> {
    await tx
      .update(userPasswords)
      .set({ password_hash: passwordHash, updated_at: new Date() })
      .where(eq(userPasswords.user_id, userId));
  },

  async isMember(tx: Tx, userId: string, orgId: string): Promise<boolean> {
    const [row] = await tx
      .select({ user_id: userOrgMemberships.user_id })
      .from(userOrgMemberships)
      .where(and(eq(userOrgMemberships.user_id, userId), eq(userOrgMemberships.org_id, orgId)));
    return row !== undefined;
  },

  async activeMemberships(tx: Tx, userId: string): Promise<Membership[]> {
    return tx
      .select({ org_id: userOrgMemberships.org_id, org_role: userOrgMemberships.org_role })
      .from(userOrgMemberships)
      .where(and(eq(userOrgMemberships.user_id, userId), eq(userOrgMemberships.status, "active")));
  },
};
