// After every scan, keeps the shelf images on disk within their quota (appliance/scan/evidence.store.ts).
import type { Logger } from "../../shared/logger.js";
import type { LocalDatabase } from "../db/local-database.js";
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { EvidenceStore } from "./evidence.store.js";

export class EvidenceRetentionListener implements ApplianceListener {
  constructor(
    private readonly deps: { bus: EventBus; local: LocalDatabase; evidence: EvidenceStore; logger: Logger },
  ) {}

  start(): void {
    const { bus, local, evidence, logger } = this.deps;
    bus.on(this, "scan.completed", () => {
      const pruned = local.transaction((db) => evidence.prune(db));
      if (pruned.removedBeforeUpload)
        logger.warn(pruned, "shelf images removed before they reached the cloud: disk over the hard cap");
      else if (pruned.removed) logger.info(pruned, "old shelf images removed");
    });
  }

  stop(): void {
    this.deps.bus.removeOwner(this);
  }
}
