// Ingest benchmark: events per second through the cabinet sync endpoint (real HTTP to a real Cloud on
// a real PostgreSQL server: gzip + JSON, bearer auth, validation, tenant transaction, high-water mark)
// next to a plain multi-row INSERT of the SAME rows into the SAME table (unified_event_log of a second,
// identically set-up tenant) with the same batch size, in the same run. The two paths take turns batch
// by batch (and take turns going first) so that background load and table growth hit them alike.
// One batch is in flight at a time on each path: a cabinet uploads its log strictly in order.
//
//   npm run bench:ingest                        # 15000 rows per batch size and path
//   npm run bench:ingest -- --rows 5000         # quicker
//   npm run bench:ingest -- --sizes 100,1000
//   npm run bench:ingest -- --profile           # then a stage-by-stage breakdown of a 1000-change batch
//   LILO_BENCH_DATABASE_URL=postgres://... npm run bench:ingest
//
// The server named by LILO_BENCH_DATABASE_URL or DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
// gets a scratch database lilo_bench_<random>, dropped at the end with the tenant roles it created.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { Cloud } from "../cloud/cloud.js";
import { loadCloudConfig } from "../cloud/config.js";
import { tenantRoleName } from "../cloud/db/names.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { MAX_BATCH_CHANGES } from "../cloud/sync/ingest.service.js";
import type { DeviceIdentity } from "../shared/device-identity.js";
import { silentLogger } from "../shared/logger.js";
import * as tenant from "../shared/schema/tenant.js";
import { profileStages } from "./ingest-profile.js";
import {
  type EventRow,
  makeEvents,
  rawInsertParams,
  rawInsertSql,
  type Scope,
  syncBody,
} from "./ingest-rows.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function argInt(name: string, fallback: number): number {
  const v = Number(arg(name));
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

const PROFILE = process.argv.includes("--profile");
const ROWS = argInt("--rows", 15_000);
const WARMUP_BATCHES = argInt("--warmup", 5);
const SIZES = (arg("--sizes") ?? "100,500,1000")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0 && n <= MAX_BATCH_CHANGES);
const SERVER_URL =
  process.env.LILO_BENCH_DATABASE_URL ??
  process.env.DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/postgres";

interface Tally {
  rows: number;
  ms: number[];
}
const tally = (): Tally => ({ rows: 0, ms: [] });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Bench {
  cloud: Cloud;
  raw: pg.Client;
  credential: string;
  logId: string;
  nextSeq: number;
  scope: Scope;
  rawSchema: string;
  seed: number;
}

async function postBatch(b: Bench, rows: EventRow[]): Promise<number> {
  const body = syncBody(b.logId, b.nextSeq, rows);
  const t0 = performance.now();
  const res = await fetch(`${b.cloud.url}/api/v1/device/sync/changes`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${b.credential}`,
      "content-type": "application/json",
      "content-encoding": "gzip",
    },
    body,
  });
  const json = (await res.json()) as { accepted_through?: number; applied?: number };
  const ms = performance.now() - t0;
  const last = b.nextSeq + rows.length - 1;
  if (res.status !== 200 || json.accepted_through !== last || json.applied !== rows.length) {
    throw new Error(`sync upload answered ${res.status}: ${JSON.stringify(json).slice(0, 500)}`);
  }
  b.nextSeq = last + 1;
  return ms;
}

async function rawBatch(b: Bench, rows: EventRow[], sqlText: string): Promise<number> {
  const params = rawInsertParams(rows);
  const t0 = performance.now();
  await b.raw.query(sqlText, params);
  return performance.now() - t0;
}

/** `batches` batches of `size` fresh rows through both paths, alternating which goes first. */
async function run(b: Bench, size: number, batches: number, api: Tally, raw: Tally): Promise<void> {
  const sqlText = rawInsertSql(b.rawSchema, size);
  for (let i = 0; i < batches; i++) {
    const rows = makeEvents(b.scope, size, b.seed++);
    const order = i % 2 === 0 ? (["api", "raw"] as const) : (["raw", "api"] as const);
    for (const path of order) {
      if (path === "api") api.ms.push(await postBatch(b, rows));
      else raw.ms.push(await rawBatch(b, rows, sqlText));
    }
    api.rows += rows.length;
    raw.rows += rows.length;
  }
}

async function setUpCabinet(cloud: Cloud, orgId: string, scope: Scope): Promise<void> {
  const deptId = randomUUID();
  await cloud.db.withTenant(orgId, async (tx) => {
    await tx
      .insert(tenant.departments)
      .values({ dept_id: deptId, dept_name: "Chemistry", dept_code: "CHEM" });
    await tx
      .insert(tenant.laboratories)
      .values({ lab_id: scope.lab_id, dept_id: deptId, lab_name: "Organic Lab", lab_code: "ORG-1" });
    await tx.insert(tenant.cabinets).values({
      cabinet_id: scope.cabinet_id,
      lab_id: scope.lab_id,
      cabinet_name: "Flammables A",
      cabinet_code: "FLAM-A",
    });
  });
}

async function main(): Promise<void> {
  if (SIZES.length === 0) throw new Error(`--sizes: batch sizes between 1 and ${MAX_BATCH_CHANGES}`);
  const dbName = `lilo_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(join(tmpdir(), "lilo-bench-"));
  const orgIds: string[] = [];
  let cloud: Cloud | undefined;
  let raw: pg.Client | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await raw?.end().catch(() => {});
    await cloud?.stop().catch((err: unknown) => console.error("cloud stop:", err));
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    for (const orgId of orgIds) await admin.query(`DROP ROLE IF EXISTS "${tenantRoleName(orgId)}"`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => {
    console.error("interrupted: dropping the scratch database");
    void cleanup().finally(() => process.exit(130));
  });

  try {
    const config = loadCloudConfig({
      DATABASE_URL: url.toString(),
      LILO_CLOUD_PORT: "0",
      LILO_CLOUD_DATA_DIR: dataDir,
      LILO_MQTT_HOST: "127.0.0.1",
      LILO_MQTT_PORT: "0",
      LOG_LEVEL: "silent",
    });
    cloud = new Cloud(config, silentLogger);
    await cloud.start();

    // Two tenants with the same department, lab and cabinet ids: the endpoint writes into one, the
    // plain INSERT into the other, so the same rows (same foreign keys) fit both.
    const orgs = new OrganizationService(cloud.db);
    const scope: Scope = { lab_id: randomUUID(), cabinet_id: randomUUID() };
    const apiOrg = await orgs.create({ name: "Bench API", slug: "bench-api", type: "university" });
    orgIds.push(apiOrg.org_id);
    const rawOrg = await orgs.create({ name: "Bench Raw", slug: "bench-raw", type: "university" });
    orgIds.push(rawOrg.org_id);
    await setUpCabinet(cloud, apiOrg.org_id, scope);
    await setUpCabinet(cloud, rawOrg.org_id, scope);

    // Issuing a claim token is an administrator's act (a signed-in user): the bench asks the service.
    const { claim_token } = await new ProvisioningService(cloud.db).createClaimToken(
      apiOrg.org_id,
      scope.cabinet_id,
    );
    const claimed = await postJson<DeviceIdentity & { credential: string }>(cloud, "/api/v1/devices/claim", {
      claim_token,
      serial_number: `BENCH-${randomBytes(4).toString("hex")}`,
    });
    const stateRes = await fetch(`${cloud.url}/api/v1/device/sync/state`, {
      headers: { authorization: `Bearer ${claimed.credential}` },
    });
    const state = (await stateRes.json()) as { last_seq: number };

    raw = new pg.Client({ connectionString: url.toString() });
    await raw.connect();

    const b: Bench = {
      cloud,
      raw,
      credential: claimed.credential,
      logId: randomUUID(),
      nextSeq: state.last_seq + 1,
      scope,
      rawSchema: rawOrg.schema,
      seed: 1,
    };

    console.log(
      `ingest benchmark: ${ROWS} rows per batch size and path, batch sizes ${SIZES.join(", ")}, ` +
        `PostgreSQL ${(await raw.query("SHOW server_version")).rows[0].server_version} at ${url.host}, database ${dbName}`,
    );
    console.log(
      "endpoint: POST /api/v1/device/sync/changes (gzip JSON, one request in flight) into tenant A; " +
        "raw: one parameterized multi-row INSERT per batch (autocommit, one connection) into unified_event_log of tenant B",
    );

    const t0 = performance.now();
    for (const size of SIZES) await run(b, size, WARMUP_BATCHES, tally(), tally());
    console.log(
      `warm-up: ${WARMUP_BATCHES} batches per size and path in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const results: { size: number; api: Tally; raw: Tally }[] = [];
    for (const size of SIZES) {
      const api = tally();
      const rawT = tally();
      await run(b, size, Math.max(1, Math.ceil(ROWS / size)), api, rawT);
      results.push({ size, api, raw: rawT });
    }

    // Both tables must hold every row sent, and the device's high-water mark must be the last seq.
    const counts = await raw.query(
      `SELECT (SELECT count(*) FROM "${apiOrg.schema}".unified_event_log)::int AS api,
              (SELECT count(*) FROM "${rawOrg.schema}".unified_event_log)::int AS raw`,
    );
    const finalState = (await (
      await fetch(`${cloud.url}/api/v1/device/sync/state`, {
        headers: { authorization: `Bearer ${claimed.credential}` },
      })
    ).json()) as { last_seq: number };
    const { api: apiCount, raw: rawCount } = counts.rows[0] as { api: number; raw: number };
    if (apiCount !== rawCount || finalState.last_seq !== b.nextSeq - 1) {
      throw new Error(
        `row counts disagree: endpoint ${apiCount}, raw ${rawCount}, high-water mark ${finalState.last_seq} (expected ${b.nextSeq - 1})`,
      );
    }

    printTable(results);
    console.log(
      `checked: both tables hold ${apiCount} rows (warm-up included); device high-water mark ${finalState.last_seq}; ` +
        `total ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (PROFILE) {
      const device: DeviceIdentity = {
        device_id: claimed.device_id,
        org_id: claimed.org_id,
        thing_name: claimed.thing_name,
        cabinet_id: claimed.cabinet_id,
      };
      const target = { cloud, raw, orgId: rawOrg.org_id, schema: rawOrg.schema, scope, device };
      await profileStages(target, MAX_BATCH_CHANGES, 3, 1_000_000, false); // warm-up
      await profileStages(target, MAX_BATCH_CHANGES, argInt("--profile-batches", 10), 2_000_000);
    }
  } finally {
    await cleanup();
  }
}

async function postJson<T>(cloud: Cloud, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${cloud.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

function printTable(results: { size: number; api: Tally; raw: Tally }[]): void {
  const head = ["batch", "path", "rows", "batches", "seconds", "events/s", "p50 ms", "p95 ms", "ratio"];
  const lines: string[][] = [];
  for (const { size, api, raw } of results) {
    const secs = (t: Tally) => t.ms.reduce((a, x) => a + x, 0) / 1000;
    const rate = (t: Tally) => t.rows / secs(t);
    const ratio = rate(api) / rate(raw);
    for (const [name, t] of [
      ["endpoint", api],
      ["raw INSERT", raw],
    ] as const) {
      const sorted = [...t.ms].sort((a, x) => a - x);
      lines.push([
        String(size),
        name,
        String(t.rows),
        String(t.ms.length),
        secs(t).toFixed(2),
        Math.round(rate(t)).toLocaleString("en-US"),
        percentile(sorted, 50).toFixed(1),
        percentile(sorted, 95).toFixed(1),
        name === "endpoint" ? ratio.toFixed(2) : "",
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log();
  console.log(fmt(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const [i, l] of lines.entries()) {
    console.log(fmt(l));
    if (i % 2 === 1 && i < lines.length - 1) console.log();
  }
  console.log();
  console.log(
    "seconds = summed batch latencies of that path; events/s = rows / seconds; ratio = endpoint events/s / raw events/s (target >= 0.50)",
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
