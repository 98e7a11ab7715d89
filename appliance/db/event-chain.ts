// Links each new event of this cabinet into its hash chain (shared/audit/audit-hash.ts): the values are
// completed with their defaults first, so that the hash covers exactly the row SQLite stores. Runs in
// the caller's transaction; better-sqlite3 is synchronous, so no other write falls between the read of
// the chain's head and the insert.
import { desc, eq, getTableColumns } from "drizzle-orm";
import { type ChainLink, deviceChainId, nextEventLink } from "../../shared/audit/audit-hash.js";
import { changeLogId } from "./device-state.repository.js";
import type { LocalDb } from "./local-database.js";
import { unifiedEventLog } from "./schema.js";

type EventValues = typeof unifiedEventLog.$inferInsert;

/** The event's values with every default filled in and its link in this cabinet's chain. */
export function chainedEvent(db: LocalDb, values: EventValues): EventValues & ChainLink {
  const full: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(unifiedEventLog))) {
    const given = (values as Record<string, unknown>)[key];
    if (given !== undefined) full[key] = given;
    else if (column.defaultFn) full[key] = column.defaultFn();
    else full[key] = column.default ?? null;
  }
  const chainId = deviceChainId(changeLogId(db));
  const head = db
    .select({ seq: unifiedEventLog.chain_seq, hash: unifiedEventLog.row_hash })
    .from(unifiedEventLog)
    .where(eq(unifiedEventLog.chain_id, chainId))
    .orderBy(desc(unifiedEventLog.chain_seq))
    .limit(1)
    .get();
  const link = nextEventLink(chainId, head ? { seq: head.seq!, hash: head.hash! } : undefined, full);
  return { ...(full as EventValues), ...link };
}
