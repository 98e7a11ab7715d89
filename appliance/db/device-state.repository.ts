// Small named values of this device (sync marks, the cabinet's key, the PIN pad's lockout) in one
// key/value table.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { LocalDb } from "./local-database.js";
import { deviceState } from "./schema.js";

export const getDeviceState = (db: LocalDb, key: string): string | undefined =>
  db.select().from(deviceState).where(eq(deviceState.key, key)).get()?.value;

export const setDeviceState = (db: LocalDb, key: string, value: string): void => {
  const updated_at = new Date().toISOString();
  db.insert(deviceState)
    .values({ key, value, updated_at })
    .onConflictDoUpdate({ target: deviceState.key, set: { value, updated_at } })
    .run();
};

/**
 * The id of this cabinet's change log, created with the first need of it: a new database gets a new
 * one, so the cloud never confuses two logs (nor two hash chains of the event log).
 */
export function changeLogId(db: LocalDb): string {
  const existing = getDeviceState(db, "change_log_id");
  if (existing) return existing;
  const id = randomUUID();
  setDeviceState(db, "change_log_id", id);
  return id;
}
