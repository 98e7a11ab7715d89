import type { LockMode } from "../../shared/enums.js";
import type { Unsubscribe } from "./listeners.js";

export type LockState = "locked" | "unlocked";

export interface Lock {
  start(): Promise<void>;
  stop(): Promise<void>;
  lock(): Promise<void>;
  unlock(): Promise<void>;
  state(): LockState;
  /** Synchronous so it can run inside process 'exit' handlers. */
  toSafeState(): void;
  onChange(cb: (state: LockState) => void): Unsubscribe;
}

/** Raw relay output, below the lock semantics. `energised` is logical; active-low is handled by the driver. */
export interface LockOutput {
  start(): Promise<void>;
  stop(): Promise<void>;
  write(energised: boolean): Promise<void>;
  /** Must not return before the de-/energise has been handed to the kernel; used on crash paths. */
  writeSync(energised: boolean): void;
}

/**
 * fail-secure: relay de-energised = locked (stays locked on power loss).
 * fail-safe: relay de-energised = unlocked (opens on power loss, e.g. for egress rules).
 * Either way the safe state is "relay de-energised", the state the hardware falls into when we die.
 */
export function energisedFor(mode: LockMode, state: LockState): boolean {
  return mode === "fail-secure" ? state === "unlocked" : state === "locked";
}

export function lockStateFor(mode: LockMode, energised: boolean): LockState {
  if (mode === "fail-secure") return energised ? "unlocked" : "locked";
  return energised ? "locked" : "unlocked";
}
