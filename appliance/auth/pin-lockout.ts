// The PIN pad's lockout: after `maxFailures` refused PIN attempts within `windowMs` the pad refuses every
// PIN attempt for a while, each lockout twice as long as the one before (up to `maxLockMs`), until a
// PIN succeeds or a day passes without a failure. Kept in SQLite so a restart does not reset it.

import { getDeviceState, setDeviceState } from "../db/device-state.repository.js";
import type { LocalDb } from "../db/local-database.js";

export interface LockoutPolicy {
  maxFailures: number;
  windowMs: number;
  baseLockMs: number;
  maxLockMs: number;
  /** Without a failure for this long, the next lockout is short again. */
  forgetAfterMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  maxFailures: 5,
  windowMs: 5 * 60_000,
  baseLockMs: 30_000,
  maxLockMs: 60 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
};

interface LockoutState {
  /** Times (ms) of the refused attempts in the current window. */
  failures: number[];
  /** Lockouts so far in this streak; the next lasts baseLockMs * 2^level. */
  level: number;
  locked_until: number;
  last_failure: number;
}

/** A lockout that began with this failure: what the cloud is told. */
export interface LockoutStarted {
  level: number;
  failures: number;
  lock_ms: number;
  locked_until: string;
}

const KEY = "pin_lockout";
const EMPTY: LockoutState = { failures: [], level: 0, locked_until: 0, last_failure: 0 };

export class PinLockout {
  constructor(
    private readonly db: LocalDb,
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT,
  ) {}

  /** Until when the pad refuses PIN attempts, or undefined when it takes them. */
  lockedUntil(now: number): number | undefined {
    const { locked_until } = this.state();
    return locked_until > now ? locked_until : undefined;
  }

  /** Counts a refused PIN attempt; returns the lockout it starts, if it starts one. */
  failed(now: number): LockoutStarted | undefined {
    const p = this.policy;
    const s = this.state();
    if (now - s.last_failure > p.forgetAfterMs) s.level = 0;
    s.last_failure = now;
    s.failures = [...s.failures.filter((t) => now - t < p.windowMs), now];
    let started: LockoutStarted | undefined;
    if (s.failures.length >= p.maxFailures) {
      const lockMs = Math.min(p.baseLockMs * 2 ** s.level, p.maxLockMs);
      s.level++;
      s.locked_until = now + lockMs;
      started = {
        level: s.level,
        failures: s.failures.length,
        lock_ms: lockMs,
        locked_until: new Date(s.locked_until).toISOString(),
      };
      s.failures = [];
    }
    this.save(s);
    return started;
  }

  succeeded(): void {
    this.save(EMPTY);
  }

  private state(): LockoutState {
    const raw = getDeviceState(this.db, KEY);
    if (!raw) return { ...EMPTY, failures: [] };
    try {
      return { ...EMPTY, ...(JSON.parse(raw) as Partial<LockoutState>) };
    } catch {
      // Unreadable state is a lockout in force, never a clean slate.
      return { ...EMPTY, failures: [], locked_until: Date.now() + this.policy.maxLockMs };
    }
  }

  private save(s: LockoutState): void {
    setDeviceState(this.db, KEY, JSON.stringify(s));
  }
}
