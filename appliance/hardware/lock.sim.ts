import type { LockMode } from "../../shared/enums.js";
import type { Logger } from "../../shared/logger.js";
import { type LockOutput, lockStateFor } from "./lock.js";
import type { SimCabinet } from "./sim-cabinet.js";

/**
 * Simulated relay. It reflects the resulting bolt state into the cabinet so the control API shows
 * what the hardware would do, including the mode-dependent state after toSafeState().
 */
export class SimLockOutput implements LockOutput {
  private energised = false;

  constructor(
    private readonly cabinet: SimCabinet,
    private readonly mode: LockMode,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.writeSync(false);
  }

  async stop(): Promise<void> {}

  async write(energised: boolean): Promise<void> {
    this.writeSync(energised);
  }

  writeSync(energised: boolean): void {
    this.energised = energised;
    this.cabinet.setLock(lockStateFor(this.mode, energised));
    this.logger.debug({ energised }, "lock relay written (sim)");
  }

  isEnergised(): boolean {
    return this.energised;
  }
}
