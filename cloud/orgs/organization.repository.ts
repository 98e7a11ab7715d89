// Platform-level reads and writes of organizations; the service owns the rules.
import { asc, eq, inArray } from "drizzle-orm";
import { organizations } from "../../shared/schema/platform.js";
import type { Tx } from "../db/database.js";

export type NewOrganization = typeof organizations.$inferInsert;
export type Organization = typeof organizations.$inferSelect;

export const organizationRepository = {
  async findBySlug(tx: Tx, slug: string): Promise<Organization | undefined> {
    const [row] = await tx.select().from(organizations).where(eq(organizations.org_slug, slug)).limit(1);
    return row;
  },

  async find(tx: Tx, orgId: string): Promise<Organization | undefined> {
    const [row] = await tx.select().from(organizations).where(eq(organizations.org_id, orgId));
    return row;
  },

  async findMany(tx: Tx, orgIds: string[]): Promise<Organization[]> {
    if (orgIds.length === 0) return [];
    return tx
      .select()
      .from(organizations)
      .where(inArray(organizations.org_id, orgIds))
      .orderBy(asc(organizations.org_name), asc(organizations.org_id));
  },

  async insert(tx: Tx, org: NewOrganization): Promise<Organization> {
    const [row] = await tx.insert(organizations).values(org).returning();
    if (!row) throw new Error("insert into organizations returned no row");
    return row;
  },
};
