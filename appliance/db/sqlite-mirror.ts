// Builds the appliance's SQLite tables from the cloud's tenant tables, so that each entity has one
// definition (shared/schema/tenant.ts). Values keep the JavaScript shapes the PostgreSQL driver returns
// (Date, string for numeric, arrays and objects), so rows move between both sides unchanged.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig } from "drizzle-orm/pg-core";
import {
  check,
  customType,
  index,
  integer,
  type SQLiteColumn,
  type SQLiteColumnBuilderBase,
  type SQLiteTableWithColumns,
  sqliteTable,
  text,
} from "drizzle-orm/sqlite-core";

/** ISO-8601 text keeps instants sortable and readable in the SQLite file. */
const isoTimestamp = customType<{ data: Date; driverData: string }>({
  dataType: () => "text",
  toDriver: (d) => d.toISOString(),
  fromDriver: (s) => new Date(s),
});

function mirrorColumn(col: PgColumn): SQLiteColumnBuilderBase | undefined {
  const name = col.name;
  let b: ReturnType<typeof text> | ReturnType<typeof integer> | ReturnType<typeof isoTimestamp>;
  switch (col.columnType) {
    case "PgCustomColumn":
      return undefined; // tsvector: full-text search is the cloud's job
    case "PgTimestamp":
      b = isoTimestamp(name);
      break;
    case "PgInteger":
    case "PgBigInt53":
      b = integer(name);
      break;
    case "PgBoolean":
      b = integer(name, { mode: "boolean" });
      break;
    case "PgJson":
    case "PgJsonb":
    case "PgArray":
    case "PgPointObject":
      b = text(name, { mode: "json" });
      break;
    case "PgUUID":
    case "PgVarchar":
    case "PgText":
    case "PgDateString":
    case "PgNumeric":
    case "PgInet":
      b = text(name);
      break;
    default:
      throw new Error(`sqlite mirror: no mapping for ${col.columnType} (${name})`);
  }
  if (col.primary) b = b.primaryKey();
  if (col.notNull && !col.primary) b = b.notNull();
  if (col.isUnique) b = b.unique();
  if (col.columnType === "PgUUID" && col.primary) return b.$defaultFn(() => randomUUID());
  if (col.columnType === "PgTimestamp" && col.hasDefault) return b.$defaultFn(() => new Date());
  if (col.hasDefault && col.default !== undefined) return b.default(col.default as never);
  return b;
}

/** The SQLite twin of one pg column at the type level: same JS data, nullability and defaults. */
type MirrorColumn<C extends PgColumn, TTable extends string> = SQLiteColumn<{
  name: C["_"]["name"];
  tableName: TTable;
  dataType: C["_"]["dataType"];
  columnType: "SQLiteCustomColumn";
  data: C["_"]["data"];
  driverParam: unknown;
  notNull: C["_"]["notNull"];
  hasDefault: C["_"]["hasDefault"];
  isPrimaryKey: C["_"]["isPrimaryKey"];
  isAutoincrement: false;
  hasRuntimeDefault: C["_"]["hasRuntimeDefault"];
  enumValues: C["_"]["enumValues"];
  baseColumn: never;
  identity: undefined;
  generated: undefined;
}>;

type MirrorColumns<T extends PgTable, Omit extends string> = {
  [K in Exclude<keyof T["_"]["columns"], Omit>]: T["_"]["columns"][K] extends PgColumn
    ? MirrorColumn<T["_"]["columns"][K], T["_"]["name"]>
    : never;
};

export type SqliteMirror<T extends PgTable, Omit extends string = "tsv"> = SQLiteTableWithColumns<{
  name: T["_"]["name"];
  schema: undefined;
  columns: MirrorColumns<T, Omit>;
  dialect: "sqlite";
}>;

export interface MirrorOptions {
  /** Columns to index on the appliance (the cloud's indexes serve other queries). */
  indexes?: string[][];
  /** Extra CHECK constraints as raw SQLite expressions. */
  checks?: Record<string, string>;
}

/**
 * The SQLite twin of a tenant table: same column names and JS types, the seed's enum CHECKs, no
 * foreign keys (the appliance holds a subset of the tenant's rows, e.g. a transaction may name a cabinet
 * it has never seen).
 */
export function mirrorTable<T extends PgTable>(table: T, opts: MirrorOptions = {}): SqliteMirror<T> {
  const config = getTableConfig(table);
  const columns: Record<string, SQLiteColumnBuilderBase> = {};
  for (const col of config.columns) {
    const mirrored = mirrorColumn(col);
    if (mirrored) columns[col.name] = mirrored;
  }
  const enumChecks = config.columns
    .filter((c) => c.enumValues?.length)
    .map((c) => ({
      name: `${config.name}_${c.name}_check`,
      expr: `"${c.name}" IN (${c.enumValues!.map((v) => `'${v}'`).join(", ")})`,
    }));
  const checks = [
    ...enumChecks,
    ...Object.entries(opts.checks ?? {}).map(([name, expr]) => ({ name, expr })),
  ];
  return sqliteTable(config.name, columns, (t) => [
    ...checks.map((c) => check(c.name, sql.raw(c.expr))),
    ...(opts.indexes ?? []).map((cols) =>
      index(`idx_${config.name}_${cols.join("_")}`).on(
        ...(cols.map((c) => (t as Record<string, SQLiteColumn>)[c]!) as [SQLiteColumn, ...SQLiteColumn[]]),
      ),
    ),
  ]) as unknown as SqliteMirror<T>;
}
