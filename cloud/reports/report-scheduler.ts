// The scheduled-report timer: every sweep, each organization's due schedules are run and e-mailed.
// Every instance sweeps; the row locks of ReportService.runDue (SKIP LOCKED) give each run to one.
import type { Logger } from "../../shared/logger.js";
import { organizations } from "../../shared/schema/platform.js";
import type { Database } from "../db/database.js";
import type { ReportService } from "./report.service.js";

export class ReportScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly deps: {
      database: Database;
      reports: ReportService;
      logger: Logger;
      sweepSeconds: number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.deps.sweepSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep under way, so that no run is left half recorded. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every organization; one failing organization does not stop the others. */
  sweep(now = new Date()): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(now: Date): Promise<void> {
    const { database, reports, logger } = this.deps;
    try {
      const orgs = await database.asService((tx) =>
        tx.select({ org_id: organizations.org_id }).from(organizations),
      );
      for (const { org_id } of orgs) {
        const runs = await reports.runDue(org_id, now).catch((err: unknown) => {
          logger.error({ err, org_id }, "scheduled reports failed");
          return [];
        });
        for (const r of runs) {
          logger.info(
            { org_id, run_id: r.run_id, schedule_id: r.schedule_id, status: r.status },
            "scheduled report run",
          );
        }
      }
    } catch (err) {
      logger.error({ err }, "scheduled reports sweep failed");
    }
  }
}
