// A finished post-session or commanded scan is uploaded now rather than at the next upload interval.
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { SyncService } from "./sync.service.js";

export class UploadAfterScanListener implements ApplianceListener {
  constructor(private readonly deps: { bus: EventBus; sync: Pick<SyncService, "kick"> }) {}

  start(): void {
    this.deps.bus.on(this, "scan.completed", () => this.deps.sync.kick());
  }

  stop(): void {
    this.deps.bus.removeOwner(this);
  }
}
