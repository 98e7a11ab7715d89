// Tenant reads and writes behind label printing: the container, its earlier prints, the audit event.
import { and, eq, inArray, sql } from "drizzle-orm";
import { chemicalInventory, unifiedEventLog } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";

export type Container = typeof chemicalInventory.$inferSelect;
export type NewEvent = typeof unifiedEventLog.$inferInsert;

export const LABEL_ACTIONS = ["label_printed", "label_reprinted"] as const;
export type LabelAction = (typeof LABEL_ACTIONS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const labelRepository = {
  /**
   * By container_id (a UUID) or printed code. The row stays locked until the transaction ends, so two
   * prints of one container at once queue up and exactly one of them is the first print.
   */
  async lockContainer(tx: Tx, key: string): Promise<Container | undefined> {
    const [row] = await tx
      .select()
      .from(chemicalInventory)
      .where(UUID.test(key) ? eq(chemicalInventory.container_id, key) : eq(chemicalInventory.qr_code, key))
      .limit(1)
      .for("update");
    return row;
  },

  async wasLabelled(tx: Tx, containerId: string): Promise<boolean> {
    const [row] = await tx
      .select({ event_id: unifiedEventLog.event_id })
      .from(unifiedEventLog)
      .where(
        and(
          eq(unifiedEventLog.container_id, containerId),
          eq(unifiedEventLog.event_type, "manual"),
          inArray(sql`${unifiedEventLog.event_details}->>'action'`, [...LABEL_ACTIONS]),
        ),
      )
      .limit(1);
    return row !== undefined;
  },

  async recordEvent(tx: Tx, event: NewEvent): Promise<string> {
    const [row] = await tx
      .insert(unifiedEventLog)
      .values(event)
      .returning({ event_id: unifiedEventLog.event_id });
    if (!row) throw new Error("insert into unified_event_log returned no row");
    return row.event_id;
  },
};
