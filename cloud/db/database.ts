// One handle over PostgreSQL (pg) or embedded PGlite. Every tenant query goes through withTenant() (or,
// inside a platform or owner transaction, withinTenant() or withinTenantAsOwner()).
import { mkdirSync } from "node:fs";
import { type SQL, sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import { tenantRoleName, tenantSchemaName } from "./names.js";

export type Tx = PgDatabase<PgQueryResultHKT>;

/** Who the service connection logs in as, and whether it is kept apart from the owner. */
export interface ServiceLogin {
  name: string;
  superuser: boolean;
  bypassRls: boolean;
  createRole: boolean;
  /** The owner (migrations, org creation) connects as another login; false in the single-URL fallback. */
  separate: boolean;
}

export interface Database {
  readonly kind: "postgres" | "pglite";
  /** The service login's own connection; with separate roles it holds no table privileges by itself. */
  readonly db: Tx;
  readonly serviceLogin: ServiceLogin;
  /** A transaction on the owner connection: migrations, org creation (DDL, roles) and partitions only. */
  asOwner<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A transaction as lilo_service: platform-level work that spans organizations. */
  asService<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A transaction as the organization's own role, on its own schema only. */
  withTenant<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * LISTENs on `channel` over one dedicated connection (re-opened if it drops) and hands every
   * notification's payload to `onNotify`; resolves to the function that stops listening.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** The service login: not a superuser, no BYPASSRLS or CREATEROLE, NOINHERIT (`lilo cloud db init-roles`). */
  databaseUrl?: string;
  /** The owner login that runs migrations and creates organizations; without it the service URL is both. */
  ownerUrl?: string;
  /** PGlite data directory; undefined keeps it in memory. */
  dataDir?: string;
  poolSize?: number;
}

export class DatabaseRoleError extends Error {}

export async function connectDatabase(opts: ConnectOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const service = openPool(opts.databaseUrl, opts.poolSize ?? 10);
    const owner = opts.ownerUrl && opts.ownerUrl !== opts.databaseUrl ? openPool(opts.ownerUrl, 2) : service;
    const close = async () => {
      await service.end();
      if (owner !== service) await owner.end();
    };
    try {
      const login = await loginOf(service);
      const ownerName = owner === service ? login.name : (await loginOf(owner)).name;
      const serviceLogin = { ...login, separate: ownerName !== login.name };
      if (serviceLogin.separate && (login.superuser || login.bypassRls || login.createRole)) {
        throw new DatabaseRoleError(
          `DATABASE_URL logs in as "${login.name}", which is a superuser or has BYPASSRLS or CREATEROLE: ` +
            "the service login must have none of them (create it with `lilo cloud db init-roles`)",
        );
      }
      const databaseUrl = opts.databaseUrl;
      return wrap(
        "postgres",
        serviceLogin,
        drizzlePg({ client: service }) as unknown as Tx,
        drizzlePg({ client: owner }) as unknown as Tx,
        close,
        (channel, onNotify) => listenPg(databaseUrl, channel, onNotify),
      );
    } catch (err) {
      await close();
      throw err;
    }
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  // Loaded only here: a command run against PostgreSQL does not pay for loading the embedded database.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
  ]);
  const client = opts.dataDir ? new PGlite(opts.dataDir) : new PGlite();
  await client.waitReady;
  const db = drizzlePglite({ client }) as unknown as Tx;
  // PGlite is embedded and single-user (a superuser): the role separation applies to PostgreSQL servers.
  const serviceLogin = {
    name: "postgres",
    superuser: true,
    bypassRls: true,
    createRole: true,
    separate: false,
  };
  return wrap(
    "pglite",
    serviceLogin,
    db,
    db,
    () => client.close(),
    async (channel, onNotify) => {
      const unlisten = await client.listen(channel, onNotify);
      return () => unlisten();
    },
  );
}

/** A loud warning when the service connects as a login that row-level security does not bind. */
export function serviceLoginWarning(database: Database): string | undefined {
  const login = database.serviceLogin;
  if (database.kind !== "postgres" || !(login.superuser || login.bypassRls)) return undefined;
  return (
    `DATABASE_URL logs in as "${login.name}", which ${login.superuser ? "is a superuser" : "has BYPASSRLS"}: ` +
    "tenant isolation rests on SET ROLE alone. In production set DATABASE_OWNER_URL and give DATABASE_URL " +
    "a service login (`lilo cloud db init-roles`)"
  );
}

function openPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client losing its server (restart, failover) must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return pool;
}

const RELISTEN_MS = 1_000;

/**
 * A pg.Client of its own (never a pooled one: LISTEN belongs to a session) that reconnects when the
 * server goes away. Notifications sent while it is reconnecting are lost: live views are best effort.
 */
async function listenPg(
  url: string,
  channel: string,
  onNotify: (payload: string) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    const again = () => {
      if (stopped || client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      retry = setTimeout(() => void connect().catch(again), RELISTEN_MS);
    };
    client = c;
    c.on("error", again);
    c.on("end", again);
    c.on("notification", (n) => {
      if (n.channel === channel && n.payload !== undefined) onNotify(n.payload);
    });
    await c.connect();
    await c.query(`LISTEN ${quoteIdent(channel)}`);
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

async function loginOf(pool: pg.Pool): Promise<Omit<ServiceLogin, "separate">> {
  const { rows } = await pool.query<{
    name: string;
    superuser: boolean;
    bypass: boolean;
    createrole: boolean;
  }>(
    `SELECT rolname AS name, rolsuper AS superuser, rolbypassrls AS bypass, rolcreaterole AS createrole
       FROM pg_roles WHERE rolname = session_user`,
  );
  const r = rows[0]!;
  return { name: r.name, superuser: r.superuser, bypassRls: r.bypass, createRole: r.createrole };
}

function wrap(
  kind: Database["kind"],
  serviceLogin: ServiceLogin,
  db: Tx,
  ownerDb: Tx,
  close: () => Promise<void>,
  listen: Database["listen"],
): Database {
  return {
    kind,
    db,
    serviceLogin,
    listen,
    asOwner: (fn) => ownerDb.transaction(fn),
    asService: (fn) =>
      db.transaction(async (tx) => {
        await enterService(tx);
        return fn(tx);
      }),
    withTenant: (orgId, fn) =>
      db.transaction(async (tx) => {
        await enterTenant(tx, orgId);
        return fn(tx);
      }),
    close,
  };
}

async function enterService(tx: Tx): Promise<void> {
  await tx.execute(sql`SET LOCAL ROLE lilo_service`);
  await tx.execute(sql`SET LOCAL search_path TO lilo_platform`);
}

async function enterTenant(tx: Tx, orgId: string): Promise<void> {
  // Role first: if the org has no role the transaction fails before any query runs.
  await tx.execute(sql.raw(`SET LOCAL ROLE ${quoteIdent(tenantRoleName(orgId))}`));
  await tx.execute(sql.raw(`SET LOCAL search_path TO ${quoteIdent(tenantSchemaName(orgId))}`));
}

/**
 * Inside an asService() transaction: runs `fn` as the organization's role on its schema, then returns
 * to lilo_service. For the one platform flow (a device claim) that must change platform rows and the
 * tenant's cabinet atomically; lilo_service itself has no rights in any tenant schema.
 */
export async function withinTenant<T>(tx: Tx, orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await enterTenant(tx, orgId);
  const result = await fn(tx);
  await enterService(tx);
  return result;
}

/**
 * Inside an asOwner() transaction: runs `fn` with the organization's schema as the search_path, then
 * returns to the owner's default. The one way to do tenant work as the owner (migrating a tenant's
 * schema); everything else reaches a tenant through withTenant() or withinTenant(), as its role.
 */
export async function withinTenantAsOwner<T>(tx: Tx, orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await tx.execute(sql.raw(`SET LOCAL search_path TO ${quoteIdent(tenantSchemaName(orgId))}`));
  const result = await fn(tx);
  await tx.execute(sql`SET LOCAL search_path TO DEFAULT`);
  return result;
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
