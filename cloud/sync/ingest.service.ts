// Applies a cabinet's change-log batch to its tenant schema exactly once: in one tenant transaction
// that also moves the device's high-water mark, so a resent, duplicated or reordered batch can never
// apply a change twice. Changes are checked first; one bad change rejects the whole batch unchanged.
import { eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import { AppError, validationError } from "../../shared/errors.js";
import * as tenant from "../../shared/schema/tenant.js";
import * as validation from "../../shared/schema/validation.js";
import { Change, type SyncedEntity } from "../../shared/sync/change.js";
import type { Database, Tx } from "../db/database.js";
import type { DeviceIdentity } from "../devices/provisioning.service.js";

export const MAX_BATCH_CHANGES = 1000;

export const UploadBatch = z.object({
  log_id: z.uuid(),
  changes: z.array(Change).min(1).max(MAX_BATCH_CHANGES, `at most ${MAX_BATCH_CHANGES} changes per batch`),
});
export type UploadBatch = z.infer<typeof UploadBatch>;

export interface IngestResult {
  accepted_through: number;
  applied: number;
  skipped: number;
}

interface EntityRule {
  table: PgTable;
  schema: z.ZodType;
  /** Columns the cabinet owns after creation: an update from the cabinet may change only these. */
  updatable: readonly string[] | "all" | "none";
  /** Columns that must name this device's cabinet when present. */
  cabinetColumns: readonly string[];
}

/** In foreign-key order: containers before the transactions, scans and events that reference them. */
const RULES: Record<SyncedEntity, EntityRule> = {
  chemical_inventory: {
    table: tenant.chemicalInventory,
    schema: validation.ContainerInsert,
    // Descriptive fields belong to the cloud (registrations and edits there win); where a container
    // is and whether it is out belongs to the cabinet that sees it.
    updatable: [
      "status",
      "shelf_level",
      "last_detected",
      "last_verified_by_user",
      "last_verified_at",
      "updated_at",
    ],
    cabinetColumns: ["cabinet_id"],
  },
  scan_results: {
    table: tenant.scanResults,
    schema: validation.ScanResultInsert,
    updatable: "none",
    cabinetColumns: ["cabinet_id"],
  },
  container_transactions: {
    table: tenant.containerTransactions,
    schema: validation.TransactionInsert,
    updatable: "all",
    cabinetColumns: ["source_cabinet_id", "return_cabinet_id"],
  },
  safety_alerts: {
    table: tenant.safetyAlerts,
    schema: validation.SafetyAlertInsert,
    // Detection and the technician's acknowledgement come from the cabinet; assignment, escalation
    // and resolution are the cloud's.
    updatable: [
      "status",
      "acknowledged_by",
      "acknowledged_at",
      "acknowledged_via",
      "confidence",
      "updated_at",
    ],
    cabinetColumns: ["cabinet_id"],
  },
  unified_event_log: {
    table: tenant.unifiedEventLog,
    schema: validation.EventInsert,
    updatable: "none",
    cabinetColumns: ["cabinet_id"],
  },
};
const ORDER = Object.keys(RULES) as SyncedEntity[];

function primaryKeyOf(table: PgTable): PgColumn {
  return Object.values(getTableColumns(table)).find((c) => c.primary)!;
}

/** JSON carries timestamps as ISO strings; the schema wants Dates. */
function decodePayload(table: PgTable, payload: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const columns = getTableColumns(table);
  for (const [key, value] of Object.entries(payload)) {
    const col = columns[key];
    if (!col || col.generated) continue;
    out[key] = col.columnType === "PgTimestamp" && typeof value === "string" ? new Date(value) : value;
  }
  return out;
}

export class IngestService {
  constructor(private readonly database: Database) {}

  async ingest(device: DeviceIdentity, input: unknown): Promise<IngestResult> {
    const parsed = UploadBatch.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error.issues);
    const batch = parsed.data;
    for (let i = 1; i < batch.changes.length; i++) {
      if (batch.changes[i]!.seq !== batch.changes[i - 1]!.seq + 1) {
        throw new AppError(
          "validation_failed",
          `changes must have consecutive seq numbers (seq ${batch.changes[i]!.seq} follows ${batch.changes[i - 1]!.seq})`,
        );
      }
    }
    const rows = batch.changes.map((change) => this.check(device, change));

    return this.database.withTenant(device.org_id, async (tx) => {
      const state = await this.lockState(tx, device.device_id, batch.log_id);
      const fresh = rows.filter((r) => r.seq > state.last_seq);
      if (fresh.length === 0) return { accepted_through: state.last_seq, applied: 0, skipped: rows.length };
      if (fresh[0]!.seq !== state.last_seq + 1) {
        throw new AppError(
          "conflict",
          `out of order: expected seq ${state.last_seq + 1}, got ${fresh[0]!.seq}`,
          {
            expected_seq: String(state.last_seq + 1),
          },
        );
      }
      for (const entity of ORDER) {
        const ofEntity = fresh.filter((r) => r.entity === entity);
        if (ofEntity.length)
          await this.apply(
            tx,
            entity,
            ofEntity.map((r) => r.row),
          );
      }
      const last = fresh.at(-1)!.seq;
      await tx
        .update(tenant.deviceSyncState)
        .set({
          last_seq: last,
          changes_applied: sql`${tenant.deviceSyncState.changes_applied} + ${fresh.length}`,
          updated_at: new Date(),
        })
        .where(eq(tenant.deviceSyncState.device_id, device.device_id));
      return { accepted_through: last, applied: fresh.length, skipped: rows.length - fresh.length };
    });
  }

  /** The device's high-water mark, as the appliance asks for it after a restart. */
  async state(device: DeviceIdentity): Promise<{ log_id: string | null; last_seq: number }> {
    const [row] = await this.database.withTenant(device.org_id, (tx) =>
      tx.select().from(tenant.deviceSyncState).where(eq(tenant.deviceSyncState.device_id, device.device_id)),
    );
    return { log_id: row?.log_id ?? null, last_seq: row?.last_seq ?? 0 };
  }

  private check(device: DeviceIdentity, change: Change) {
    const rule = RULES[change.entity];
    const pk = primaryKeyOf(rule.table);
    if (change.payload[pk.name] !== change.entity_id) {
      throw new AppError(
        "validation_failed",
        `change ${change.seq}: payload ${pk.name} does not match entity_id`,
      );
    }
    for (const col of rule.cabinetColumns) {
      const value = change.payload[col];
      if (value != null && value !== device.cabinet_id) {
        throw new AppError(
          "forbidden",
          `change ${change.seq}: ${change.entity}.${col} names cabinet ${String(value)}, which is not this device's cabinet`,
        );
      }
    }
    const row = decodePayload(rule.table, change.payload);
    const valid = rule.schema.safeParse(row);
    if (!valid.success) {
      const e = validationError(valid.error.issues);
      throw new AppError(
        "validation_failed",
        `change ${change.seq} (${change.entity}): ${e.message}`,
        e.fields,
      );
    }
    return { seq: change.seq, entity: change.entity, row: valid.data as Record<string, unknown> };
  }

  private async lockState(tx: Tx, deviceId: string, logId: string) {
    const t = tenant.deviceSyncState;
    // A log is known by its id: a controller claimed again (new device row, same database) goes on
    // from where its log was; a truly new log starts at 0.
    const knownLast = async () => {
      const [row] = await tx
        .select({ last_seq: sql<number>`coalesce(max(${t.last_seq}), 0)`.mapWith(Number) })
        .from(t)
        .where(eq(t.log_id, logId));
      return row?.last_seq ?? 0;
    };
    const [exists] = await tx.select({ id: t.device_id }).from(t).where(eq(t.device_id, deviceId));
    if (!exists) {
      await tx
        .insert(t)
        .values({ device_id: deviceId, log_id: logId, last_seq: await knownLast() })
        .onConflictDoNothing();
    }
    const [state] = await tx.select().from(t).where(eq(t.device_id, deviceId)).for("update");
    if (state!.log_id !== logId) {
      // The cabinet started another change log (its storage was replaced). Rows already applied stay
      // protected by their primary keys.
      const last_seq = await knownLast();
      await tx
        .update(t)
        .set({ log_id: logId, last_seq, updated_at: new Date() })
        .where(eq(t.device_id, deviceId));
      return { ...state!, log_id: logId, last_seq };
    }
    return state!;
  }

  private async apply(tx: Tx, entity: SyncedEntity, rows: Record<string, unknown>[]): Promise<void> {
    const rule = RULES[entity];
    const pk = primaryKeyOf(rule.table);
    // One statement per entity; a row changed twice in the batch is sent once, in its last state.
    const latest = [...new Map(rows.map((r) => [r[pk.name], r])).values()];
    if (rule.updatable === "none" && jsonInsertable(rule.table)) {
      // The hot path (events): the batch travels as one jsonb parameter. Building a 30-column,
      // 1000-row INSERT through the query builder cost more than executing it (bench:ingest).
      for (const group of byKeySet(latest)) await tx.execute(insertFromJson(rule.table, pk, group));
      return;
    }
    const insert = tx.insert(rule.table).values(latest as never);
    if (rule.updatable === "none") {
      await insert.onConflictDoNothing({ target: pk });
      return;
    }
    const columns =
      rule.updatable === "all"
        ? Object.values(getTableColumns(rule.table))
            .filter((c) => !c.primary && !c.generated)
            .map((c) => c.name)
        : rule.updatable;
    const set = Object.fromEntries(columns.map((name) => [name, sql.raw(`excluded."${name}"`)]));
    await insert.onConflictDoUpdate({ target: pk, set });
  }
}

/** Column types that jsonb_populate_recordset reads from JSON exactly as the driver would write them. */
const JSON_SAFE = new Set([
  "PgUUID",
  "PgTimestamp",
  "PgVarchar",
  "PgText",
  "PgInteger",
  "PgBoolean",
  "PgJsonb",
  "PgJson",
  "PgInet",
  "PgNumeric",
  "PgBigInt53",
  "PgDateString",
]);
const jsonSafe = new WeakMap<PgTable, boolean>();

function jsonInsertable(table: PgTable): boolean {
  let ok = jsonSafe.get(table);
  if (ok === undefined) {
    ok = Object.values(getTableColumns(table)).every((c) => c.generated || JSON_SAFE.has(c.columnType));
    jsonSafe.set(table, ok);
  }
  return ok;
}

/** Rows grouped by the columns they carry, so that an absent column still gets its default. */
function byKeySet(rows: Record<string, unknown>[]): Record<string, unknown>[][] {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const row of rows) {
    const key = Object.keys(row)
      .filter((k) => row[k] !== undefined)
      .sort()
      .join(",");
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

function insertFromJson(table: PgTable, pk: PgColumn, rows: Record<string, unknown>[]): SQL {
  const columns = getTableColumns(table);
  const first = rows[0]!;
  const names = Object.keys(first).filter(
    (k) => first[k] !== undefined && columns[k] && !columns[k].generated,
  );
  const list = sql.raw(names.map((n) => `"${n}"`).join(", "));
  return sql`INSERT INTO ${table} (${list}) SELECT ${list} FROM jsonb_populate_recordset(NULL::${table}, ${JSON.stringify(rows)}::jsonb) ON CONFLICT (${sql.identifier(pk.name)}) DO NOTHING`;
}
