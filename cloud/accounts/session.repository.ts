// Sign-in sessions (the partitioned user_sessions table), known by an id derived from their token.
import { and, eq, gt, inArray } from "drizzle-orm";
import { userSessions } from "../../shared/schema/partitioned.js";
import type { Tx } from "../db/database.js";

export type NewSession = typeof userSessions.$inferInsert;

export const sessionRepository = {
  async insert(tx: Tx, session: NewSession): Promise<void> {
    await tx.insert(userSessions).values(session);
  },

  /** Whose session this is, if it has not expired by `now`. */
  async findLiveUser(tx: Tx, sessionId: string, now: Date): Promise<string | undefined> {
    const [row] = await tx
      .select({ user_id: userSessions.user_id })
      .from(userSessions)
      .where(and(eq(userSessions.session_id, sessionId), gt(userSessions.expires_at, now)));
    return row?.user_id;
  },

  async delete(tx: Tx, sessionId: string): Promise<void> {
    await tx.delete(userSessions).where(eq(userSessions.session_id, sessionId));
  },

  /** Deletes every session of these people; returns how many there were. */
  async deleteOfUsers(tx: Tx, userIds: string[]): Promise<number> {
    const rows = await tx
      .delete(userSessions)
      .where(inArray(userSessions.user_id, userIds))
      .returning({ session_id: userSessions.session_id });
    return rows.length;
  },
};
