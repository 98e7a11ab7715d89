// The database backends a medium test runs on: embedded PGlite always, and a real PostgreSQL server when
// LILO_TEST_DATABASE_URL names one (CI always does; then an unreachable server fails the run, never skips).
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import { connectDatabase, type Database, queryRows } from "../../cloud/db/database.js";

export interface Backend {
  name: "pglite" | "postgres";
  /** A fresh, empty database; `dispose` drops it with the tenant roles its tests created. */
  create(): Promise<{ database: Database; url?: string; dispose(): Promise<void> }>;
}

export const serverUrl = process.env.LILO_TEST_DATABASE_URL;

const pglite: Backend = {
  name: "pglite",
  async create() {
    const database = await connectDatabase({});
    return { database, dispose: () => database.close() };
  },
};

const postgres: Backend = {
  name: "postgres",
  async create() {
    if (!serverUrl) throw new Error("LILO_TEST_DATABASE_URL is not set");
    const name = `lilo_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const database = await connectDatabase({ databaseUrl: url.toString(), poolSize: 4 });
    return {
      database,
      url: url.toString(),
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
