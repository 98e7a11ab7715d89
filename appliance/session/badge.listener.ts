// A badge presented at the reader asks for access; the last decision is kept so that the simulator
// and tests can wait for it.
import type { Logger } from "../../shared/logger.js";
import type { Credential } from "../auth/auth.service.js";
import type { ApplianceListener } from "../event-bus.js";
import type { BadgeReader } from "../hardware/badge-reader.js";
import type { Unsubscribe } from "../hardware/listeners.js";
import type { AccessOutcome } from "./session.service.js";

export class BadgeListener implements ApplianceListener {
  private unsubscribe?: Unsubscribe;
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      badge: BadgeReader;
      access: (credential: Credential) => Promise<AccessOutcome>;
      logger: Logger;
    },
  ) {}

  start(): void {
    const { badge, access, logger } = this.deps;
    this.unsubscribe = badge.onBadge((b) => {
      this.last = access({ badge: b }).catch((err: unknown) => logger.error({ err }, "access failed"));
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Resolves once the last badge has been decided. */
  settled(): Promise<unknown> {
    return this.last;
  }
}
