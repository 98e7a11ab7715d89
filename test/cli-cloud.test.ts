// `lilo cloud migrate` and `lilo cloud org create`, run as processes on embedded PGlite and PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lilo } from "./support/cli.js";
import { backends } from "./support/databases.js";

describe.each(backends)("lilo cloud on $name", (backend) => {
  let env: Record<string, string | undefined>;
  let dispose: () => Promise<void>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "lilo-cli-"));
    if (backend.name === "postgres") {
      const created = await backend.create();
      // The CLI opens its own connections; the test's handle only drops the database afterwards.
      dispose = created.dispose;
      env = { DATABASE_URL: created.url, DATABASE_OWNER_URL: created.ownerUrl };
    } else {
      env = {
        DATABASE_URL: undefined,
        DATABASE_OWNER_URL: undefined,
        LILO_CLOUD_DATA_DIR: join(dataDir, "cloud"),
      };
      dispose = async () => {};
    }
  });
  afterAll(async () => {
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("migrates, creates an organization, and a second migrate is a no-op", async () => {
    const first = await lilo(["cloud", "migrate"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("lilo_platform: applied 0000_init");

    const created = await lilo(
      ["cloud", "org", "create", "--name", "Gamma Labs", "--slug", "gamma-labs", "--type", "biotech"],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const org = JSON.parse(created.stdout) as { org_id: string; schema: string };
    expect(org.schema).toBe(`tenant_${org.org_id.replaceAll("-", "_")}`);

    const second = await lilo(["cloud", "migrate"], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe(`lilo_platform: up to date\n${org.schema}: up to date\n`);
  });

  it("refuses bad input with a clear message, a non-zero exit and nothing created", async () => {
    const dup = await lilo(
      ["cloud", "org", "create", "--name", "G", "--slug", "gamma-labs", "--type", "biotech"],
      env,
    );
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('slug "gamma-labs" already exists');
    const badType = await lilo(
      ["cloud", "org", "create", "--name", "G", "--slug", "g2", "--type", "bakery"],
      env,
    );
    expect(badType.code).not.toBe(0);
    expect(badType.stderr).toContain(
      "type must be one of: university, pharma, biotech, government, industrial",
    );
    const badSlug = await lilo(
      ["cloud", "org", "create", "--name", "G", "--slug", "-bad-", "--type", "pharma"],
      env,
    );
    expect(badSlug.code).not.toBe(0);
    expect(badSlug.stderr).toContain("slug must be");
    expect(badSlug.stdout).toBe("");
    // Only the one good organization has a schema.
    const migrate = await lilo(["cloud", "migrate"], env);
    expect(migrate.stderr.match(/tenant_/g)).toHaveLength(1);
  });
});

describe("lilo --help", () => {
  it.each([[[]], [["cloud"]], [["cloud", "org"]], [["cloud", "org", "create"]], [["cloud", "migrate"]]])(
    "answers on every level: lilo %s --help",
    async (args) => {
      const r = await lilo([...args, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: lilo/);
    },
  );
});
