// Time partitions of the hot tables: created ahead of time, expired by dropping whole partitions (never
// by row-by-row deletes, which would bloat the tables and cost I/O proportional to the data removed);
// the retention job (cloud/retention/) archives a partition and checks holds before it drops one.
import { sql } from "drizzle-orm";
import { PARTITIONED_TABLES, type PartitionedTable } from "../../shared/schema/partitioned.js";
import { PLATFORM_SCHEMA } from "../../shared/schema/platform.js";
import { queryRows, quoteIdent, type Tx } from "./database.js";

/** How long each partitioned table keeps its rows, in days. */
export type RetentionSettings = Record<PartitionedTable["setting"], number>;

export const DEFAULT_RETENTION_DAYS: RetentionSettings = {
  eventStream: 7,
  deviceTelemetry: 30,
  userSessions: 1,
  systemEvents: 7 * 366,
};

const DAY_MS = 86_400_000;
/** Serializes partition maintenance across cloud instances (concurrent CREATE ... PARTITION OF fails). */
const PARTITION_LOCK = 0x4c494c50; // "LILP"
const lockPartitions = (tx: Tx) => tx.execute(sql`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`);

function startOfUnit(d: Date, unit: PartitionedTable["unit"]): Date {
  return unit === "day"
    ? new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
    : new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

function addUnits(d: Date, unit: PartitionedTable["unit"], n: number): Date {
  return unit === "day"
    ? new Date(d.getTime() + n * DAY_MS)
    : new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
}

function partitionName(p: PartitionedTable, start: Date): string {
  const iso = start.toISOString().slice(0, 10).replaceAll("-", "");
  return `${p.table}_p${p.unit === "day" ? iso : iso.slice(0, 6)}`;
}

/** Upper bound of a partition, read back from its name. */
export function partitionEnd(p: PartitionedTable, name: string): Date | undefined {
  const m = new RegExp(`^${p.table}_p(\\d{4})(\\d{2})(\\d{2})?$`).exec(name);
  if (!m) return undefined;
  const start = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, m[3] ? Number(m[3]) : 1));
  return addUnits(start, p.unit, 1);
}

export interface PartitionOptions {
  now?: Date;
  /** Partitions to create after the current one. */
  ahead?: number;
  /** Partitions to create before the current one (late-arriving rows from offline cabinets). */
  behind?: number;
}

export async function ensurePartitions(tx: Tx, opts: PartitionOptions = {}): Promise<string[]> {
  const now = opts.now ?? new Date();
  const created: string[] = [];
  await lockPartitions(tx);
  for (const p of PARTITIONED_TABLES) {
    const current = startOfUnit(now, p.unit);
    const ahead = opts.ahead ?? (p.unit === "day" ? 7 : 3);
    const behind = opts.behind ?? (p.unit === "day" ? 2 : 1);
    const existing = new Set(await listPartitions(tx, p));
    for (let i = -behind; i <= ahead; i++) {
      const start = addUnits(current, p.unit, i);
      const name = partitionName(p, start);
      if (existing.has(name)) continue;
      const end = addUnits(start, p.unit, 1);
      await tx.execute(
        sql.raw(
          `CREATE TABLE IF NOT EXISTS ${PLATFORM_SCHEMA}.${quoteIdent(name)} PARTITION OF ${PLATFORM_SCHEMA}.${p.table}
           FOR VALUES FROM ('${start.toISOString()}') TO ('${end.toISOString()}')`,
        ),
      );
      created.push(name);
    }
  }
  return created;
}

export async function listPartitions(tx: Tx, p: PartitionedTable): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    tx,
    sql`SELECT c.relname AS name FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class parent ON parent.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = parent.relnamespace
        WHERE n.nspname = ${PLATFORM_SCHEMA} AND parent.relname = ${p.table}
        ORDER BY c.relname`,
  );
  return rows.map((r) => r.name);
}
