// One handle over PostgreSQL (pg) or embedded PGlite. Every tenant query goes through withTenant().
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { tenantRoleName, tenantSchemaName } from "./names.js";

export type Tx = PgDatabase<PgQueryResultHKT>;

export interface Database {
  readonly kind: "postgres" | "pglite";
  readonly db: Tx;
  /** A transaction as the connecting (migration/owner) role: migrations and bootstrap only. */
  asOwner<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A transaction as lilo_service: platform-level work that spans organizations. */
  asService<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A transaction as the organization's own role, on its own schema only. */
  withTenant<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  databaseUrl?: string;
  /** PGlite data directory; undefined keeps it in memory. */
  dataDir?: string;
  poolSize?: number;
}

export async function connectDatabase(opts: ConnectOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    // An idle client losing its server (restart, failover) must not crash the process; the pool replaces it.
    pool.on("error", () => {});
    await pool.query("select 1");
    return wrap("postgres", drizzlePg({ client: pool }) as unknown as Tx, () => pool.end());
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const client = opts.dataDir ? new PGlite(opts.dataDir) : new PGlite();
  await client.waitReady;
  return wrap("pglite", drizzlePglite({ client }) as unknown as Tx, () => client.close());
}

function wrap(kind: Database["kind"], db: Tx, close: () => Promise<void>): Database {
  return {
    kind,
    db,
    asOwner: (fn) => db.transaction(fn),
    asService: (fn) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`SET LOCAL ROLE lilo_service`);
        await tx.execute(sql`SET LOCAL search_path TO lilo_platform`);
        return fn(tx);
      }),
    withTenant: (orgId, fn) =>
      db.transaction(async (tx) => {
        // Role first: if the org has no role the transaction fails before any query runs.
        await tx.execute(sql.raw(`SET LOCAL ROLE ${quoteIdent(tenantRoleName(orgId))}`));
        await tx.execute(sql.raw(`SET LOCAL search_path TO ${quoteIdent(tenantSchemaName(orgId))}`));
        return fn(tx);
      }),
    close,
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Rows of a raw query; node-postgres and PGlite both answer `{ rows }`. */
export async function queryRows<T>(tx: Tx, query: SQL): Promise<T[]> {
  const result = (await tx.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** The SQLSTATE of a database error, whether thrown by pg, PGlite or wrapped by drizzle. */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}
