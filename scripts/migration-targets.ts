// What `npm run db:generate` turns into SQL migrations, and how drizzle-kit's output is adapted for each.
import { PARTITIONED_TABLES } from "../shared/schema/partitioned.js";

export interface MigrationTarget {
  name: string;
  dir: string;
  dialect: "postgresql" | "sqlite";
  /** Module whose exports are the tables of this target. */
  load: () => Promise<Record<string, unknown>>;
  /** Adapts one drizzle-kit statement to this target. */
  adapt: (statement: string) => string;
}

/** Tenant DDL runs under `SET LOCAL search_path`, so it must not name a schema. */
const unqualify = (s: string) => s.replaceAll('"public".', "");

/** drizzle cannot declare PARTITION BY; the partitioned tables get it here. The schema may exist already. */
function partition(s: string): string {
  if (s.startsWith('CREATE SCHEMA "lilo_platform"')) return 'CREATE SCHEMA IF NOT EXISTS "lilo_platform";\n';
  for (const p of PARTITIONED_TABLES) {
    if (s.startsWith(`CREATE TABLE "lilo_platform"."${p.table}" (`)) {
      return s.replace(/\);\s*$/, `) PARTITION BY RANGE ("${p.column}");\n`);
    }
  }
  return s;
}

export const TARGETS: MigrationTarget[] = [
  {
    name: "platform",
    dir: "cloud/db/migrations/platform",
    dialect: "postgresql",
    load: async () => ({
      ...(await import("../shared/schema/platform.js")),
      ...(await import("../shared/schema/partitioned.js")),
    }),
    adapt: partition,
  },
  {
    name: "tenant",
    dir: "cloud/db/migrations/tenant",
    dialect: "postgresql",
    load: async () => ({ ...(await import("../shared/schema/tenant.js")) }),
    adapt: unqualify,
  },
  {
    name: "appliance",
    dir: "appliance/db/migrations",
    dialect: "sqlite",
    load: async () => ({ ...(await import("../appliance/db/schema.js")) }),
    adapt: (s) => s,
  },
];
