// The hourly housekeeping timer of every cloud instance: the coming time partitions, then retention
// (archive, then delete) over the hot tables and every organization, then the rate-limit counters.
// Safe on every instance at once: partition work is serialized by an advisory lock, each deleting
// batch by a per-organization lock, and an archive written twice is the same file.
import type { Logger } from "../../shared/logger.js";
import type { Database } from "../db/database.js";
import { ensurePartitions } from "../db/partitions.js";
import type { RetentionService } from "./retention.service.js";

export class RetentionScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly deps: {
      database: Database;
      retention: RetentionService;
      logger: Logger;
      everyMs: number;
      /** Other hourly pruning (rate-limit counters). */
      alsoPrune?: () => Promise<unknown>;
    },
  ) {}

  /** Creates the partitions the next inserts need, then runs in the background now and every `everyMs`. */
  async start(): Promise<void> {
    await this.deps.database.asOwner((tx) => ensurePartitions(tx));
    void this.run();
    this.timer = setInterval(() => void this.run(), this.deps.everyMs);
    this.timer.unref();
  }

  /** Waits for a run under way, so that the database is not closed under it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  run(): Promise<void> {
    // One run at a time in this process: a slow archive must not overlap the next tick.
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runOnce(): Promise<void> {
    const { database, retention, logger } = this.deps;
    try {
      const created = await database.asOwner((tx) => ensurePartitions(tx));
      const { partitions, orgs } = await retention.runAll({
        onError: (org_id, err) => logger.error({ err, org_id }, "retention failed for an organization"),
      });
      await this.deps.alsoPrune?.();
      const deleted = orgs.reduce((n, o) => n + o.tables.reduce((m, t) => m + t.deleted, 0), 0);
      if (created.length || partitions.dropped.length || partitions.kept.length || deleted) {
        logger.info(
          { created, dropped: partitions.dropped, kept: partitions.kept, audit_rows_deleted: deleted },
          "retention",
        );
      }
    } catch (err) {
      logger.error({ err }, "retention failed");
    }
  }
}
