// The records the controlled-substance inventory is counted from, in the caller's tenant transaction:
// every container with a DEA schedule (when received, when disposed) and its checkouts in a period.
import { and, count, eq, gte, inArray, isNotNull, lt } from "drizzle-orm";
import { chemicalInventory, containerTransactions } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";

export interface ControlledContainerRow {
  container_id: string;
  chemical_name: string;
  cas_number: string | null;
  dea_schedule: string;
  date_received: string | null;
  created_at: Date | null;
  disposal_date: string | null;
  status: string | null;
  updated_at: Date | null;
}

export const controlledInventoryRepository = {
  controlledContainers(tx: Tx): Promise<ControlledContainerRow[]> {
    const c = chemicalInventory;
    return tx
      .select({
        container_id: c.container_id,
        chemical_name: c.chemical_name,
        cas_number: c.cas_number,
        dea_schedule: c.dea_schedule,
        date_received: c.date_received,
        created_at: c.created_at,
        disposal_date: c.disposal_date,
        status: c.status,
        updated_at: c.updated_at,
      })
      .from(c)
      .where(isNotNull(c.dea_schedule)) as Promise<ControlledContainerRow[]>;
  },

  /** Checkouts per container with their checkout in [from, until). */
  async checkouts(tx: Tx, containerIds: string[], from: Date, until: Date): Promise<Map<string, number>> {
    if (containerIds.length === 0) return new Map();
    const t = containerTransactions;
    const rows = await tx
      .select({ container_id: t.container_id, n: count() })
      .from(t)
      .where(
        and(
          inArray(t.container_id, containerIds),
          eq(t.transaction_type, "checkout"),
          gte(t.checkout_timestamp, from),
          lt(t.checkout_timestamp, until),
        ),
      )
      .groupBy(t.container_id);
    return new Map(rows.map((r) => [r.container_id, Number(r.n)]));
  },
};
