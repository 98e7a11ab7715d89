import type { Level } from "./door-sensor.js";

/**
 * Commits a level only after it has been stable for `ms`. Fed either with every poll sample or
 * with edge events; repeated samples of the pending level do not restart the timer, so a steady
 * input settles after exactly `ms` while a bounce keeps pushing the commit out.
 */
export class Debouncer {
  private pending: Level;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private stable: Level,
    private readonly ms: number,
    private readonly onCommit: (level: Level) => void,
  ) {
    this.pending = stable;
  }

  get level(): Level {
    return this.stable;
  }

  input(level: Level): void {
    if (level === this.pending) return;
    this.pending = level;
    clearTimeout(this.timer);
    if (level === this.stable) {
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending !== this.stable) {
        this.stable = this.pending;
        this.onCommit(this.stable);
      }
    }, this.ms);
  }

  /** Re-seat after a monitor restart, without emitting. */
  reset(level: Level): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stable = level;
    this.pending = level;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
