// Retention benchmark: does the archive-then-delete job hold up ingest? A writer commits batches of 50
// audit events (chained by the trigger, the organization's head row locked, as the cloud's own writes
// are) and 50 event-stream rows, one transaction each, back to back; its per-batch latency is measured
// alone, then while the retention job archives and deletes N expired events of the same organization
// (batches of 500, each in its own short transaction). Prints p50/p95/p99/max of both phases and the
// job's rows per second.
//
//   LILO_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:retention [-- --rows 5000]
//
// Uses the medium tests' PostgreSQL backend (test/support/databases.ts): a scratch database with the
// product's owner and service logins, dropped at the end.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import { FsBlobStore } from "../cloud/blobs/blob-store.fs.js";
import type { Database } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { DEFAULT_RETENTION_DAYS } from "../cloud/db/partitions.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { RetentionService } from "../cloud/retention/retention.service.js";
import { backends } from "../test/support/databases.js";

const rowsArg = process.argv.indexOf("--rows");
const ROWS = rowsArg >= 0 ? Number(process.argv[rowsArg + 1]) : 5_000;
const BASELINE_MS = 10_000;

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const p = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!.toFixed(1);
  return `n=${s.length} p50=${p(0.5)} p95=${p(0.95)} p99=${p(0.99)} max=${s.at(-1)!.toFixed(1)} ms`;
}

async function writeBatch(database: Database, orgId: string): Promise<number> {
  const t0 = performance.now();
  await database.withTenant(orgId, (tx) =>
    tx.execute(sql`INSERT INTO unified_event_log (event_type, event_category, changes_summary)
                   SELECT 'access', 'user_action', 'door opened ' || g FROM generate_series(1, 50) g`),
  );
  await database.asService((tx) =>
    tx.execute(sql`INSERT INTO event_stream (org_id, event_type, details)
                   SELECT ${orgId}::uuid, 'door_opened', '{}'::jsonb FROM generate_series(1, 50)`),
  );
  return performance.now() - t0;
}

/** Writes batches until `until` resolves; the latencies of those batches. */
async function writer(database: Database, orgId: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const ms: number[] = [];
  while (!done) ms.push(await writeBatch(database, orgId));
  return ms;
}

const postgres = backends.find((b) => b.name === "postgres");
if (!postgres) throw new Error("set LILO_TEST_DATABASE_URL to a PostgreSQL server");
const { database, dispose } = await postgres.create();
try {
  await migrateAll(database);
  const org = (
    await new OrganizationService(database).create({ name: "Bench", slug: "bench", type: "pharma" })
  ).org_id;
  const seeded = performance.now();
  for (let done = 0; done < ROWS; done += 1000) {
    await database.withTenant(org, (tx) =>
      tx.execute(sql`INSERT INTO unified_event_log (event_timestamp, event_type, event_category, changes_summary)
                     SELECT now() - interval '8 years' + g * interval '1 second', 'access', 'user_action', 'old ' || g
                       FROM generate_series(1, ${Math.min(1000, ROWS - done)}) g`),
    );
  }
  console.log(`seeded ${ROWS} expired events in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
  const retention = new RetentionService(
    database,
    new FsBlobStore(mkdtempSync(join(tmpdir(), "lilo-retention-bench-"))),
    DEFAULT_RETENTION_DAYS,
  );

  const baseline = await writer(database, org, new Promise((r) => setTimeout(r, BASELINE_MS)));
  console.log(`ingest alone:          ${summary(baseline)}`);

  const started = performance.now();
  const job = retention.runOrg(org);
  const during = await writer(database, org, job);
  const run = await job;
  const seconds = (performance.now() - started) / 1000;
  const deleted = run.tables.reduce((n, t) => n + t.deleted, 0);
  console.log(`ingest during the job: ${summary(during)}`);
  console.log(
    `retention: ${deleted} rows archived and deleted in ${seconds.toFixed(1)} s (${Math.round(deleted / seconds)} rows/s, ${run.tables.reduce((n, t) => n + t.archives.length, 0)} archive files)`,
  );
} finally {
  await dispose();
}
