// Data migrations carry rows recorded before them forward: a database at the version before each one,
// rows written as the old code wrote them, then the migration.
import Sqlite from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../shared/migrations.js";
import { fromRoot } from "../../shared/paths.js";
import { migrateLocal } from "./local-database.js";

const CABINET = "0b0e7c0e-4c34-4c8e-9a55-000000000001";

/** A fresh database migrated up to, not including, `version`. */
function databaseBefore(version: string): Sqlite.Database {
  const sqlite = new Sqlite(":memory:");
  sqlite.exec("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
  for (const m of loadMigrations(fromRoot("appliance/db/migrations"))) {
    if (m.version >= version) break;
    for (const statement of m.statements) sqlite.exec(statement);
    sqlite.prepare("INSERT INTO schema_migrations VALUES (?, ?)").run(m.version, new Date().toISOString());
  }
  return sqlite;
}

describe("0004_transaction_source_cabinet", () => {
  it("files returns recorded without a source cabinet, locally and in the outbox, under their cabinet", () => {
    const sqlite = databaseBefore("0004_transaction_source_cabinet");
    const returned = {
      transaction_id: "7a4f3c1e-0000-4000-8000-000000000001",
      container_id: "7a4f3c1e-0000-4000-8000-0000000000c1",
      transaction_type: "return",
      qr_code: "LILO:C:000001",
      user_id: "7a4f3c1e-0000-4000-8000-0000000000a1",
      return_cabinet_id: CABINET,
      return_shelf_level: 2,
      status: "returned",
    };
    const checkout = {
      ...returned,
      transaction_id: "7a4f3c1e-0000-4000-8000-000000000002",
      transaction_type: "checkout",
      return_cabinet_id: null,
      source_cabinet_id: CABINET,
    };
    const lonely = {
      ...returned,
      transaction_id: "7a4f3c1e-0000-4000-8000-000000000003",
      return_cabinet_id: null,
    };
    sqlite.exec("PRAGMA foreign_keys = OFF");
    const insert = sqlite.prepare(
      "INSERT INTO container_transactions (transaction_id, container_id, transaction_type, qr_code, user_id, return_cabinet_id, return_shelf_level, status) VALUES (@transaction_id, @container_id, @transaction_type, @qr_code, @user_id, @return_cabinet_id, @return_shelf_level, @status)",
    );
    insert.run(returned);
    const outbox = sqlite.prepare(
      "INSERT INTO change_log (entity, entity_id, op, payload, recorded_at) VALUES ('container_transactions', ?, 'insert', ?, ?)",
    );
    for (const row of [returned, checkout, lonely])
      outbox.run(row.transaction_id, JSON.stringify(row), new Date().toISOString());

    expect(migrateLocal(sqlite)).toContain("0004_transaction_source_cabinet");

    expect(sqlite.prepare("SELECT source_cabinet_id FROM container_transactions").pluck().get()).toBe(
      CABINET,
    );
    const payloads = sqlite
      .prepare("SELECT payload FROM change_log ORDER BY seq")
      .pluck()
      .all()
      .map((p) => JSON.parse(p as string) as Record<string, unknown>);
    expect(payloads[0]).toEqual({ ...returned, source_cabinet_id: CABINET });
    expect(payloads[1]).toEqual(checkout);
    // Nothing to file it under: left as it was (the cloud refuses it, as it would have before).
    expect(payloads[2]).toEqual(lonely);
    sqlite.close();
  });
});
