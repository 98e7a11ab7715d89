// The shared counters on PGlite and PostgreSQL: limits hold across instances and under concurrency.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../shared/errors.js";
import { backends } from "../../test/support/databases.js";
import { waitFor } from "../../test/support/wait-for.js";
import type { Database } from "../db/database.js";
import { migrateAll } from "../db/migrator.js";
import { RateLimitRepository } from "./rate-limit.repository.js";
import { addressKey, RateLimitService, type RateRule } from "./rate-limit.service.js";

const rule = (name: string, limit: number, windowMs = 60_000): RateRule => ({
  name,
  limit,
  windowMs,
  what: "test attempts",
});

async function refusal(p: Promise<unknown>): Promise<AppError | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err as AppError;
  }
}

describe("addressKey", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff::1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    [undefined, "local"],
  ])("%s → %s", (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });
});

describe.each(backends)("rate limits on $name", (backend) => {
  let db: { database: Database; dispose(): Promise<void> };
  let limits: RateLimitService;

  beforeAll(async () => {
    db = await backend.create();
    await migrateAll(db.database);
    limits = new RateLimitService(new RateLimitRepository(db.database));
  });
  afterAll(() => db?.dispose());

  it("lets `limit` attempts through and refuses the next with 429 and the time left in the window", async () => {
    const r = rule("a", 3);
    for (let i = 0; i < 3; i++) await limits.consume(r, "k");
    const err = await refusal(limits.consume(r, "k"));
    expect(err).toBeInstanceOf(AppError);
    expect(err!.status).toBe(429);
    expect(err!.message).toMatch(/too many test attempts: try again in \d+ s/);
    expect(err!.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(err!.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Other keys and other rules count apart.
    await limits.consume(r, "other");
    await limits.consume(rule("b", 3), "k");
  });

  it("holds the limit exactly across instances under concurrent attempts", async () => {
    const r = rule("c", 10);
    // Two services over one database: two cloud instances behind a load balancer.
    const second = new RateLimitService(new RateLimitRepository(db.database));
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? limits : second).consume(r, "shared")),
    );
    expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(10);
  });

  it("counts failures for lock-out: check refuses once the limit is reached, reset unlocks", async () => {
    const r = rule("d", 2);
    await limits.check(r, "acct");
    await limits.fail(r, "acct");
    await limits.check(r, "acct");
    await limits.fail(r, "acct");
    expect((await refusal(limits.check(r, "acct")))?.status).toBe(429);
    await limits.reset(r, "acct");
    await limits.check(r, "acct");
  });

  it("opens a new window once the last one is over", async () => {
    const r = rule("e", 1, 1_000);
    await limits.consume(r, "k");
    expect((await refusal(limits.consume(r, "k")))?.status).toBe(429);
    await waitFor(async () => (await refusal(limits.consume(r, "k"))) === undefined, {
      what: "a new window",
      timeoutMs: 5_000,
      intervalMs: 250,
    });
  });

  it("prunes only windows that ended long ago", async () => {
    const repo = new RateLimitRepository(db.database);
    await repo.hit("f:recent", 60_000);
    expect(await repo.prune(24 * 3600_000)).toBe(0);
    expect(await repo.prune(0)).toBeGreaterThan(0);
    expect(await repo.peek("f:recent", 60_000)).toBeUndefined();
  });
});
