// The database backends a medium test runs on: embedded PGlite always, and a real PostgreSQL server when
// LILO_TEST_DATABASE_URL names one (CI always does; then an unreachable server fails the run, never skips).
// On the server each test gets a fresh database owned by a non-superuser owner login (CREATEROLE), and the
// code under test connects as a service login that is not a superuser and has neither BYPASSRLS nor
// CREATEROLE, as production does: a policy or grant that only works for a superuser fails here.
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import { connectDatabase, type Database, queryRows } from "../../cloud/db/database.js";
import { ensureGroupRoles, ensureServiceLogin, grantPlatformRoles } from "../../cloud/db/roles.js";

export interface Backend {
  name: "pglite" | "postgres";
  /**
   * A fresh, empty database; `dispose` drops it with the tenant roles its tests created. On the server,
   * `url` is the service login's (DATABASE_URL) and `ownerUrl` the owner's (DATABASE_OWNER_URL).
   */
  create(): Promise<{ database: Database; url?: string; ownerUrl?: string; dispose(): Promise<void> }>;
}

/** A superuser: creates and drops the test databases and, unless CI names its own, the test logins. */
export const serverUrl = process.env.LILO_TEST_DATABASE_URL;

const TEST_PASSWORD = "lilo_test";
/** Set by .ci/run after `lilo cloud db init-roles`; otherwise the logins below are created here. */
const ownerLoginUrl = process.env.LILO_TEST_DATABASE_OWNER_URL;
const serviceLoginUrl = process.env.LILO_TEST_DATABASE_SERVICE_URL;

function withCredentials(base: string, user: string): string {
  const url = new URL(base);
  url.username = user;
  url.password = TEST_PASSWORD;
  return url.toString();
}

const pglite: Backend = {
  name: "pglite",
  async create() {
    const database = await connectDatabase({});
    return { database, dispose: () => database.close() };
  },
};

/** Creates lilo_test_owner and, through the product's own init-roles steps, lilo_test_app; once. */
async function ensureTestLogins(admin: pg.Client): Promise<{ owner: string; service: string }> {
  if (ownerLoginUrl && serviceLoginUrl) return { owner: ownerLoginUrl, service: serviceLoginUrl };
  const owner = withCredentials(serverUrl!, "lilo_test_owner");
  const service = withCredentials(serverUrl!, "lilo_test_app");
  // Roles are cluster-wide and test files run in parallel: one at a time (the lock lives in the admin's database).
  await admin.query("SELECT pg_advisory_lock(1279872084)");
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'lilo_test_app'");
    if (!rowCount) {
      await admin.query(
        `DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lilo_test_owner') THEN
            CREATE ROLE lilo_test_owner LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE PASSWORD '${TEST_PASSWORD}';
          END IF;
        END $$`,
      );
      const database = await connectDatabase({ databaseUrl: owner, poolSize: 1 });
      try {
        await database.asOwner(async (tx) => {
          await ensureGroupRoles(tx);
          await ensureServiceLogin(tx, { name: "lilo_test_app", password: TEST_PASSWORD });
          await grantPlatformRoles(tx, "lilo_test_app");
        });
      } finally {
        await database.close();
      }
    }
  } finally {
    await admin.query("SELECT pg_advisory_unlock(1279872084)");
  }
  return { owner, service };
}

const postgres: Backend = {
  name: "postgres",
  async create() {
    if (!serverUrl) throw new Error("LILO_TEST_DATABASE_URL is not set");
    const name = `lilo_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const logins = await ensureTestLogins(admin);
    const inDatabase = (base: string) => {
      const url = new URL(base);
      url.pathname = `/${name}`;
      return url.toString();
    };
    await admin.query(
      `CREATE DATABASE ${name} OWNER "${decodeURIComponent(new URL(logins.owner).username)}"`,
    );
    const url = inDatabase(logins.service);
    const ownerUrl = inDatabase(logins.owner);
    const database = await connectDatabase({ databaseUrl: url, ownerUrl, poolSize: 4 });
    return {
      database,
      url,
      ownerUrl,
      async dispose() {
        const roles = (
          await queryRows<{ nspname: string }>(
            database.db,
            sql`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'`,
          )
        ).map((x) => x.nspname);
        await database.close();
        await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
        for (const role of roles) await admin.query(`DROP ROLE IF EXISTS "${role}"`);
        await admin.end();
      },
    };
  },
};

/** PGlite always; the real server whenever one is configured. */
export const backends: Backend[] = serverUrl ? [pglite, postgres] : [pglite];

if (!serverUrl) {
  console.warn("LILO_TEST_DATABASE_URL not set: PostgreSQL-server suites run on PGlite only");
}
