// The platform's audit log (system_events): credential lifecycle steps, organizations created.
import { systemEvents } from "../../shared/schema/partitioned.js";
import type { Tx } from "../db/database.js";

export type NewSystemEvent = typeof systemEvents.$inferInsert;

export const systemEventRepository = {
  async record(tx: Tx, event: NewSystemEvent): Promise<void> {
    await tx.insert(systemEvents).values(event);
  },
};
