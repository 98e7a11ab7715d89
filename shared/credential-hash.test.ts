// What a cabinet stores for a badge or PIN opens nothing at another cabinet, and a PIN costs a slow
// hash per guess.
import { describe, expect, it } from "vitest";
import {
  badgeDigest,
  cabinetBadgeHash,
  cabinetKey,
  cabinetPinHash,
  hashPin,
  swipedBadgeHash,
  verifyCabinetPin,
} from "./credential-hash.js";
import { AppError } from "./errors.js";

const master = "lilo_key_tenant-master-key-never-leaves-the-cloud";
const keyA = cabinetKey(master, "11111111-1111-4111-8111-111111111111");
const keyB = cabinetKey(master, "22222222-2222-4222-8222-222222222222");

describe("credential hashes", () => {
  it("gives each cabinet its own key, and neither is the tenant's", () => {
    expect(keyA).not.toBe(keyB);
    expect(keyA).not.toContain(master);
  });

  it("matches a badge at its cabinet only", () => {
    const stored = cabinetBadgeHash(keyA, badgeDigest("BADGE-TECH-0001"));
    expect(swipedBadgeHash(keyA, " BADGE-TECH-0001 ")).toBe(stored);
    expect(swipedBadgeHash(keyB, "BADGE-TECH-0001")).not.toBe(stored);
  });

  it("verifies a PIN with its cabinet's key only, and only the right PIN", async () => {
    const cloud = await hashPin("471147");
    const atA = cabinetPinHash(keyA, cloud)!;
    const atB = cabinetPinHash(keyB, cloud)!;
    expect(atA).not.toBe(atB);
    expect(await verifyCabinetPin(keyA, atA, "471147")).toBe(true);
    expect(await verifyCabinetPin(keyA, atA, "471148")).toBe(false);
    // Cabinet A's row copied into cabinet B (or checked with B's key) does not verify.
    expect(await verifyCabinetPin(keyB, atA, "471147")).toBe(false);
    // Salted: the same PIN set twice hashes differently.
    expect(await hashPin("471147")).not.toBe(cloud);
  });

  it("refuses PINs shorter than 6 digits when they are set", async () => {
    for (const pin of ["4711", "12345", "12a456", ""]) {
      await expect(hashPin(pin)).rejects.toBeInstanceOf(AppError);
      await expect(hashPin(pin)).rejects.toMatchObject({ code: "validation_failed" });
    }
  });

  it("answers false, not an error, for no hash, an old keyed hash or a tampered cost", async () => {
    const oldFormat = "a".repeat(64);
    const tampered = cabinetPinHash(keyA, await hashPin("471147"))!.replace("$16384$", "$1073741824$");
    for (const stored of [null, undefined, oldFormat, tampered])
      expect(await verifyCabinetPin(keyA, stored, "471147")).toBe(false);
  });
});
