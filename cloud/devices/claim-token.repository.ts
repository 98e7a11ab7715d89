// Platform reads and writes of claim tokens; only a token's hash is stored. The service owns the rules.
import { and, eq, getTableColumns, inArray, isNull, type SQL } from "drizzle-orm";
import { claimTokens } from "../../shared/schema/platform.js";
import { sha256 } from "../../shared/tokens.js";
import type { Tx } from "../db/database.js";
import { type CursorValue, newestFirst } from "../db/pagination.js";
import { type CabinetFilter, onCabinets } from "./device.repository.js";

export type ClaimToken = typeof claimTokens.$inferSelect;
/** A token as listed: everything but its hash. */
export type ClaimTokenView = Omit<ClaimToken, "token_hash">;

export const claimTokenOrder = newestFirst(claimTokens.created_at, claimTokens.token_id);
const { token_hash: _, ...viewColumns } = getTableColumns(claimTokens);

/** One token by value or id, or every token of a cabinet. */
export type ClaimTokenMatch = { claim_token: string } | { token_id: string } | { cabinet_id: string };

export const claimTokenRepository = {
  async insert(
    tx: Tx,
    token: { org_id: string; cabinet_id: string; claim_token: string; created_by?: string; expires_at: Date },
  ): Promise<string> {
    const [row] = await tx
      .insert(claimTokens)
      .values({
        org_id: token.org_id,
        cabinet_id: token.cabinet_id,
        token_hash: sha256(token.claim_token),
        created_by: token.created_by,
        expires_at: token.expires_at,
      })
      .returning({ token_id: claimTokens.token_id });
    if (!row) throw new Error("insert into claim_tokens returned no row");
    return row.token_id;
  },

  /** Locked until the transaction ends: two claims with one token queue up, and one of them wins. */
  async lockByValue(tx: Tx, claimToken: string): Promise<ClaimToken | undefined> {
    const [row] = await tx
      .select()
      .from(claimTokens)
      .where(eq(claimTokens.token_hash, sha256(claimToken)))
      .for("update");
    return row;
  },

  async lockInOrganization(tx: Tx, orgId: string, match: ClaimTokenMatch): Promise<ClaimToken[]> {
    return tx
      .select()
      .from(claimTokens)
      .where(and(matching(match), eq(claimTokens.org_id, orgId)))
      .for("update");
  },

  /** An organization's tokens (never their hashes), newest first after the cursor, of the given cabinets. */
  async list(
    tx: Tx,
    orgId: string,
    only: CabinetFilter,
    limit: number,
    cursor?: CursorValue[],
  ): Promise<ClaimTokenView[]> {
    return tx
      .select(viewColumns)
      .from(claimTokens)
      .where(
        and(
          eq(claimTokens.org_id, orgId),
          onCabinets(claimTokens.cabinet_id, only),
          claimTokenOrder.after(cursor),
        ),
      )
      .orderBy(...claimTokenOrder.orderBy)
      .limit(limit);
  },

  /** The token a reference names in the organization (by value or id), without locking it. */
  async findInOrganization(
    tx: Tx,
    orgId: string,
    match: { claim_token: string } | { token_id: string },
  ): Promise<ClaimTokenView | undefined> {
    const [row] = await tx
      .select(viewColumns)
      .from(claimTokens)
      .where(and(matching(match), eq(claimTokens.org_id, orgId)));
    return row;
  },

  async markUsed(tx: Tx, tokenId: string, deviceId: string): Promise<void> {
    await tx
      .update(claimTokens)
      .set({ used_at: new Date(), used_by_device_id: deviceId })
      .where(and(eq(claimTokens.token_id, tokenId), isNull(claimTokens.used_at)));
  },

  async revoke(tx: Tx, tokenIds: string[], by: string | null): Promise<void> {
    await tx
      .update(claimTokens)
      .set({ revoked_at: new Date(), revoked_by: by })
      .where(inArray(claimTokens.token_id, tokenIds));
  },
};

function matching(match: ClaimTokenMatch): SQL {
  if ("claim_token" in match) return eq(claimTokens.token_hash, sha256(match.claim_token));
  if ("token_id" in match) return eq(claimTokens.token_id, match.token_id);
  return eq(claimTokens.cabinet_id, match.cabinet_id);
}
