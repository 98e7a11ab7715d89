import type { Logger } from "../../shared/logger.js";
import { DEFAULT_SYSFS_ROOT, sysfsPinForBcm } from "./gpio-chip.js";
import type { LockOutput } from "./lock.js";
import { exportPin, exportPinSync, writeAttrSync } from "./sysfs-gpio.js";

export interface SysfsLockOutputOptions {
  bcm: number;
  sysfsRoot?: string;
  /** Relay boards that energise on a LOW input. */
  activeLow?: boolean;
  logger: Logger;
}

/**
 * `direction` takes "low"/"high" as *raw* levels (the kernel ignores active_low there), which
 * configures the output and its first level in one write, so the relay never glitches energised.
 */
function rawDirectionDeenergised(activeLow: boolean): "low" | "high" {
  return activeLow ? "high" : "low";
}

export class SysfsLockOutput implements LockOutput {
  private sysfs: number | undefined;

  constructor(private readonly opts: SysfsLockOutputOptions) {}

  private get root(): string {
    return this.opts.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  }

  async start(): Promise<void> {
    const pin = sysfsPinForBcm(this.opts.bcm, { sysfsRoot: this.root, logger: this.opts.logger });
    await exportPin(this.root, pin.sysfs);
    const activeLow = this.opts.activeLow ?? false;
    writeAttrSync(this.root, pin.sysfs, "active_low", activeLow ? "1" : "0");
    writeAttrSync(this.root, pin.sysfs, "direction", rawDirectionDeenergised(activeLow));
    this.sysfs = pin.sysfs;
  }

  async stop(): Promise<void> {
    // Deliberately not unexported: an unexported pin reverts to input and the relay would float.
  }

  async write(energised: boolean): Promise<void> {
    this.writeSync(energised);
  }

  writeSync(energised: boolean): void {
    if (this.sysfs === undefined) {
      // Crash before start(): the pin was never driven, so the hardware already sits de-energised.
      if (!energised) return;
      throw new Error("lock output not started");
    }
    writeAttrSync(this.root, this.sysfs, "value", energised ? "1" : "0");
    this.opts.logger.debug({ energised, sysfs: this.sysfs }, "lock relay written");
  }
}

/** Standalone, synchronous de-energise for ExecStopPost and exit handlers (no started driver needed). */
export function sysfsDeenergiseSync(opts: SysfsLockOutputOptions): void {
  const root = opts.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  const pin = sysfsPinForBcm(opts.bcm, { sysfsRoot: root, logger: opts.logger });
  exportPinSync(root, pin.sysfs);
  const activeLow = opts.activeLow ?? false;
  writeAttrSync(root, pin.sysfs, "active_low", activeLow ? "1" : "0");
  writeAttrSync(root, pin.sysfs, "direction", rawDirectionDeenergised(activeLow));
  writeAttrSync(root, pin.sysfs, "value", "0");
}
