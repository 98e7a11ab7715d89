import type { Unsubscribe } from "./listeners.js";

/** Emits one string per badge presented (card UID / number as the reader reports it). */
export interface BadgeReader {
  start(): Promise<void>;
  stop(): Promise<void>;
  onBadge(cb: (badge: string) => void): Unsubscribe;
}
