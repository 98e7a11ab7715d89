// Where the endpoint's time goes (`npm run bench:ingest -- --profile`): the ingest path's stages run one
// by one, in process, on the same kind of batch: gunzip, JSON.parse, the batch schema, the per-change
// check (decode + drizzle-zod row schema), drizzle building the INSERT, and the INSERT itself run three
// ways (drizzle's SQL through pg directly, drizzle's query in a tenant transaction, the hand-written one).
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type pg from "pg";
import type { Cloud } from "../cloud/cloud.js";
import { IngestService, UploadBatch } from "../cloud/sync/ingest.service.js";
import type { DeviceIdentity } from "../shared/device-identity.js";
import * as tenant from "../shared/schema/tenant.js";
import { makeEvents, rawInsertParams, rawInsertSql, type Scope, syncBody } from "./ingest-rows.js";

const gunzipAsync = promisify(gunzip);

export interface ProfileTarget {
  cloud: Cloud;
  raw: pg.Client;
  /** Organization whose tenant schema takes the rows (not the endpoint's, whose sequence it would break). */
  orgId: string;
  schema: string;
  scope: Scope;
  device: DeviceIdentity;
}

export async function profileStages(
  t: ProfileTarget,
  size: number,
  batches: number,
  seed: number,
  print = true,
): Promise<void> {
  const service = new IngestService(t.cloud.db);
  // The private per-change check, called as the service calls it.
  const check = (
    service as unknown as { check(d: DeviceIdentity, c: unknown): { row: Record<string, unknown> } }
  ).check.bind(service);
  const stages = new Map<string, number>();
  const add = (name: string, ms: number) => stages.set(name, (stages.get(name) ?? 0) + ms);
  const time = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    add(name, performance.now() - t0);
    return out;
  };
  const sqlText = rawInsertSql(t.schema, size);
  let rows = 0;
  let bodyBytes = 0;
  let jsonBytes = 0;
  for (let i = 0; i < batches; i++) {
    // Four disjoint row sets of one shape: each INSERT variant gets fresh primary keys.
    const sets = [0, 1, 2, 3].map((k) => makeEvents(t.scope, size, seed + i * 4 + k));
    const body = syncBody(randomUUID(), 1, sets[0]!);
    const json = await time("gunzip", () => gunzipAsync(body));
    const input = await time("JSON.parse", () => JSON.parse(json.toString("utf8")));
    const batch = await time("UploadBatch.safeParse (envelope)", () => UploadBatch.parse(input));
    const checked = await time("check() per change (decode + EventInsert)", () =>
      batch.changes.map((c) => check(t.device, c).row),
    );
    const build = (values: Record<string, unknown>[]) =>
      t.cloud.db.db
        .insert(tenant.unifiedEventLog)
        .values(values as never)
        .onConflictDoNothing({ target: tenant.unifiedEventLog.event_id })
        .toSQL();
    const built = await time("drizzle build INSERT (toSQL)", () => build(checked));
    await time("INSERT: drizzle's SQL via pg (search_path set)", async () => {
      await t.raw.query(`SET search_path TO "${t.schema}"`);
      await t.raw.query(built.sql, built.params);
      await t.raw.query("RESET search_path");
    });
    const second = sets[1]!.map((r) => check(t.device, changeOf(r)).row);
    await time("INSERT: drizzle in withTenant (build + run + txn)", () =>
      t.cloud.db.withTenant(t.orgId, (tx) =>
        tx
          .insert(tenant.unifiedEventLog)
          .values(second as never)
          .onConflictDoNothing({ target: tenant.unifiedEventLog.event_id }),
      ),
    );
    const params = rawInsertParams(sets[2]!);
    await time("INSERT: hand-written SQL via pg (as raw path)", () => t.raw.query(sqlText, params));
    // The proposed fix: the whole batch as ONE jsonb parameter, expanded by PostgreSQL; columns missing
    // from the rows are left out of the column list, so they still take their defaults.
    const fourth = sets[3]!.map((r) => check(t.device, changeOf(r)).row);
    await time("INSERT: proposed jsonb_populate_recordset in withTenant", () =>
      t.cloud.db.withTenant(t.orgId, (tx) => tx.execute(insertFromJson(tenant.unifiedEventLog, fourth))),
    );
    if (i === 0) bodyBytes = body.length;
    jsonBytes += json.length;
    rows += size;
  }
  if (!print) return;
  console.log(
    `\nstage breakdown, ${batches} batches of ${size} (${rows} rows each stage), in process; ` +
      `body ${(bodyBytes / 1024).toFixed(0)} KiB gzip, ${(jsonBytes / batches / 1024).toFixed(0)} KiB JSON:`,
  );
  const width = Math.max(...[...stages.keys()].map((k) => k.length));
  for (const [name, ms] of stages) {
    console.log(
      `  ${name.padEnd(width)}  ${(ms / batches).toFixed(1).padStart(8)} ms/batch  ${((ms / rows) * 1000).toFixed(1).padStart(7)} us/row`,
    );
  }
}

const changeOf = (r: Record<string, unknown>) => ({
  seq: 1,
  entity: "unified_event_log",
  entity_id: r.event_id,
  op: "insert",
  payload: r,
  recorded_at: r.event_timestamp,
});

/**
 * `INSERT INTO t (cols) SELECT cols FROM jsonb_populate_recordset(NULL::t, $1) ON CONFLICT (pk) DO NOTHING`
 * for rows that all carry the same keys (a full-row upload does); the patch proposed for
 * IngestService.apply, which would group rows by key set first.
 */
export function insertFromJson(table: PgTable, rows: Record<string, unknown>[]): SQL {
  const columns = getTableColumns(table);
  const pk = Object.values(columns).find((c) => c.primary)!;
  const names = Object.keys(rows[0]!).filter((k) => columns[k] && !columns[k].generated);
  const list = sql.raw(names.map((n) => `"${n}"`).join(", "));
  return sql`INSERT INTO ${table} (${list}) SELECT ${list} FROM jsonb_populate_recordset(NULL::${table}, ${JSON.stringify(rows)}::jsonb) ON CONFLICT (${sql.identifier(pk.name)}) DO NOTHING`;
}
