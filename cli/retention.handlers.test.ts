// `lilo cloud retention ...` as an operator runs it, on PostgreSQL: a period below its legal minimum is
// refused (exit 2, nothing changes); a dry run counts and changes nothing; a run prints a line per batch
// with the archive's checksum, deletes the expired event, and `lilo cloud audit verify` still passes.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { unifiedEventLog } from "../shared/schema/tenant.js";
import { lilo } from "../test/support/cli.js";
import { backends } from "../test/support/databases.js";

const postgres = backends.find((b) => b.name === "postgres");

describe.skipIf(!postgres)("lilo cloud retention on PostgreSQL", () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let env: Record<string, string>;
  let org = "";
  let expired = "";
  const stillThere = async () =>
    (
      await database.withTenant(org, (tx) =>
        tx.select().from(unifiedEventLog).where(eq(unifiedEventLog.event_id, expired)),
      )
    ).length === 1;

  beforeAll(async () => {
    const created = await postgres!.create();
    ({ database, dispose } = created);
    const dir = mkdtempSync(join(tmpdir(), "lilo-retention-cli-"));
    env = {
      DATABASE_URL: created.url!,
      DATABASE_OWNER_URL: created.ownerUrl!,
      LILO_BLOB_DIR: join(dir, "blobs"),
      LILO_AUDIT_SIGNING_KEY_FILE: join(dir, "audit-signing-key.pem"),
    };
    await migrateAll(database);
    org = (await new OrganizationService(database).create({ name: "Cli", slug: "cli", type: "pharma" }))
      .org_id;
    [{ event_id: expired }] = (await database.withTenant(org, (tx) =>
      tx
        .insert(unifiedEventLog)
        .values({
          event_type: "manual",
          event_timestamp: new Date(Date.now() - 8 * 366 * 86_400_000),
          changes_summary: "eight years old",
        })
        .returning({ event_id: unifiedEventLog.event_id }),
    )) as [{ event_id: string }];
  });
  afterAll(() => dispose?.());

  it("refuses a period below the legal minimum and changes nothing", async () => {
    const refused = await lilo(
      ["cloud", "retention", "set", "--org", org, "--class", "audit_log", "--days", "30"],
      env,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/audit_log must be kept at least 2557 days/);
    const shown = await lilo(["cloud", "retention", "show", "--org", org], env);
    expect(shown.stdout).toMatch(/^audit_log\s+2557 days {2}7 years/m);
  });

  it("counts in a dry run, then archives and deletes with a line per batch, and the trail verifies", async () => {
    const dry = await lilo(["cloud", "retention", "run", "--org", org, "--dry-run"], env);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/unified_event_log: 1 rows past retention would be archived and deleted/);
    expect(await stillThere()).toBe(true);

    const run = await lilo(["cloud", "retention", "run", "--org", org], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /unified_event_log: archived 1 rows \(\d+ bytes, sha256 [0-9a-f]{64}\), deleted 1/,
    );
    expect(await stillThere()).toBe(false);
    const verify = await lilo(["cloud", "audit", "verify", "--org", org], env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/audit trail intact/);
  });
});
