// A tenant's own settings (tenant_settings), read and written in the caller's tenant transaction.
import { eq } from "drizzle-orm";
import { tenantSettings } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";

export const tenantSettingRepository = {
  async get(tx: Tx, key: string): Promise<string | undefined> {
    const [row] = await tx.select().from(tenantSettings).where(eq(tenantSettings.key, key));
    return row?.value;
  },

  /** Writes the value unless the key is set already (a concurrent writer won). */
  async insertIfAbsent(tx: Tx, key: string, value: string): Promise<void> {
    await tx.insert(tenantSettings).values({ key, value }).onConflictDoNothing();
  },
};
