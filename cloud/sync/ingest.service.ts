// Applies a cabinet's change-log batch to its tenant schema exactly once: in one tenant transaction
// that also moves the device's high-water mark, so a resent, duplicated or reordered batch can never
// apply a change twice. Changes are checked first; one bad change rejects the whole batch unchanged.
// A device writes only rows of its own cabinet: every row must be filed under it, and an existing row
// filed under another cabinet is never changed (the upsert's conflict WHERE), which refuses the batch.
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import { deviceChainId } from "../../shared/audit/audit-hash.js";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { AppError, parseInput, validationError } from "../../shared/errors.js";
import * as tenant from "../../shared/schema/tenant.js";
import * as validation from "../../shared/schema/validation.js";
import { Change, type SyncedEntity } from "../../shared/sync/change.js";
import { type Database, pgErrorCode, type Tx } from "../db/database.js";
import { notifyLive } from "../live/live-notify.js";
import { signatureRepository } from "../signatures/signature.repository.js";
import { ingestRepository, primaryKeyOf, type Row } from "./ingest.repository.js";

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
  /** The column that files a row under its cabinet: required, and it must name this device's cabinet. */
  cabinetColumn: string;
  /** Other columns that, when set, must name this device's cabinet. */
  otherCabinetColumns: readonly string[];
  /** The cabinet an existing row is filed under, when not simply `cabinetColumn`. */
  ownerOf?: SQL;
  /** Columns the cabinet owns after creation: an update from the cabinet may change only these. */
  updatable: readonly string[] | "none";
  /** Updatable columns that change only under a condition: the SET value replacing `excluded.<col>`. */
  guarded?: Record<string, SQL>;
  /** The row may name a container (`container_id`): it must be one of this cabinet's. */
  namesContainer: boolean;
}

const alerts = tenant.safetyAlerts;
// A cabinet's only say over an alert after raising it is the technician's acknowledgement of an open
// one; a stale acknowledgement of an alert the cloud has since moved on changes nothing.
const ACKNOWLEDGING = sql`${alerts.status} = 'open' AND excluded."status" = 'acknowledged'`;
const onAcknowledge = (name: string, current: PgColumn) =>
  sql`CASE WHEN ${ACKNOWLEDGING} THEN excluded.${sql.identifier(name)} ELSE ${current} END`;

/** In foreign-key order: containers before the transactions, scans and events that reference them. */
const RULES: Record<SyncedEntity, EntityRule> = {
  chemical_inventory: {
    table: tenant.chemicalInventory,
    schema: validation.ContainerInsert,
    cabinetColumn: "cabinet_id",
    otherCabinetColumns: [],
    // Descriptive fields belong to the cloud (registrations and edits there win); where a container
    // is and whether it is out belongs to the cabinet that sees it. A container never changes cabinet
    // through sync: another cabinet seeing it on its shelf reports an unknown code on its own log.
    updatable: [
      "status",
      "shelf_level",
      "last_detected",
      "last_verified_by_user",
      "last_verified_at",
      "updated_at",
    ],
    namesContainer: false,
  },
  scan_results: {
    table: tenant.scanResults,
    schema: validation.ScanResultInsert,
    cabinetColumn: "cabinet_id",
    otherCabinetColumns: [],
    updatable: "none",
    namesContainer: false,
  },
  container_transactions: {
    table: tenant.containerTransactions,
    schema: validation.TransactionInsert,
    cabinetColumn: "source_cabinet_id",
    otherCabinetColumns: ["return_cabinet_id"],
    // Returns recorded before source_cabinet_id was required carry only the returning cabinet.
    ownerOf: sql`coalesce(${tenant.containerTransactions.source_cabinet_id}, ${tenant.containerTransactions.return_cabinet_id})`,
    // Who took what, and any approval, is fixed once recorded; the cabinet closes the transaction, and
    // adds what its person said at the kiosk about a checkout (purpose, experiment, project).
    updatable: [
      "purpose",
      "experiment_id",
      "project_name",
      "status",
      "actual_return_timestamp",
      "return_cabinet_id",
      "return_shelf_level",
      "quantity_returned",
      "return_condition",
      "return_notes",
      "updated_at",
    ],
    namesContainer: true,
  },
  safety_alerts: {
    table: alerts,
    schema: validation.SafetyAlertInsert,
    cabinetColumn: "cabinet_id",
    otherCabinetColumns: [],
    // Assignment, escalation and resolution are the cloud's.
    updatable: [
      "status",
      "acknowledged_by",
      "acknowledged_at",
      "acknowledged_via",
      "confidence",
      "updated_at",
    ],
    guarded: {
      status: onAcknowledge("status", alerts.status),
      acknowledged_by: onAcknowledge("acknowledged_by", alerts.acknowledged_by),
      acknowledged_at: onAcknowledge("acknowledged_at", alerts.acknowledged_at),
      acknowledged_via: onAcknowledge("acknowledged_via", alerts.acknowledged_via),
    },
    namesContainer: true,
  },
  unified_event_log: {
    table: tenant.unifiedEventLog,
    schema: validation.EventInsert,
    cabinetColumn: "cabinet_id",
    otherCabinetColumns: [],
    updatable: "none",
    namesContainer: true,
  },
};
/** What a cabinet may raise an alert as; the later states are reached in the cloud. */
const RAISED_ALERT_STATUSES = new Set(["open", "acknowledged"]);
const ORDER = Object.keys(RULES) as SyncedEntity[];

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
    const batch = parseInput(UploadBatch, input);
    for (let i = 1; i < batch.changes.length; i++) {
      if (batch.changes[i]!.seq !== batch.changes[i - 1]!.seq + 1) {
        throw new AppError(
          "validation_failed",
          `changes must have consecutive seq numbers (seq ${batch.changes[i]!.seq} follows ${batch.changes[i - 1]!.seq})`,
        );
      }
    }
    const rows = batch.changes.map((change) => this.check(device, change, batch.log_id));

    return this.applyBatch(device, batch.log_id, rows).catch((err: unknown) => {
      throw databaseError(err);
    });
  }

  private applyBatch(device: DeviceIdentity, logId: string, rows: CheckedChange[]): Promise<IngestResult> {
    return this.database.withTenant(device.org_id, async (tx) => {
      const state = await this.lockState(tx, device.device_id, logId);
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
      await this.checkContainers(tx, device, fresh);
      await this.checkPreviousScans(tx, device, fresh);
      for (const entity of ORDER) {
        const ofEntity = fresh.filter((r) => r.entity === entity);
        if (ofEntity.length) await this.apply(tx, device, entity, ofEntity);
      }
      // A cabinet's signatures on controlled-substance accesses join the organization's signatures.
      await signatureRepository.insertFromCabinetEvents(
        tx,
        fresh.filter((r) => r.entity === "unified_event_log").map((r) => r.row),
      );
      const last = fresh.at(-1)!.seq;
      await ingestRepository.advance(tx, device.device_id, last, fresh.length);
      // Live views on every instance hear of the new events and alerts once this commits.
      const idsOf = (entity: SyncedEntity, pk: string) => [
        ...new Set(fresh.filter((r) => r.entity === entity).map((r) => String(r.row[pk]))),
      ];
      const live = { org: device.org_id, cabinet: device.cabinet_id };
      const events = idsOf("unified_event_log", "event_id");
      const raised = idsOf("safety_alerts", "alert_id");
      if (events.length) await notifyLive(tx, { k: "events", ...live, ids: events });
      if (raised.length) await notifyLive(tx, { k: "alerts", ...live, ids: raised });
      return { accepted_through: last, applied: fresh.length, skipped: rows.length - fresh.length };
    });
  }

  /**
   * A safety alert the cabinet sent live (MQTT), before its change log brings it: checked as that change
   * will be and inserted if new. The synced row then finds it by its id and changes only what a cabinet
   * may, so the live and the synced copy are one alert. True when this call stored it.
   */
  async raiseLive(device: DeviceIdentity, payload: Record<string, unknown>): Promise<boolean> {
    const checked = this.check(
      device,
      {
        seq: 1,
        entity: "safety_alerts",
        entity_id: String(payload.alert_id ?? ""),
        op: "insert",
        payload,
        recorded_at: new Date().toISOString(),
      },
      null,
    );
    return this.database
      .withTenant(device.org_id, async (tx) => {
        await this.checkContainers(tx, device, [checked]);
        return (await ingestRepository.insertNew(tx, alerts, [checked.row])) === 1;
      })
      .catch((err: unknown) => {
        throw databaseError(err);
      });
  }

  /** The device's high-water mark, as the appliance asks for it after a restart. */
  async state(device: DeviceIdentity): Promise<{ log_id: string | null; last_seq: number }> {
    const row = await this.database.withTenant(device.org_id, (tx) =>
      ingestRepository.findState(tx, device.device_id),
    );
    return { log_id: row?.log_id ?? null, last_seq: row?.last_seq ?? 0 };
  }

  /** `logId` is null for a change that arrives outside a change log (live over MQTT): it extends no chain. */
  private check(device: DeviceIdentity, change: Change, logId: string | null): CheckedChange {
    const rule = RULES[change.entity];
    const pk = primaryKeyOf(rule.table);
    if (change.payload[pk.name] !== change.entity_id) {
      throw new AppError(
        "validation_failed",
        `change ${change.seq}: payload ${pk.name} does not match entity_id`,
      );
    }
    // A cabinet extends only its own log's hash chain. Rows from before chaining carry none, and any
    // chain not a cabinet's is the cloud's: its trigger links those rows anew.
    const chain = change.entity === "unified_event_log" ? change.payload.chain_id : undefined;
    if (
      typeof chain === "string" &&
      chain.startsWith("device:") &&
      (logId === null || chain !== deviceChainId(logId))
    ) {
      throw new AppError(
        "forbidden",
        `change ${change.seq}: unified_event_log.chain_id must be this change log's chain${logId === null ? "" : ` (${deviceChainId(logId)})`}`,
      );
    }
    const filedUnder = change.payload[rule.cabinetColumn];
    if (filedUnder == null) {
      throw new AppError(
        "forbidden",
        `change ${change.seq}: ${change.entity}.${rule.cabinetColumn} must name this device's cabinet`,
      );
    }
    for (const col of [rule.cabinetColumn, ...rule.otherCabinetColumns]) {
      const value = change.payload[col];
      if (value != null && value !== device.cabinet_id) {
        throw new AppError(
          "forbidden",
          `change ${change.seq}: ${change.entity}.${col} names cabinet ${String(value)}, which is not this device's cabinet`,
        );
      }
    }
    if (
      change.entity === "safety_alerts" &&
      !RAISED_ALERT_STATUSES.has(String(change.payload.status ?? "open"))
    ) {
      throw new AppError(
        "forbidden",
        `change ${change.seq}: a cabinet raises or acknowledges alerts; status ${String(change.payload.status)} is the cloud's to set`,
      );
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

  /** Transactions, alerts and events may name a container only of this cabinet. */
  private async checkContainers(tx: Tx, device: DeviceIdentity, changes: CheckedChange[]): Promise<void> {
    const inBatch = new Set(
      changes.filter((c) => c.entity === "chemical_inventory").map((c) => c.row.container_id),
    );
    const named = new Map<string, number>();
    for (const c of changes) {
      const id = c.row.container_id;
      if (RULES[c.entity].namesContainer && typeof id === "string" && !inBatch.has(id) && !named.has(id))
        named.set(id, c.seq);
    }
    if (named.size === 0) return;
    const foreign = await ingestRepository.findContainerElsewhere(tx, [...named.keys()], device.cabinet_id);
    if (foreign) {
      throw new AppError(
        "forbidden",
        `change ${named.get(foreign)}: container ${foreign} is not in this device's cabinet`,
      );
    }
  }

  /**
   * A scan's previous scan is the same shelf's earlier scan in this cabinet: in this batch or already
   * here. Another cabinet's scan, or one that is not there, would put a stranger's shelf photo in this
   * cabinet's evidence.
   */
  private async checkPreviousScans(tx: Tx, device: DeviceIdentity, changes: CheckedChange[]): Promise<void> {
    const scans = changes.filter((c) => c.entity === "scan_results");
    const shelfOf = new Map(scans.map((c) => [c.row.scan_id as string, c.row.shelf_id as number]));
    const named = scans.filter((c) => typeof c.row.previous_scan_id === "string");
    const outside = [
      ...new Set(named.map((c) => c.row.previous_scan_id as string).filter((id) => !shelfOf.has(id))),
    ];
    if (outside.length)
      for (const s of await ingestRepository.findScansOfCabinet(tx, outside, device.cabinet_id))
        shelfOf.set(s.scan_id, s.shelf_id);
    const wrong = named.find(
      (c) =>
        c.row.previous_scan_id === c.row.scan_id ||
        shelfOf.get(c.row.previous_scan_id as string) !== c.row.shelf_id,
    );
    if (wrong) {
      throw new AppError(
        "forbidden",
        `change ${wrong.seq}: scan_results.previous_scan_id must name an earlier scan of the same shelf of this device's cabinet`,
      );
    }
  }

  private async lockState(tx: Tx, deviceId: string, logId: string) {
    // A log is known by its id: a controller claimed again (new device row, same database) goes on
    // from where its log was; a truly new log starts at 0.
    if (!(await ingestRepository.findState(tx, deviceId))) {
      await ingestRepository.insertState(tx, deviceId, logId, await ingestRepository.lastSeqOfLog(tx, logId));
    }
    const state = (await ingestRepository.lockState(tx, deviceId))!;
    if (state.log_id !== logId) {
      // The cabinet started another change log (its storage was replaced). Rows already applied stay
      // protected by their primary keys.
      const last_seq = await ingestRepository.lastSeqOfLog(tx, logId);
      await ingestRepository.switchLog(tx, deviceId, logId, last_seq);
      return { ...state, log_id: logId, last_seq };
    }
    return state;
  }

  private async apply(
    tx: Tx,
    device: DeviceIdentity,
    entity: SyncedEntity,
    changes: CheckedChange[],
  ): Promise<void> {
    const rule = RULES[entity];
    const pk = primaryKeyOf(rule.table);
    // One statement per entity; a row changed twice in the batch is sent once, in its last state.
    const last = new Map(changes.map((c) => [c.row[pk.name] as string, c]));
    const latest = [...last.values()].map((c) => c.row);
    // Fewer rows written than sent means a conflict with an existing row: a replay of this cabinet's
    // own row is fine, a row of another cabinet is not (and the throw rolls the whole batch back).
    const ensureOwn = async (rows: Row[], written: number) => {
      if (written < rows.length) await this.refuseForeign(tx, device, entity, last, rows);
    };
    if (rule.updatable === "none") {
      for (const group of ingestRepository.insertGroups(rule.table, latest))
        await ensureOwn(group, await ingestRepository.insertNew(tx, rule.table, group));
      return;
    }
    const set = Object.fromEntries(
      rule.updatable.map((name) => [name, rule.guarded?.[name] ?? sql.raw(`excluded."${name}"`)]),
    );
    // The existing row's cabinet decides: the update applies only to a row filed under this one.
    const written = await ingestRepository.upsertOwned(
      tx,
      rule.table,
      latest,
      set,
      ownerOf(rule),
      device.cabinet_id,
    );
    await ensureOwn(latest, written);
  }

  private async refuseForeign(
    tx: Tx,
    device: DeviceIdentity,
    entity: SyncedEntity,
    bySeq: Map<string, CheckedChange>,
    rows: Row[],
  ): Promise<void> {
    const rule = RULES[entity];
    const pk = primaryKeyOf(rule.table);
    const foreign = await ingestRepository.findOwnedElsewhere(
      tx,
      rule.table,
      rows.map((r) => r[pk.name]),
      ownerOf(rule),
      device.cabinet_id,
    );
    if (foreign) {
      throw new AppError(
        "forbidden",
        `change ${bySeq.get(foreign)?.seq}: ${entity} ${foreign} belongs to another cabinet`,
      );
    }
  }
}

interface CheckedChange {
  seq: number;
  entity: SyncedEntity;
  row: Row;
}

function ownerOf(rule: EntityRule): SQL {
  return rule.ownerOf ?? sql`${getTableColumns(rule.table)[rule.cabinetColumn]!}`;
}

/** Constraint failures are the batch's fault: a clear error, never the database's message. */
function databaseError(err: unknown): unknown {
  switch (pgErrorCode(err)) {
    case "23505":
      return new AppError(
        "conflict",
        "a change conflicts with an existing row (a value that must be unique)",
      );
    case "23503":
      return new AppError("validation_failed", "a change refers to a row that does not exist");
    case "23502":
    case "23514":
    case "22001":
    case "22003":
    case "22P02":
      return new AppError("validation_failed", "a change has a value the database does not accept");
    default:
      return err;
  }
}
