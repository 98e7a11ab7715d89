import type { LockMode } from "../../shared/enums.js";
import type { Logger } from "../../shared/logger.js";
import type { DoorSensor, DoorState } from "./door-sensor.js";
import { Listeners, type Unsubscribe } from "./listeners.js";
import { energisedFor, type Lock, type LockOutput, type LockState, lockStateFor } from "./lock.js";

export interface LockControllerOptions {
  output: LockOutput;
  /** Needed for relock-on-close and the door-ajar alarm; without it relock is purely timed. */
  door?: DoorSensor;
  mode: LockMode;
  /** Relock this long after an unlock; 0 disables. */
  autoRelockMs: number;
  /** Raise "ajar" when the door stays open this long; 0 disables. */
  ajarAlarmMs: number;
  logger: Logger;
}

export interface DoorAjarEvent {
  /** true when the alarm starts, false when the door finally closes. */
  ajar: boolean;
  openMs: number;
}

/**
 * The one place that knows lock semantics: maps locked/unlocked onto the relay level for the
 * configured mode, relocks after an unlock, and raises the door-ajar alarm. Drivers only move the
 * relay.
 */
export class LockController implements Lock {
  private current: LockState = "locked";
  private readonly changes: Listeners<LockState>;
  private readonly ajarListeners: Listeners<DoorAjarEvent>;
  private relockTimer: NodeJS.Timeout | undefined;
  private relockOnClose = false;
  private ajarTimer: NodeJS.Timeout | undefined;
  private ajarRaised = false;
  private doorOpenedAt: number | undefined;
  private unsubscribeDoor: Unsubscribe | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Bumped by toSafeState() so a lock()/unlock() still in flight cannot overwrite the safe state. */
  private epoch = 0;

  constructor(private readonly opts: LockControllerOptions) {
    this.changes = new Listeners(opts.logger, "lock.change");
    this.ajarListeners = new Listeners(opts.logger, "door.ajar");
  }

  async start(): Promise<void> {
    await this.opts.output.start();
    // Normal operation starts locked in both modes; the mode only decides what "unpowered" means.
    await this.lock();
    const door = this.opts.door;
    if (door) {
      this.unsubscribeDoor = door.onChange((s) => this.onDoor(s));
      if (door.state() === "open") this.onDoor("open");
    }
  }

  async stop(): Promise<void> {
    this.unsubscribeDoor?.();
    this.unsubscribeDoor = undefined;
    clearTimeout(this.ajarTimer);
    await this.chain;
    this.toSafeState();
    await this.opts.output.stop();
  }

  state(): LockState {
    return this.current;
  }

  lock(): Promise<void> {
    return this.enqueue(async () => {
      this.cancelRelock();
      const epoch = this.epoch;
      await this.opts.output.write(energisedFor(this.opts.mode, "locked"));
      if (epoch !== this.epoch) throw new Error("lock() superseded by toSafeState()");
      this.set("locked");
    });
  }

  unlock(): Promise<void> {
    return this.enqueue(async () => {
      this.cancelRelock();
      const epoch = this.epoch;
      await this.opts.output.write(energisedFor(this.opts.mode, "unlocked"));
      if (epoch !== this.epoch) throw new Error("unlock() superseded by toSafeState()");
      this.set("unlocked");
      if (this.opts.autoRelockMs > 0) {
        this.relockTimer = setTimeout(() => this.relockDue(), this.opts.autoRelockMs);
      }
    });
  }

  toSafeState(): void {
    this.epoch++;
    this.cancelRelock();
    this.opts.output.writeSync(false);
    this.set(lockStateFor(this.opts.mode, false));
  }

  onChange(cb: (state: LockState) => void): Unsubscribe {
    return this.changes.add(cb);
  }

  onAjar(cb: (event: DoorAjarEvent) => void): Unsubscribe {
    return this.ajarListeners.add(cb);
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private set(state: LockState): void {
    if (state === this.current) return;
    this.current = state;
    this.opts.logger.info({ lock: state, mode: this.opts.mode }, "lock state");
    this.changes.emit(state);
  }

  private cancelRelock(): void {
    clearTimeout(this.relockTimer);
    this.relockTimer = undefined;
    this.relockOnClose = false;
  }

  private relockDue(): void {
    this.relockTimer = undefined;
    // Throwing the bolt into an open door would jam it; wait for the close instead.
    if (this.opts.door?.state() === "open") {
      this.relockOnClose = true;
      this.opts.logger.info("auto-relock due but door open; relocking on close");
      return;
    }
    this.lock().catch((err) => this.opts.logger.error({ err }, "auto-relock failed"));
  }

  private onDoor(state: DoorState): void {
    if (state === "open") {
      this.doorOpenedAt = Date.now();
      clearTimeout(this.ajarTimer);
      if (this.opts.ajarAlarmMs > 0) {
        this.ajarTimer = setTimeout(() => {
          this.ajarRaised = true;
          const openMs = Date.now() - (this.doorOpenedAt ?? Date.now());
          this.opts.logger.warn({ openMs }, "door ajar");
          this.ajarListeners.emit({ ajar: true, openMs });
        }, this.opts.ajarAlarmMs);
      }
      return;
    }
    clearTimeout(this.ajarTimer);
    this.ajarTimer = undefined;
    if (this.ajarRaised) {
      this.ajarRaised = false;
      const openMs = Date.now() - (this.doorOpenedAt ?? Date.now());
      this.opts.logger.info({ openMs }, "door ajar cleared");
      this.ajarListeners.emit({ ajar: false, openMs });
    }
    this.doorOpenedAt = undefined;
    if (this.relockOnClose) {
      this.relockOnClose = false;
      this.lock().catch((err) => this.opts.logger.error({ err }, "relock on close failed"));
    }
  }
}
