// Scans the shelves every `intervalMinutes`, but never while someone has the cabinet open.
import type { Logger } from "../../shared/logger.js";
import type { ApplianceListener } from "../event-bus.js";
import type { SessionService } from "../session/session.service.js";
import type { ScanService } from "./scan.service.js";

export class ScheduledScanListener implements ApplianceListener {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      scans: ScanService;
      session: Pick<SessionService, "status">;
      intervalMinutes: number;
      logger: Logger;
    },
  ) {}

  start(): void {
    const { scans, session, intervalMinutes, logger } = this.deps;
    this.timer = setInterval(() => {
      if (session.status().state !== "idle") return;
      void scans
        .scan({ trigger: "scheduled" })
        .catch((err: unknown) => logger.error({ err }, "scheduled scan failed"));
    }, intervalMinutes * 60_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
