import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCommand } from "../../shared/commands/command-signature.js";
import { backends } from "../../test/support/databases.js";
import { type Database, pgErrorCode, queryRows } from "../db/database.js";
import { migrateAll } from "../db/migrator.js";
import { ensureDemoOrg } from "../demo/demo-seed.js";
import { CommandKeyService } from "./command-key.service.js";

const SECRET = "a-command-key-secret-of-32-chars-or-more";

describe.each(backends)("organization command keys on $name", (backend) => {
  let db: Database;
  let dispose: () => Promise<void>;
  let orgId: string;

  beforeAll(async () => {
    const scratch = await backend.create();
    db = scratch.database;
    dispose = scratch.dispose;
    await migrateAll(db);
    orgId = (await ensureDemoOrg(db)).org_id;
  });
  afterAll(() => dispose?.());

  it("makes one key per organization, shared by every instance, private half encrypted at rest", async () => {
    const [a, b] = [new CommandKeyService(db, SECRET), new CommandKeyService(db, SECRET)];
    const [ka, kb] = await Promise.all([a.publicKey(orgId), b.publicKey(orgId)]);
    expect(ka).toBe(kb);
    const cmd = { id: randomUUID(), command: "unlock", issued_at: new Date().toISOString(), thing: "lilo-x" };
    const sig = await b.sign(orgId, cmd);
    expect(checkCommand({ ...cmd, sig }, { publicKey: ka, thing: "lilo-x", cloudNow: Date.now() })).toEqual({
      ok: true,
    });
    const [row] = await db.asService((tx) =>
      queryRows<{ private_key: string }>(
        tx,
        sql`SELECT private_key FROM lilo_platform.org_command_keys WHERE org_id = ${orgId}`,
      ),
    );
    expect(row!.private_key).toMatch(/^aes-256-gcm:/);
    await expect(new CommandKeyService(db).sign(orgId, cmd)).rejects.toThrow(
      /LILO_COMMAND_KEY_SECRET is required/,
    );
    await expect(new CommandKeyService(db, `${SECRET}-other`).sign(orgId, cmd)).rejects.toThrow();
  });

  it("is not readable by a tenant role", async () => {
    const err = await db
      .withTenant(orgId, (tx) => tx.execute(sql`SELECT private_key FROM lilo_platform.org_command_keys`))
      .catch((e: unknown) => e);
    expect(pgErrorCode(err)).toBe("42501"); // insufficient_privilege
  });
});
