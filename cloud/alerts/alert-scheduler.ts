// The cloud's alert timers: the notification and escalation sweep, and the daily safety rules. Every
// instance runs both; the database makes them safe together (row locks, alert ids from the condition).
import type { Logger } from "../../shared/logger.js";
import { organizations } from "../../shared/schema/platform.js";
import type { Database } from "../db/database.js";
import type { AlertService } from "./alert.service.js";
import type { AlertNotifier } from "./alert-notifier.service.js";

export class AlertScheduler {
  private sweepTimer?: NodeJS.Timeout;
  private rulesTimer?: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      database: Database;
      alerts: AlertService;
      notifier: AlertNotifier;
      logger: Logger;
      sweepSeconds: number;
      rulesEveryHours: number;
    },
  ) {}

  start(): void {
    const { sweepSeconds, rulesEveryHours } = this.deps;
    this.sweepTimer = setInterval(() => void this.sweep(), sweepSeconds * 1000);
    this.sweepTimer.unref();
    this.rulesTimer = setInterval(() => void this.runRules(), rulesEveryHours * 3_600_000);
    this.rulesTimer.unref();
    void this.runRules();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    clearInterval(this.rulesTimer);
  }

  async sweep(): Promise<void> {
    try {
      await this.deps.notifier.sweepAll();
    } catch (err) {
      this.deps.logger.error({ err }, "alert sweep failed");
    }
  }

  /** The rules over every organization; one failing organization does not stop the others. */
  async runRules(): Promise<void> {
    const { database, alerts, logger } = this.deps;
    try {
      const orgs = await database.asService((tx) =>
        tx.select({ org_id: organizations.org_id }).from(organizations),
      );
      for (const { org_id } of orgs) {
        const raised = await alerts.runRules(org_id).catch((err: unknown) => {
          logger.error({ err, org_id }, "safety rules failed");
          return [];
        });
        if (raised.length) logger.info({ org_id, raised: raised.length }, "safety rules raised alerts");
      }
    } catch (err) {
      logger.error({ err }, "safety rules failed");
    }
  }
}
