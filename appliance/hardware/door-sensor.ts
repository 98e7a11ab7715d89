import type { Unsubscribe } from "./listeners.js";

export type DoorState = "open" | "closed";

/** Reed switch on the cabinet door. `state()` is the debounced state. */
export interface DoorSensor {
  start(): Promise<void>;
  stop(): Promise<void>;
  state(): DoorState;
  onChange(cb: (state: DoorState) => void): Unsubscribe;
}

/** Physical level (0/1) that means "door open"; reed to GND with pull-up reads 1 when the magnet leaves. */
export type Level = 0 | 1;

export function doorStateForLevel(level: Level, openLevel: Level): DoorState {
  return level === openLevel ? "open" : "closed";
}
