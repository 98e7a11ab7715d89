// What one cloud instance tells all of them (PostgreSQL NOTIFY on one channel) when something worth
// showing live happened: small payloads naming the organization, the cabinet and row ids, never
// the rows themselves; each instance reads what its own subscribers may see. NOTIFY is transactional:
// the message goes out when the caller's transaction commits, and not at all if it rolls back.
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Tx } from "../db/database.js";

export const LIVE_CHANNEL = "lilo_live";
/** Row ids per notification: 100 UUIDs keep a payload under 4 KiB (PostgreSQL allows 8000 bytes). */
const IDS_PER_MESSAGE = 100;

const Uuid = z.string().uuid();
export const LiveMessage = z.discriminatedUnion("k", [
  z.object({
    k: z.literal("presence"),
    org: Uuid,
    cabinet: Uuid.nullable(),
    status: z.enum(["online", "offline"]),
    at: z.string(),
  }),
  /** A live cabinet step (door, lock, session) from MQTT: a row of lilo_platform.event_stream. */
  z.object({ k: z.literal("cabinet"), org: Uuid, cabinet: Uuid.nullable(), id: Uuid, at: z.string() }),
  /** Rows of the tenant's unified_event_log or safety_alerts written by a sync upload. */
  z.object({
    k: z.enum(["events", "alerts"]),
    org: Uuid,
    cabinet: Uuid,
    ids: z.array(Uuid).max(IDS_PER_MESSAGE),
  }),
]);
export type LiveMessage = z.infer<typeof LiveMessage>;

/** Queues `message` for every instance, sent when `tx` commits; many ids go out in several messages. */
export async function notifyLive(tx: Tx, message: LiveMessage): Promise<void> {
  if ("ids" in message) {
    for (let i = 0; i < message.ids.length; i += IDS_PER_MESSAGE) {
      const part = { ...message, ids: message.ids.slice(i, i + IDS_PER_MESSAGE) };
      await tx.execute(sql`SELECT pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(part)})`);
    }
    return;
  }
  await tx.execute(sql`SELECT pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(message)})`);
}
