// Reads and writes of people for the API: members (platform), and the tenant's roles, grants and cabinet
// credentials (badge and PIN). Platform methods run as the service, tenant ones in the tenant transaction.
import { and, asc, eq, gt, inArray, ne, or } from "drizzle-orm";
import { userOrgMemberships, users } from "../../shared/schema/platform.js";
import { accessCredentials, roles, userRoleAssignments } from "../../shared/schema/tenant.js";
import type { OrgRole } from "../authz/authorize.js";
import type { Tx } from "../db/database.js";
import { type CursorValue, cursorString, newestFirst } from "../db/pagination.js";

export type Role = typeof roles.$inferSelect;
export type GrantRow = typeof userRoleAssignments.$inferSelect;
export type CredentialRow = typeof accessCredentials.$inferSelect;
export const grantOrder = newestFirst(userRoleAssignments.granted_at, userRoleAssignments.assignment_id);

export interface Member {
  user_id: string;
  email: string;
  display_name: string | null;
  status: string | null;
  org_role: string;
  membership_status: string | null;
  /** When the membership last changed (role, removal); who did it is in the audit trail. */
  membership_updated_at: Date | null;
}

/** A membership as the last-admin rule sees it. */
export interface MembershipRow {
  user_id: string;
  org_role: OrgRole;
  status: string | null;
}

const memberColumns = {
  user_id: users.user_id,
  email: users.email,
  display_name: users.display_name,
  status: users.status,
  org_role: userOrgMemberships.org_role,
  membership_status: userOrgMemberships.status,
  membership_updated_at: userOrgMemberships.updated_at,
};

export const peopleRepository = {
  async members(
    tx: Tx,
    orgId: string,
    includeRemoved: boolean,
    limit: number,
    cursor?: CursorValue[],
  ): Promise<Member[]> {
    const after = cursor
      ? or(
          gt(users.email, cursorString(cursor[0])),
          and(eq(users.email, cursorString(cursor[0])), gt(users.user_id, cursorString(cursor[1]))),
        )
      : undefined;
    return tx
      .select(memberColumns)
      .from(userOrgMemberships)
      .innerJoin(users, eq(users.user_id, userOrgMemberships.user_id))
      .where(
        and(
          eq(userOrgMemberships.org_id, orgId),
          includeRemoved ? undefined : ne(userOrgMemberships.status, "removed"),
          after,
        ),
      )
      .orderBy(asc(users.email), asc(users.user_id))
      .limit(limit);
  },

  async member(tx: Tx, orgId: string, userId: string): Promise<Member | undefined> {
    const [row] = await tx
      .select(memberColumns)
      .from(userOrgMemberships)
      .innerJoin(users, eq(users.user_id, userOrgMemberships.user_id))
      .where(and(eq(userOrgMemberships.org_id, orgId), eq(userOrgMemberships.user_id, userId)));
    return row;
  },

  /** The organization's memberships, locked until the transaction ends: role changes queue up. */
  async lockMemberships(tx: Tx, orgId: string): Promise<MembershipRow[]> {
    return tx
      .select({
        user_id: userOrgMemberships.user_id,
        org_role: userOrgMemberships.org_role,
        status: userOrgMemberships.status,
      })
      .from(userOrgMemberships)
      .where(eq(userOrgMemberships.org_id, orgId))
      .for("update");
  },

  async updateMembership(
    tx: Tx,
    orgId: string,
    userId: string,
    set: Partial<typeof userOrgMemberships.$inferInsert>,
  ): Promise<void> {
    await tx
      .update(userOrgMemberships)
      .set({ ...set, updated_at: new Date() })
      .where(and(eq(userOrgMemberships.org_id, orgId), eq(userOrgMemberships.user_id, userId)));
  },

  /** Cabinet credentials of these people (tenant), by user. */
  async credentialsOf(tx: Tx, userIds: string[]) {
    if (userIds.length === 0) return new Map<string, CredentialRow>();
    const rows = await tx.select().from(accessCredentials).where(inArray(accessCredentials.user_id, userIds));
    return new Map(rows.map((r) => [r.user_id, r]));
  },

  /** Ends every live grant of a person (a removed member); who and when are recorded on each. */
  async revokeGrantsOf(tx: Tx, userId: string, by: string): Promise<number> {
    const rows = await tx
      .update(userRoleAssignments)
      .set({ is_active: false, revoked_at: new Date(), revoked_by: by })
      .where(and(eq(userRoleAssignments.user_id, userId), eq(userRoleAssignments.is_active, true)))
      .returning({ id: userRoleAssignments.assignment_id });
    return rows.length;
  },

  async setCredentialStatus(tx: Tx, userId: string, status: string): Promise<void> {
    await tx
      .update(accessCredentials)
      .set({ status, updated_at: new Date() })
      .where(eq(accessCredentials.user_id, userId));
  },

  async roles(tx: Tx): Promise<Role[]> {
    return tx.select().from(roles).orderBy(asc(roles.role_name));
  },

  async insertRole(tx: Tx, role: typeof roles.$inferInsert): Promise<Role> {
    const [row] = await tx.insert(roles).values(role).returning();
    return row!;
  },

  async grants(
    tx: Tx,
    userId: string | undefined,
    limit: number,
    cursor?: CursorValue[],
  ): Promise<GrantRow[]> {
    return tx
      .select()
      .from(userRoleAssignments)
      .where(and(userId ? eq(userRoleAssignments.user_id, userId) : undefined, grantOrder.after(cursor)))
      .orderBy(...grantOrder.orderBy)
      .limit(limit);
  },

  async grant(tx: Tx, id: string): Promise<GrantRow | undefined> {
    const [row] = await tx
      .select()
      .from(userRoleAssignments)
      .where(eq(userRoleAssignments.assignment_id, id));
    return row;
  },

  async insertGrant(tx: Tx, g: typeof userRoleAssignments.$inferInsert): Promise<GrantRow> {
    const [row] = await tx.insert(userRoleAssignments).values(g).returning();
    return row!;
  },

  async revokeGrant(tx: Tx, id: string, by: string): Promise<GrantRow | undefined> {
    const [row] = await tx
      .update(userRoleAssignments)
      .set({ is_active: false, revoked_at: new Date(), revoked_by: by })
      .where(and(eq(userRoleAssignments.assignment_id, id), eq(userRoleAssignments.is_active, true)))
      .returning();
    return row;
  },

  async credentials(tx: Tx, userId: string) {
    const [row] = await tx.select().from(accessCredentials).where(eq(accessCredentials.user_id, userId));
    return row;
  },

  async upsertCredentials(tx: Tx, row: typeof accessCredentials.$inferInsert): Promise<void> {
    const { user_id: _, ...set } = row;
    await tx
      .insert(accessCredentials)
      .values(row)
      .onConflictDoUpdate({ target: accessCredentials.user_id, set: { ...set, updated_at: new Date() } });
  },
};
