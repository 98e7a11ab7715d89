// Tenant reads and writes of saved views (the seed's saved_views).
import { and, eq, ne, or } from "drizzle-orm";
import { savedViews } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";

export type SavedView = typeof savedViews.$inferSelect;
export type NewSavedView = typeof savedViews.$inferInsert;

export const savedViewRepository = {
  async insert(tx: Tx, v: NewSavedView): Promise<SavedView> {
    const [row] = await tx.insert(savedViews).values(v).returning();
    return row!;
  },

  async find(tx: Tx, id: string): Promise<SavedView | undefined> {
    const [row] = await tx.select().from(savedViews).where(eq(savedViews.view_id, id));
    return row;
  },

  /** The candidates a reader may see: their own and every shared or public one (authorizeView decides). */
  async candidates(tx: Tx, userId: string | null, entity?: SavedView["entity"]): Promise<SavedView[]> {
    const own = userId ? eq(savedViews.owner_user_id, userId) : undefined;
    return tx
      .select()
      .from(savedViews)
      .where(
        and(
          or(own, ne(savedViews.visibility, "private")),
          entity ? eq(savedViews.entity, entity) : undefined,
        ),
      )
      .orderBy(savedViews.view_name, savedViews.view_id);
  },

  async update(tx: Tx, id: string, set: Partial<NewSavedView>): Promise<SavedView> {
    const [row] = await tx.update(savedViews).set(set).where(eq(savedViews.view_id, id)).returning();
    return row!;
  },

  async delete(tx: Tx, id: string): Promise<void> {
    await tx.delete(savedViews).where(eq(savedViews.view_id, id));
  },
};
