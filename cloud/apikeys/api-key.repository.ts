// Platform reads and writes of API keys (lilo_platform.api_keys): only the SHA-256 of a key and its
// prefix are stored. The service owns the rules.
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { apiKeys } from "../../shared/schema/platform.js";
import type { Tx } from "../db/database.js";
import { type CursorValue, newestFirst } from "../db/pagination.js";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;
/** A key as listed: everything but its hash. */
export type ApiKeyView = Omit<ApiKeyRow, "key_hash">;

export const keyOrder = newestFirst(apiKeys.created_at, apiKeys.api_key_id);
const { key_hash: _, ...viewColumns } = getTableColumns(apiKeys);

export const apiKeyRepository = {
  async insert(tx: Tx, key: NewApiKey): Promise<ApiKeyView> {
    const [row] = await tx.insert(apiKeys).values(key).returning(viewColumns);
    return row!;
  },

  async findByHash(tx: Tx, hash: string): Promise<ApiKeyRow | undefined> {
    const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.key_hash, hash));
    return row;
  },

  async find(tx: Tx, orgId: string, keyId: string): Promise<ApiKeyView | undefined> {
    const [row] = await tx
      .select(viewColumns)
      .from(apiKeys)
      .where(and(eq(apiKeys.org_id, orgId), eq(apiKeys.api_key_id, keyId)));
    return row;
  },

  /** Newest first, after the cursor's key. */
  async list(tx: Tx, orgId: string, limit: number, cursor?: CursorValue[]): Promise<ApiKeyView[]> {
    return tx
      .select(viewColumns)
      .from(apiKeys)
      .where(and(eq(apiKeys.org_id, orgId), keyOrder.after(cursor)))
      .orderBy(...keyOrder.orderBy)
      .limit(limit);
  },

  async recordUse(tx: Tx, keyId: string): Promise<void> {
    await tx
      .update(apiKeys)
      .set({ last_used_at: new Date(), usage_count: sql`coalesce(${apiKeys.usage_count}, 0) + 1` })
      .where(eq(apiKeys.api_key_id, keyId));
  },

  async revoke(
    tx: Tx,
    orgId: string,
    keyId: string,
    by: { revoked_by: string | null; revocation_reason: string | null },
  ): Promise<ApiKeyView | undefined> {
    const [row] = await tx
      .update(apiKeys)
      .set({ status: "revoked", revoked_at: new Date(), ...by })
      .where(and(eq(apiKeys.org_id, orgId), eq(apiKeys.api_key_id, keyId), eq(apiKeys.status, "active")))
      .returning(viewColumns);
    return row;
  },
};
