// Retention by record class (docs/retention.md): an organization's periods (lengthened, never shortened
// below the legal minimums), its legal holds, and the job that archives expired data and then deletes
// it: audit rows in small batches, each in its own short transaction, and the hot tables' expired time
// partitions, dropped only once archived and when no organization's period or hold keeps them.
import { eq } from "drizzle-orm";
import type { HoldScope, RecordClass } from "../../shared/enums.js";
import { AppError } from "../../shared/errors.js";
import { PARTITIONED_TABLES, type PartitionedTable } from "../../shared/schema/partitioned.js";
import { organizations } from "../../shared/schema/platform.js";
import { cabinets, chemicalInventory } from "../../shared/schema/tenant.js";
import { type AuditActor, type AuditOrigin, recordAuditEvent } from "../audit/audit-event.js";
import type { BlobStore } from "../blobs/blob-store.js";
import type { Database, Tx } from "../db/database.js";
import { listPartitions, partitionEnd, type RetentionSettings } from "../db/partitions.js";
import { systemEventRepository } from "../security/system-event.repository.js";
import {
  type HoldRow,
  PRUNABLE_TABLES,
  type PrunableTable,
  partitionRepository,
  retentionRepository,
} from "./retention.repository.js";
import { type ArchiveFile, writeArchive } from "./retention-archive.js";
import { checkPeriod, type EffectiveClass, effectivePolicy } from "./retention-policy.js";

const DAY_MS = 86_400_000;

/** The record class of each partitioned table; sessions are not records and are not archived. */
const PARTITION_CLASS: Record<PartitionedTable["table"], RecordClass | null> = {
  event_stream: "event_stream",
  device_telemetry: "device_telemetry",
  system_events: "system_events",
  user_sessions: null,
};

export interface Actor extends AuditActor {
  name: string;
}

export interface RunOptions {
  now?: Date;
  dryRun?: boolean;
  /** One line per step, for the CLI. */
  onProgress?: (line: string) => void;
}

export interface TableRun {
  table: PrunableTable;
  /** Rows archived and deleted (with dryRun: that would be). */
  deleted: number;
  /** Rows past retention kept by a legal hold. */
  held: number;
  archives: ArchiveFile[];
}

export interface OrgRun {
  org_id: string;
  dry_run: boolean;
  tables: TableRun[];
}

export interface PartitionRun {
  dry_run: boolean;
  dropped: string[];
  kept: { partition: string; reason: string }[];
  archives: (ArchiveFile & { org_id: string | null; partition: string })[];
}

export interface RetentionOptions {
  /** Rows per archive file and per deleting transaction. */
  batchSize?: number;
  /** How long a partition drop waits for its table's lock before it tries again next run. */
  lockTimeoutMs?: number;
}

interface OrgKeeps {
  periods: Map<RecordClass, number>;
  holds: HoldRow[];
}

export class RetentionService {
  private readonly batchSize: number;
  private readonly lockTimeoutMs: number;

  constructor(
    private readonly database: Database,
    private readonly blobs: BlobStore,
    /** The platform's periods of the hot tables (LILO_RETENTION_*_DAYS): their defaults and minimums. */
    private readonly platform: RetentionSettings,
    opts: RetentionOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 500;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 2_000;
  }

  policy(orgId: string): Promise<EffectiveClass[]> {
    return this.database.withTenant(orgId, async (tx) =>
      effectivePolicy(this.platform, await retentionRepository.periods(tx)),
    );
  }

  /** Sets a class's period; below its minimum is refused (400) and nothing changes. */
  setPeriod(
    orgId: string,
    actor: Actor,
    recordClass: RecordClass,
    days: number,
    origin?: AuditOrigin,
  ): Promise<EffectiveClass> {
    checkPeriod(this.platform, recordClass, days);
    return this.database.withTenant(orgId, async (tx) => {
      const before = effectivePolicy(this.platform, await retentionRepository.periods(tx));
      const old = before.find((c) => c.record_class === recordClass)!;
      await retentionRepository.setPeriod(tx, recordClass, days, {
        user_id: actor.user_id ?? null,
        name: actor.name,
      });
      await recordAuditEvent(tx, {
        action: "retention_period_set",
        type: "manual",
        category: "system",
        summary: `${recordClass} kept ${days} days (was ${old.effective_days})`,
        actor,
        origin,
        old_values: { record_class: recordClass, days: old.effective_days },
        new_values: { record_class: recordClass, days },
        audit_category: "records_retention",
      });
      const after = effectivePolicy(this.platform, await retentionRepository.periods(tx));
      return after.find((c) => c.record_class === recordClass)!;
    });
  }

  holds(orgId: string, activeOnly: boolean): Promise<HoldRow[]> {
    return this.database.withTenant(orgId, (tx) => retentionRepository.holds(tx, { activeOnly }));
  }

  /** Puts what `scope` names on hold: the organization itself, one of its cabinets or containers. */
  placeHold(
    orgId: string,
    actor: Actor,
    input: { scope_type: HoldScope; scope_id?: string; reason: string },
    origin?: AuditOrigin,
  ): Promise<HoldRow> {
    return this.database.withTenant(orgId, async (tx) => {
      const scopeId = await this.scopeOf(tx, orgId, input.scope_type, input.scope_id);
      const hold = await retentionRepository.placeHold(tx, {
        scope_type: input.scope_type,
        scope_id: scopeId,
        reason: input.reason,
        placed_by: actor.user_id ?? null,
        placed_by_name: actor.name,
      });
      await recordAuditEvent(tx, {
        action: "legal_hold_placed",
        type: "manual",
        category: "system",
        summary: `legal hold placed on ${input.scope_type} ${scopeId}: deletion suspended`,
        actor,
        origin,
        ...holdTarget(hold),
        new_values: holdValues(hold),
        reason: input.reason,
        audit_category: "records_retention",
      });
      return hold;
    });
  }

  releaseHold(
    orgId: string,
    actor: Actor,
    holdId: string,
    reason: string,
    origin?: AuditOrigin,
  ): Promise<HoldRow> {
    return this.database.withTenant(orgId, async (tx) => {
      const existing = await retentionRepository.hold(tx, holdId);
      if (!existing) throw new AppError("not_found", "no such legal hold in this organization");
      const released = await retentionRepository.releaseHold(tx, holdId, {
        released_by: actor.user_id ?? null,
        released_by_name: actor.name,
        release_reason: reason,
      });
      if (!released) throw new AppError("conflict", "this legal hold was already released");
      await recordAuditEvent(tx, {
        action: "legal_hold_released",
        type: "manual",
        category: "system",
        summary: `legal hold on ${released.scope_type} ${released.scope_id} released`,
        actor,
        origin,
        ...holdTarget(released),
        old_values: holdValues(existing),
        new_values: holdValues(released),
        reason,
        audit_category: "records_retention",
      });
      return released;
    });
  }

  /** The organization's expired audit rows: archived a batch at a time, then deleted with the batch. */
  async runOrg(orgId: string, opts: RunOptions = {}): Promise<OrgRun> {
    const now = opts.now ?? new Date();
    const say = opts.onProgress ?? (() => {});
    const tables: TableRun[] = [];
    for (const table of PRUNABLE_TABLES) {
      const held = await this.database.withTenant(orgId, (tx) =>
        retentionRepository.count(tx, table, "held", now),
      );
      const run: TableRun = { table, deleted: 0, held, archives: [] };
      tables.push(run);
      if (opts.dryRun) {
        run.deleted = await this.database.withTenant(orgId, (tx) =>
          retentionRepository.count(tx, table, "expired", now),
        );
        say(
          `${table}: ${run.deleted} rows past retention would be archived and deleted; ${held} kept by legal holds`,
        );
        continue;
      }
      for (;;) {
        const batch = await this.database.withTenant(orgId, (tx) =>
          retentionRepository.expired(tx, table, now, this.batchSize),
        );
        if (batch.length === 0) break;
        const file = await writeArchive(
          this.blobs,
          { owner: orgId, table },
          batch.map((r) => r.row),
        );
        const deleted = await this.database.withTenant(orgId, async (tx) => {
          await retentionRepository.lockOrg(tx);
          const n = await retentionRepository.prune(
            tx,
            table,
            batch.map((r) => r.id),
            file.sha256,
            now,
          );
          if (n > 0) await recordPurge(tx, table, file, n, countClasses(batch));
          return n;
        });
        // Nothing deleted: another instance took the batch, or a hold came in meanwhile.
        if (deleted === 0) break;
        run.deleted += deleted;
        run.archives.push(file);
        say(
          `${table}: archived ${file.rows} rows (${file.bytes} bytes, sha256 ${file.sha256}), deleted ${deleted}; ${run.deleted} so far`,
        );
      }
      say(`${table}: ${run.deleted} rows archived and deleted; ${held} past retention kept by legal holds`);
    }
    return { org_id: orgId, dry_run: Boolean(opts.dryRun), tables };
  }

  /**
   * The hot tables' partitions past the platform's period: each is kept while an organization with
   * rows in it keeps that class longer or holds any of them; otherwise every organization's rows are
   * archived (and the archive recorded in its audit log) before the partition is dropped.
   */
  async runPartitions(opts: RunOptions = {}): Promise<PartitionRun> {
    const now = opts.now ?? new Date();
    const say = opts.onProgress ?? (() => {});
    const report: PartitionRun = { dry_run: Boolean(opts.dryRun), dropped: [], kept: [], archives: [] };
    // Rows of an organization deleted since have no tenant to keep them, nor to record their archive in.
    const known = new Set(await this.orgIds());
    const keeps = new Map<string, OrgKeeps>();
    const keepsOf = async (orgId: string) => {
      let k = keeps.get(orgId);
      if (!k && !known.has(orgId)) k = { periods: new Map(), holds: [] };
      if (!k) {
        k = await this.database.withTenant(orgId, async (tx) => ({
          periods: await retentionRepository.periods(tx),
          holds: await retentionRepository.holds(tx, { activeOnly: true }),
        }));
        keeps.set(orgId, k);
      }
      return k;
    };
    for (const p of PARTITIONED_TABLES) {
      const recordClass = PARTITION_CLASS[p.table];
      const cutoff = now.getTime() - this.platform[p.setting] * DAY_MS;
      const names = await this.database.asOwner((tx) => listPartitions(tx, p));
      const expire = async (name: string): Promise<void> => {
        const end = partitionEnd(p, name);
        if (!end || end.getTime() > cutoff) return;
        if (recordClass) {
          const orgs = await this.database.asOwner((tx) => partitionRepository.orgsIn(tx, name));
          const reason = await this.keeper(p, recordClass, name, end, now, orgs, keepsOf);
          if (reason) {
            report.kept.push({ partition: name, reason });
            say(`${name}: kept (${reason})`);
            return;
          }
          if (opts.dryRun) {
            say(`${name}: would be archived (${orgs.length} organizations) and dropped`);
            report.dropped.push(name);
            return;
          }
          let rows = 0;
          for (const orgId of orgs) {
            for (const file of await this.archivePartition(p, name, orgId, known)) {
              report.archives.push({ ...file, org_id: orgId, partition: name });
              rows += file.rows;
              say(
                `${name}: archived ${file.rows} rows of ${orgId ?? "the platform"} (sha256 ${file.sha256})`,
              );
            }
          }
          // A hold placed while archiving still wins.
          keeps.clear();
          const late = await this.keeper(p, recordClass, name, end, now, orgs, keepsOf);
          if (late) {
            report.kept.push({ partition: name, reason: late });
            say(`${name}: kept (${late})`);
            return;
          }
          if (!(await this.dropArchived(name, rows))) {
            report.kept.push({
              partition: name,
              reason: "busy or changed since archived: tried again next run",
            });
            say(`${name}: not dropped this run (its table was busy, or rows arrived after the archive)`);
            return;
          }
        } else if (opts.dryRun) {
          report.dropped.push(name);
          return;
        } else if (
          !(await this.database.asOwner((tx) => partitionRepository.drop(tx, name, this.lockTimeoutMs)))
        ) {
          return;
        }
        report.dropped.push(name);
        say(`${name}: dropped`);
      };
      for (const name of names) {
        // One partition failing (dropped meanwhile by another instance, a blob store error) stops only itself.
        await expire(name).catch((err: unknown) => {
          const reason = `failed: ${err instanceof Error ? err.message : String(err)}`;
          report.kept.push({ partition: name, reason });
          say(`${name}: ${reason}`);
        });
      }
    }
    return report;
  }

  /** Partitions first, then every organization; one failing organization does not stop the others. */
  async runAll(opts: RunOptions & { onError?: (orgId: string, err: unknown) => void } = {}) {
    const partitions = await this.runPartitions(opts);
    const orgs: OrgRun[] = [];
    for (const org_id of await this.orgIds()) {
      try {
        orgs.push(await this.runOrg(org_id, opts));
      } catch (err) {
        opts.onError?.(org_id, err);
      }
    }
    return { partitions, orgs };
  }

  private async orgIds(): Promise<string[]> {
    const rows = await this.database.asService((tx) =>
      tx.select({ org_id: organizations.org_id }).from(organizations),
    );
    return rows.map((r) => r.org_id);
  }

  /** Why a partition must stay, or undefined when it may go. */
  private async keeper(
    p: PartitionedTable,
    recordClass: RecordClass,
    name: string,
    end: Date,
    now: Date,
    orgs: (string | null)[],
    keepsOf: (orgId: string) => Promise<OrgKeeps>,
  ): Promise<string | undefined> {
    for (const orgId of orgs) {
      if (!orgId) continue;
      const k = await keepsOf(orgId);
      const days = k.periods.get(recordClass) ?? 0;
      if (end.getTime() > now.getTime() - days * DAY_MS)
        return `organization ${orgId} keeps ${recordClass} ${days} days`;
      if (k.holds.some((h) => h.scope_type === "organization")) return `legal hold on organization ${orgId}`;
      const held = {
        cabinets: k.holds.filter((h) => h.scope_type === "cabinet").map((h) => h.scope_id),
        containers: k.holds.filter((h) => h.scope_type === "container").map((h) => h.scope_id),
      };
      if (held.cabinets.length + held.containers.length === 0) continue;
      if (await this.database.asOwner((tx) => partitionRepository.touches(tx, p, name, orgId, held))) {
        return `legal hold on a cabinet or container of organization ${orgId}`;
      }
    }
    return undefined;
  }

  /** One organization's (or the platform's) rows of a partition, archived in batches and recorded. */
  private async archivePartition(
    p: PartitionedTable,
    name: string,
    orgId: string | null,
    known: ReadonlySet<string>,
  ): Promise<ArchiveFile[]> {
    const files: ArchiveFile[] = [];
    let after: { time: string; id: string } | null = null;
    for (;;) {
      const page = await this.database.asOwner((tx) =>
        partitionRepository.rows(tx, p, name, orgId, after, this.batchSize * 10),
      );
      if (page.length === 0) return files;
      after = { time: page.at(-1)!.time, id: page.at(-1)!.id };
      const file = await writeArchive(
        this.blobs,
        { owner: orgId ?? "platform", table: p.table },
        page.map((r) => r.row),
      );
      const details = { partition: name, org_id: orgId, archive: file };
      if (orgId && known.has(orgId)) {
        await this.database.withTenant(orgId, (tx) =>
          recordAuditEvent(tx, {
            action: "retention_archive",
            type: "system",
            category: "system",
            summary: `${file.rows} ${p.table} rows of partition ${name} archived before it is dropped`,
            actor: { name: "retention" },
            details,
            audit_category: "records_retention",
          }),
        );
      } else {
        await this.database.asService((tx) =>
          systemEventRepository.record(tx, {
            event_type: "retention_archive",
            event_category: "system",
            event_data: details,
          }),
        );
      }
      files.push(file);
    }
  }

  /** Drops a partition unless rows arrived since it was archived (a late cabinet upload). */
  private dropArchived(name: string, archived: number): Promise<boolean> {
    return this.database.asOwner(async (tx) => {
      if ((await partitionRepository.lockAndCount(tx, name, this.lockTimeoutMs)) !== archived) return false;
      return partitionRepository.drop(tx, name, this.lockTimeoutMs);
    });
  }

  private async scopeOf(
    tx: Tx,
    orgId: string,
    scope: HoldScope,
    scopeId: string | undefined,
  ): Promise<string> {
    const missing = () => new AppError("not_found", `no such ${scope} in this organization`);
    if (scope === "organization") {
      if (scopeId !== undefined && scopeId !== orgId) throw missing();
      return orgId;
    }
    if (!scopeId) {
      throw new AppError("validation_failed", `a ${scope} hold names the ${scope}`, { scope_id: "required" });
    }
    const found =
      scope === "cabinet"
        ? await tx.select({ id: cabinets.cabinet_id }).from(cabinets).where(eq(cabinets.cabinet_id, scopeId))
        : await tx
            .select({ id: chemicalInventory.container_id })
            .from(chemicalInventory)
            .where(eq(chemicalInventory.container_id, scopeId));
    if (found.length === 0) throw missing();
    return scopeId;
  }
}

function holdTarget(h: HoldRow) {
  return {
    cabinet_id: h.scope_type === "cabinet" ? h.scope_id : null,
    container_id: h.scope_type === "container" ? h.scope_id : null,
  };
}

function holdValues(h: HoldRow) {
  return {
    hold_id: h.hold_id,
    scope_type: h.scope_type,
    scope_id: h.scope_id,
    placed_by_name: h.placed_by_name,
    placed_at: h.placed_at.toISOString(),
    released_by_name: h.released_by_name,
    released_at: h.released_at?.toISOString() ?? null,
  };
}

function countClasses(rows: readonly { record_class: RecordClass }[]): Partial<Record<RecordClass, number>> {
  const out: Partial<Record<RecordClass, number>> = {};
  for (const r of rows) out[r.record_class] = (out[r.record_class] ?? 0) + 1;
  return out;
}

/** The archive's checksum goes into the audit log in the transaction that deletes what it holds. */
function recordPurge(
  tx: Tx,
  table: PrunableTable,
  file: ArchiveFile,
  deleted: number,
  classes: Partial<Record<RecordClass, number>>,
) {
  return recordAuditEvent(tx, {
    action: "retention_purge",
    type: "system",
    category: "system",
    summary: `${deleted} ${table} rows past retention archived (sha256 ${file.sha256}) and deleted`,
    actor: { name: "retention" },
    details: { table, archive: file, deleted, record_classes: classes },
    audit_category: "records_retention",
  });
}
