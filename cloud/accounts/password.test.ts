import { describe, expect, it } from "vitest";
import { AppError } from "../../shared/errors.js";
import { PasswordHasher, SCRYPT_PARAMS } from "./password.js";

/** Cheap parameters where the cost itself is not under test. */
const cheap = { N: 1024, r: 8, p: 1 };

describe("PasswordHasher", () => {
  it("hashes at OWASP's minimum for scrypt (N=2^17, r=8, p=1) by default, and verifies", async () => {
    const hasher = new PasswordHasher();
    const stored = await hasher.hash("correct horse battery");
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(SCRYPT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(await hasher.verify("correct horse battery", stored)).toBe(true);
    expect(await hasher.verify("correct horse batterY", stored)).toBe(false);
    expect(hasher.needsRehash(stored)).toBe(false);
  });

  it.each([
    ["an older, weaker hash", "scrypt$16384$8$1$c2FsdA$aGFzaA", true],
    ["another scheme", "bcrypt$2b$10$abc", true],
    ["garbage", "not a hash", true],
  ])("asks for a rehash of %s", (_, stored, expected) => {
    expect(new PasswordHasher().needsRehash(stored)).toBe(expected);
  });

  it("verifies an older hash (so that sign-in can upgrade it)", async () => {
    const old = new PasswordHasher({ params: { N: 16384, r: 8, p: 1 } });
    const stored = await old.hash("an old password");
    const current = new PasswordHasher();
    expect(current.needsRehash(stored)).toBe(true);
    expect(await current.verify("an old password", stored)).toBe(true);
  });

  it("refuses, without running it, a stored hash whose parameters would need gigabytes", async () => {
    const hasher = new PasswordHasher();
    const hostile = "scrypt$1073741824$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA";
    expect(await hasher.verify("x", hostile)).toBe(false);
  });

  it("costs one computation of the current parameters for an unknown email, as for a known one", async () => {
    const hasher = new PasswordHasher({ params: cheap });
    const stored = await hasher.hash("pw");
    const before = hasher.computations;
    await hasher.verify("wrong", stored);
    await hasher.verifyDummy("wrong");
    await hasher.verifyDummy("wrong");
    // One for the known email, one each for the unknown (the dummy hash itself is made once, up front).
    expect(hasher.computations - before).toBe(4);
    await hasher.verifyDummy("wrong");
    expect(hasher.computations - before).toBe(5);
  });

  it("runs at most maxConcurrent hashes, queues maxQueued, and refuses the rest at once with 429", async () => {
    const hasher = new PasswordHasher({ params: cheap, maxConcurrent: 1, maxQueued: 2 });
    const attempts = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => hasher.hash(`pw${i}`)));
    const refused = attempts.filter((a) => a.status === "rejected").map((a) => a.reason as AppError);
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(3);
    expect(refused).toHaveLength(3);
    for (const err of refused) {
      expect(err).toBeInstanceOf(AppError);
      expect(err.status).toBe(429);
      expect(err.retryAfterSeconds).toBe(1);
    }
    // The slots were all given back.
    expect(await hasher.verify("pw9", await hasher.hash("pw9"))).toBe(true);
  });
});
