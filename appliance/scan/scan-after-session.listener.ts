// When a session in which the door was opened ends, the shelves are scanned and the takes and returns
// attributed to the person who opened it.
import type { Logger } from "../../shared/logger.js";
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { ScanService } from "./scan.service.js";

export class ScanAfterSessionListener implements ApplianceListener {
  /** The scan that closes the last session. */
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { bus: EventBus; scans: ScanService; logger: Logger }) {}

  start(): void {
    const { bus, scans, logger } = this.deps;
    bus.on(this, "session.ended", (s) => {
      if (!s.opened) return;
      this.last = scans
        .scan({
          trigger: "motion",
          session_id: s.session_id,
          user: s.user,
          authentication: s.authentication,
        })
        .then((outcome) =>
          bus.emit("scan.completed", { scan_ids: outcome.scan_ids, session_id: s.session_id }),
        )
        .catch((err: unknown) => logger.error({ err, session_id: s.session_id }, "post-session scan failed"));
    });
  }

  stop(): void {
    this.deps.bus.removeOwner(this);
  }

  /**
   * Resolves once the last session's scan is done: the next session waits for it, so shelves are not
   * photographed while someone else has the door open and takes are never pinned on the wrong person.
   */
  settled(): Promise<void> {
    return this.last;
  }
}
