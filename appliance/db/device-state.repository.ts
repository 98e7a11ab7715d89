// Small named values of this device (sync marks, the cabinet's key, the PIN pad's lockout) in one
// key/value table.
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
