// Column helpers shared by the platform and tenant tables.
import { type SQL, sql } from "drizzle-orm";
import { customType, type PgColumn, timestamp } from "drizzle-orm/pg-core";

/** The seed's TIMESTAMP, widened to timestamptz so that devices in other zones agree on instants. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/** `col IN ('a', 'b')` for a CHECK constraint built from one of the enums in `shared/enums.ts`. */
export function inList(column: PgColumn, values: readonly string[]): SQL {
  const list = values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ");
  return sql`${column} IN (${sql.raw(list)})`;
}
