import type { Logger } from "../../shared/logger.js";
import { Debouncer } from "./debouncer.js";
import { type DoorSensor, type DoorState, doorStateForLevel, type Level } from "./door-sensor.js";
import { DEFAULT_SYSFS_ROOT, sysfsPinForBcm } from "./gpio-chip.js";
import { Listeners, type Unsubscribe } from "./listeners.js";
import { exportPin, readLevelSync, writeAttrSync } from "./sysfs-gpio.js";

export interface SysfsDoorSensorOptions {
  bcm: number;
  sysfsRoot?: string;
  debounceMs: number;
  /** How often the value file is read. */
  pollMs?: number;
  openLevel?: Level;
  logger: Logger;
}

/**
 * Polls `gpioN/value` instead of waiting for POLLPRI edge interrupts: Node cannot poll(2) for
 * POLLPRI without a native addon (onoff's epoll, tied to /sys/class/gpio), and inotify/fs.watch
 * never fires for sysfs attributes. One 2-byte read every ~20 ms is negligible on a Pi, keeps the
 * driver dependency-free, and lets tests drive it by writing a plain file. `edge=both` is still
 * configured so other tools (and a future interrupt-driven reader) see the intended setup.
 */
export class SysfsDoorSensor implements DoorSensor {
  private readonly listeners: Listeners<DoorState>;
  private debouncer: Debouncer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sysfs = -1;
  private readFailed = false;

  constructor(private readonly opts: SysfsDoorSensorOptions) {
    this.listeners = new Listeners(opts.logger, "door.change");
  }

  private get root(): string {
    return this.opts.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  }

  async start(): Promise<void> {
    const pin = sysfsPinForBcm(this.opts.bcm, { sysfsRoot: this.root, logger: this.opts.logger });
    this.sysfs = pin.sysfs;
    await exportPin(this.root, pin.sysfs);
    writeAttrSync(this.root, pin.sysfs, "direction", "in");
    writeAttrSync(this.root, pin.sysfs, "active_low", "0");
    writeAttrSync(this.root, pin.sysfs, "edge", "both");
    const initial = readLevelSync(this.root, pin.sysfs);
    this.debouncer = new Debouncer(initial, this.opts.debounceMs, (level) => {
      const state = doorStateForLevel(level, this.openLevel);
      this.opts.logger.info({ door: state, level }, "door changed");
      this.listeners.emit(state);
    });
    this.opts.logger.info(
      { door: this.state(), bcm: this.opts.bcm, sysfs: pin.sysfs },
      "door sensor started",
    );
    this.timer = setInterval(() => this.poll(), this.opts.pollMs ?? 20);
  }

  private get openLevel(): Level {
    return this.opts.openLevel ?? 1;
  }

  private poll(): void {
    let level: Level;
    try {
      level = readLevelSync(this.root, this.sysfs);
      this.readFailed = false;
    } catch (err) {
      if (!this.readFailed) this.opts.logger.error({ err }, "door value read failed");
      this.readFailed = true;
      return;
    }
    this.debouncer?.input(level);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.debouncer?.dispose();
  }

  state(): DoorState {
    if (!this.debouncer) throw new Error("door sensor not started");
    return doorStateForLevel(this.debouncer.level, this.openLevel);
  }

  onChange(cb: (state: DoorState) => void): Unsubscribe {
    return this.listeners.add(cb);
  }
}
