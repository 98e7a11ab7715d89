// Reads and writes of people for the API: members (platform), and the tenant's roles, grants and cabinet
// credentials (badge and PIN). Platform methods run as the service, tenant ones in the tenant transaction.
import { and, asc, eq, gt, or } from "drizzle-orm";
import { userOrgMemberships, users } from "../../shared/schema/platform.js";
import { accessCredentials, roles, userRoleAssignments } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";
import { type CursorValue, cursorString, newestFirst } from "../db/pagination.js";

export type Role = typeof roles.$inferSelect;
export type GrantRow = typeof userRoleAssignments.$inferSelect;
export const grantOrder = newestFirst(userRoleAssignments.granted_at, userRoleAssignments.assignment_id);

export interface Member {
  user_id: string;
  email: string;
  display_name: string | null;
  status: string | null;
  org_role: string;
  membership_status: string | null;
}

export const peopleRepository = {
  async members(tx: Tx, orgId: string, limit: number, cursor?: CursorValue[]): Promise<Member[]> {
    const after = cursor
      ? or(
          gt(users.email, cursorString(cursor[0])),
          and(eq(users.email, cursorString(cursor[0])), gt(users.user_id, cursorString(cursor[1]))),
        )
      : undefined;
    return tx
      .select({
        user_id: users.user_id,
        email: users.email,
        display_name: users.display_name,
        status: users.status,
        org_role: userOrgMemberships.org_role,
        membership_status: userOrgMemberships.status,
      })
      .from(userOrgMemberships)
      .innerJoin(users, eq(users.user_id, userOrgMemberships.user_id))
      .where(and(eq(userOrgMemberships.org_id, orgId), after))
      .orderBy(asc(users.email), asc(users.user_id))
      .limit(limit);
  },

  async member(tx: Tx, orgId: string, userId: string): Promise<Member | undefined> {
    const [row] = await tx
      .select({
        user_id: users.user_id,
        email: users.email,
        display_name: users.display_name,
        status: users.status,
        org_role: userOrgMemberships.org_role,
        membership_status: userOrgMemberships.status,
      })
      .from(userOrgMemberships)
      .innerJoin(users, eq(users.user_id, userOrgMemberships.user_id))
      .where(and(eq(userOrgMemberships.org_id, orgId), eq(userOrgMemberships.user_id, userId)));
    return row;
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
