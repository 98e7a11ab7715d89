// Scans the shelves every `intervalMinutes`, but never while someone has the cabinet open.
import type { Logger } from "../../shared/logger.js";
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { SessionService } from "../session/session.service.js";
import type { ScanService } from "./scan.service.js";

export class ScheduledScanListener implements ApplianceListener {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      scans: ScanService;
      bus: EventBus;
      session: Pick<SessionService, "status">;
      intervalMinutes: number;
      logger: Logger;
    },
  ) {}

  start(): void {
    const { scans, bus, session, intervalMinutes, logger } = this.deps;
    this.timer = setInterval(() => {
      if (session.status().state !== "idle") return;
      void scans
        .scan({ trigger: "scheduled" })
        .then((outcome) => bus.emit("scan.completed", { scan_ids: outcome.scan_ids }))
        .catch((err: unknown) => logger.error({ err }, "scheduled scan failed"));
    }, intervalMinutes * 60_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
