// Storage for organizations' command keys (migration 0008, raw SQL: the table is not in the drizzle
// schema). Runs in the caller's lilo_service transaction.
import { sql } from "drizzle-orm";
import { queryRows, type Tx } from "../db/database.js";

export interface StoredCommandKey {
  public_key: string;
  private_key: string;
}

export const commandKeyRepository = {
  async find(tx: Tx, orgId: string): Promise<StoredCommandKey | undefined> {
    const [row] = await queryRows<StoredCommandKey>(
      tx,
      sql`SELECT public_key, private_key FROM lilo_platform.org_command_keys WHERE org_id = ${orgId}`,
    );
    return row;
  },

  /** Inserts unless another instance got there first; the caller reads back the winner. */
  async insert(tx: Tx, orgId: string, key: StoredCommandKey): Promise<void> {
    await tx.execute(
      sql`INSERT INTO lilo_platform.org_command_keys (org_id, public_key, private_key)
          VALUES (${orgId}, ${key.public_key}, ${key.private_key}) ON CONFLICT (org_id) DO NOTHING`,
    );
  },
};
