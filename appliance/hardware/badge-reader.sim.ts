import type { Logger } from "../../shared/logger.js";
import type { BadgeReader } from "./badge-reader.js";
import { Listeners, type Unsubscribe } from "./listeners.js";
import type { SimCabinet } from "./sim-cabinet.js";

/** Emits the badges swiped through SimCabinet.swipeBadge(). */
export class SimBadgeReader implements BadgeReader {
  private readonly listeners: Listeners<string>;
  private unsubscribe: Unsubscribe | undefined;

  constructor(
    private readonly cabinet: SimCabinet,
    logger: Logger,
  ) {
    this.listeners = new Listeners(logger, "badge");
  }

  async start(): Promise<void> {
    this.unsubscribe = this.cabinet.onBadge((badge) => this.listeners.emit(badge));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  onBadge(cb: (badge: string) => void): Unsubscribe {
    return this.listeners.add(cb);
  }
}
