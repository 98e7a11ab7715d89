// Opens the appliance's SQLite file (WAL, foreign keys, busy timeout) and applies pending migrations
// on start, each in a transaction.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Sqlite from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { loadMigrations } from "../../shared/migrations.js";
import { fromRoot } from "../../shared/paths.js";
import * as schema from "./schema.js";

export type LocalDb = BetterSQLite3Database<typeof schema>;

export interface LocalDatabase {
  readonly sqlite: Sqlite.Database;
  readonly db: LocalDb;
  /** Runs fn in one SQLite transaction (IMMEDIATE: writers queue instead of failing later). */
  transaction<T>(fn: (db: LocalDb) => T): T;
  close(): void;
}

export function openLocalDatabase(path: string): LocalDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Sqlite(path);
  sqlite.pragma("journal_mode = WAL");
  // FULL: a change acknowledged to a user survives power loss, not only a process crash.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  migrateLocal(sqlite);
  const db = drizzle({ client: sqlite, schema });
  return {
    sqlite,
    db,
    transaction: (fn) => sqlite.transaction(() => fn(db)).immediate(),
    close: () => sqlite.close(),
  };
}

export function migrateLocal(sqlite: Sqlite.Database): string[] {
  sqlite.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
  );
  const done = new Set(
    (sqlite.prepare("SELECT version FROM schema_migrations").all() as { version: string }[]).map(
      (r) => r.version,
    ),
  );
  const applied: string[] = [];
  for (const m of loadMigrations(fromRoot("appliance/db/migrations"))) {
    if (done.has(m.version)) continue;
    sqlite.transaction(() => {
      for (const statement of m.statements) sqlite.exec(statement);
      sqlite
        .prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
        .run(m.version, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}
