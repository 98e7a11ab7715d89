// After every scan the safety checks run; each alert they raise goes on the bus at once (the live
// channel carries it to the cloud, the touchscreen reads it from the table).
import type { Logger } from "../../shared/logger.js";
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { SafetyCheckService } from "./safety-check.service.js";

export class SafetyAfterScanListener implements ApplianceListener {
  constructor(private readonly deps: { bus: EventBus; checks: SafetyCheckService; logger: Logger }) {}

  start(): void {
    const { bus, checks, logger } = this.deps;
    bus.on(this, "scan.completed", ({ scan_ids }) => {
      for (const alert of checks.afterScan(scan_ids)) {
        logger.warn(
          { alert_id: alert.alert_id, type: alert.alert_type, severity: alert.severity },
          alert.title,
        );
        bus.emit("alert.raised", alert);
        bus.emit("cabinet.event", {
          action: "alert_raised",
          summary: alert.title,
          severity: alert.severity === "critical" ? "critical" : "warning",
          at: alert.detected_at.toISOString(),
        });
      }
    });
  }

  stop(): void {
    this.deps.bus.removeOwner(this);
  }
}
