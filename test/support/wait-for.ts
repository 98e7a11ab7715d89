// The one way a test waits for something another process, socket or timer makes true: poll `check`
// until it returns a value, or fail naming what never happened.
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitForOptions {
  /** What the test is waiting for, in words: the timeout message names it. */
  what: string;
  /** Default 30 s: long enough for a real process on a loaded machine, well under the test timeout. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
  /** More to say on timeout, e.g. a process's last log lines or the records seen so far. */
  context?: () => string;
}

/**
 * Resolves with the first value of `check` that is not `undefined`, `null` or `false`. A `check` that
 * throws counts as "not yet"; its last error is part of the timeout message.
 */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { what, timeoutMs = 30_000, intervalMs = 50, context }: WaitForOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : "";
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${why}${context ? `\n${context()}` : ""}`,
      );
    }
    await sleep(intervalMs);
  }
}
