import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { testCommandKey, testNonceDatabase } from "../../test/support/command-key.js";
import { CloudClock } from "./cloud-clock.js";
import { CommandGuard } from "./command-guard.js";
import { CommandNonceRepository } from "./command-nonce.repository.js";

const THING = "lilo-cab-guard";

describe("CloudClock", () => {
  it("knows nothing until told, then counts on from the cloud's time on the monotonic clock", () => {
    let mono = 1_000;
    const clock = new CloudClock(() => mono);
    expect(clock.now()).toBeUndefined();
    clock.observe("not a time");
    expect(clock.now()).toBeUndefined();
    clock.observe("2026-12-06T14:00:00.000Z");
    mono += 90_000;
    expect(clock.now()).toBe(Date.parse("2026-12-06T14:01:30.000Z"));
  });
});

describe("CommandGuard", () => {
  const key = testCommandKey();
  // The cabinet's own wall clock is 1970 (no RTC, no NTP yet): only the cloud's time matters.
  const cloudTime = Date.parse("2026-12-06T14:00:00.000Z");
  const guard = (sqlite = testNonceDatabase(), now: () => number | undefined = () => cloudTime) =>
    new CommandGuard({
      thing: THING,
      publicKey: () => key.publicKey,
      clock: { now },
      nonces: new CommandNonceRepository(sqlite),
    });
  const command = (issuedAt: number) =>
    key.signed({
      id: randomUUID(),
      command: "sync_now",
      issued_at: new Date(issuedAt).toISOString(),
      thing: THING,
    });

  it("judges issue times by the cloud's clock, not the cabinet's", () => {
    expect(guard().admit(command(cloudTime - 60_000))).toEqual({ ok: true });
    // Issued "now" by a cabinet clock stuck in 1970 would be decades old for the cloud.
    expect(guard().admit(command(0))).toEqual({ ok: false, reason: "expired" });
    expect(guard(testNonceDatabase(), () => undefined).admit(command(cloudTime))).toEqual({
      ok: false,
      reason: "no_cloud_time",
    });
  });

  it("refuses a replay and forgets ids only once they are past the window", () => {
    const sqlite = testNonceDatabase();
    const first = command(cloudTime);
    expect(guard(sqlite).admit(first)).toEqual({ ok: true });
    expect(guard(sqlite).admit(first)).toEqual({ ok: false, reason: "replayed" });
    // 11 minutes on, the old id is pruned; the command itself is refused by its age.
    const later = guard(sqlite, () => cloudTime + 11 * 60_000);
    expect(later.admit(command(cloudTime + 11 * 60_000))).toEqual({ ok: true });
    expect(sqlite.prepare("SELECT count(*) AS n FROM command_nonces").get()).toEqual({ n: 1 });
    expect(later.admit(first)).toEqual({ ok: false, reason: "expired" });
  });
});
