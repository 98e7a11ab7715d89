// Storage for the first approval of a remote unlock on a dual-approval cabinet, waiting for a second
// person (migration 0008, raw SQL: the table is not in the drizzle schema). Runs in the caller's
// lilo_service transaction.
import { sql } from "drizzle-orm";
import { queryRows, type Tx } from "../db/database.js";

export interface PendingApproval {
  approved_by: string;
  expires_at: Date;
}

export const unlockApprovalRepository = {
  /** Removes and returns the pending approval for (device, user), if any, under a row lock. */
  async take(tx: Tx, deviceId: string, userId: string): Promise<PendingApproval | undefined> {
    const [row] = await queryRows<{ approved_by: string; expires_at: string | Date }>(
      tx,
      sql`DELETE FROM lilo_platform.unlock_approvals WHERE device_id = ${deviceId} AND user_id = ${userId}
          RETURNING approved_by, expires_at`,
    );
    return row && { approved_by: row.approved_by, expires_at: new Date(row.expires_at) };
  },

  async put(
    tx: Tx,
    a: { org_id: string; device_id: string; user_id: string; approved_by: string; expires_at: Date },
  ): Promise<void> {
    await tx.execute(
      sql`INSERT INTO lilo_platform.unlock_approvals (org_id, device_id, user_id, approved_by, expires_at)
          VALUES (${a.org_id}, ${a.device_id}, ${a.user_id}, ${a.approved_by}, ${a.expires_at.toISOString()})
          ON CONFLICT (device_id, user_id)
          DO UPDATE SET approved_by = EXCLUDED.approved_by, expires_at = EXCLUDED.expires_at`,
    );
  },
};
