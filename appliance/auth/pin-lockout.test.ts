// The PIN pad's lockout rules as a table over a fake clock, on a real SQLite file (so a new PinLockout on
// the same database is what a restart sees).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LocalDatabase, openLocalDatabase } from "../db/local-database.js";
import { DEFAULT_LOCKOUT, PinLockout } from "./pin-lockout.js";

const S = 1000;
const MIN = 60 * S;

let dir: string;
let local: LocalDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lilo-lockout-"));
  local = openLocalDatabase(join(dir, "a.db"));
});
afterEach(() => {
  local.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Fails `n` times, `gapMs` apart from `start`; returns the lockouts started. */
function fail(lockout: PinLockout, start: number, n: number, gapMs = S) {
  return Array.from({ length: n }, (_, i) => lockout.failed(start + i * gapMs)).filter(
    (x) => x !== undefined,
  );
}

describe("PinLockout", () => {
  it("locks after 5 refused tries within 5 minutes, not after 4", () => {
    const lockout = new PinLockout(local.db);
    expect(fail(lockout, 0, 4)).toEqual([]);
    expect(lockout.lockedUntil(4 * S)).toBeUndefined();
    const [started] = fail(lockout, 4 * S, 1);
    expect(started).toMatchObject({ level: 1, failures: 5, lock_ms: 30 * S });
    expect(lockout.lockedUntil(5 * S)).toBe(4 * S + 30 * S);
    expect(lockout.lockedUntil(34 * S)).toBeUndefined();
  });

  it("forgets tries older than the window", () => {
    const lockout = new PinLockout(local.db);
    // 4 tries, then 4 more over 5 minutes later: never 5 within a window.
    expect(fail(lockout, 0, 4)).toEqual([]);
    expect(fail(lockout, 5 * MIN + 1, 4)).toEqual([]);
  });

  it.each([
    [1, 30 * S],
    [2, 60 * S],
    [3, 120 * S],
    [4, 240 * S],
    [8, 60 * MIN],
    [9, 60 * MIN],
  ])("lockout number %i lasts %i ms (growing, capped at an hour)", (n, ms) => {
    const lockout = new PinLockout(local.db);
    let t = 0;
    let last: ReturnType<PinLockout["failed"]>;
    for (let i = 0; i < n; i++) {
      const started = fail(lockout, t, 5);
      last = started[0];
      t = Date.parse(last!.locked_until) + S;
    }
    expect(last!).toMatchObject({ level: n, lock_ms: ms });
  });

  it("starts short again after a success or a quiet day", () => {
    const lockout = new PinLockout(local.db);
    fail(lockout, 0, 5);
    fail(lockout, MIN, 5);
    lockout.succeeded();
    expect(fail(lockout, 10 * MIN, 5)[0]).toMatchObject({ level: 1, lock_ms: 30 * S });
    fail(lockout, 20 * MIN, 5);
    const dayLater = 20 * MIN + 4 * S + DEFAULT_LOCKOUT.forgetAfterMs + S;
    expect(fail(lockout, dayLater, 5)[0]).toMatchObject({ level: 1, lock_ms: 30 * S });
  });

  it("keeps a lockout across a restart", () => {
    fail(new PinLockout(local.db), 0, 5);
    expect(new PinLockout(local.db).lockedUntil(S)).toBe(4 * S + 30 * S);
  });
});
