// How badges and PINs are stored. Nothing here is keyed with a key shared by a tenant's cabinets:
// - the cloud keeps a SHA-256 digest of each badge and a salted, slow scrypt of each PIN, plus a tenant
//   master key that never leaves the cloud;
// - each cabinet gets its own key, HMAC(master, cabinet_id), and the cloud's values keyed with it, so
//   what one cabinet holds matches nothing at another cabinet;
// - a PIN check runs the slow hash once (the person is named by badge or by user number first), so an
//   SD card's PIN hashes cost 4 scrypt lanes per guess per person, not one HMAC for everybody.
import { createHash, createHmac, randomBytes, scrypt, scryptSync, timingSafeEqual } from "node:crypto";
import { AppError } from "./errors.js";

export type CredentialKind = "badge" | "pin";

/** PINs set from now on; older, shorter ones are not accepted by `hashPin`. */
export const MIN_PIN_DIGITS = 6;
export const MAX_PIN_DIGITS = 12;

/**
 * scrypt N=2^14, r=8 (16 MiB) in 4 independent lanes with their own salts, run in parallel on the
 * libuv pool: a Raspberry Pi 4 has 4 cores, so the wall time stays that of one lane while a guess costs
 * an attacker 4 lanes. docs/architecture.md, "PIN and badge at the cabinet", has the measured times.
 */
export const PIN_SCRYPT = { N: 2 ** 14, r: 8, p: 1, lanes: 4 } as const;
type ScryptParams = { N: number; r: number; p: number; lanes: number };

const SALT_BYTES = 16;
const HASH_BYTES = 32;

/** The cloud's form of a badge: an unkeyed digest, so each cabinet's key can be applied to it later. */
export function badgeDigest(badge: string): string {
  return createHash("sha256").update(`lilo-badge:${badge.trim()}`).digest("hex");
}

/** A cabinet's own key, derived in the cloud from the tenant master key (which stays there). */
export function cabinetKey(tenantMasterKey: string, cabinetId: string): string {
  return createHmac("sha256", tenantMasterKey).update(`lilo-cabinet-key:${cabinetId}`).digest("base64url");
}

/** What a cabinet stores for a badge: the cloud's digest keyed with the cabinet's key. */
export function cabinetBadgeHash(key: string, cloudDigest: string): string {
  return createHmac("sha256", key).update(`badge:${cloudDigest}`).digest("hex");
}

/** The lookup value for a badge swiped at this cabinet. */
export function swipedBadgeHash(key: string, badge: string): string {
  return cabinetBadgeHash(key, badgeDigest(badge));
}

interface PinHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** `scrypt$N$r$p$lanes$salt$hash` (base64url). */
function formatPinHash({ params, salt, hash }: PinHash): string {
  const { N, r, p, lanes } = params;
  return ["scrypt", N, r, p, lanes, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

function parsePinHash(stored: string): PinHash | undefined {
  const parts = stored.split("$");
  if (parts.length !== 7 || parts[0] !== "scrypt") return undefined;
  const [N, r, p, lanes] = parts.slice(1, 5).map(Number) as [number, number, number, number];
  // Bounds keep a tampered row from asking for gigabytes or minutes.
  if (!(N >= 2 && N <= 2 ** 17 && (N & (N - 1)) === 0 && r >= 1 && r <= 16 && p >= 1 && p <= 4))
    return undefined;
  if (!(lanes >= 1 && lanes <= 8)) return undefined;
  const salt = Buffer.from(parts[5]!, "base64url");
  const hash = Buffer.from(parts[6]!, "base64url");
  if (salt.length !== SALT_BYTES || hash.length !== HASH_BYTES) return undefined;
  return { params: { N, r, p, lanes }, salt, hash };
}

const laneArgs = (salt: Buffer, lane: number, { N, r, p }: ScryptParams) =>
  [
    Buffer.concat([salt, Buffer.from([lane])]),
    HASH_BYTES,
    { N, r, p, maxmem: 256 * N * r + 2 ** 20 },
  ] as const;
const joinLanes = (lanes: Buffer[]) => createHash("sha256").update(Buffer.concat(lanes)).digest();

async function slowPinHash(pin: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const lane = (i: number) =>
    new Promise<Buffer>((resolve, reject) =>
      scrypt(pin, ...laneArgs(salt, i, params), (err, key) => (err ? reject(err) : resolve(key))),
    );
  return joinLanes(await Promise.all(Array.from({ length: params.lanes }, (_, i) => lane(i))));
}

function newPinSalt(pin: string): Buffer {
  if (!new RegExp(`^\\d{${MIN_PIN_DIGITS},${MAX_PIN_DIGITS}}$`).test(pin))
    throw new AppError("validation_failed", `a PIN must be ${MIN_PIN_DIGITS} to ${MAX_PIN_DIGITS} digits`, {
      pin: `${MIN_PIN_DIGITS} to ${MAX_PIN_DIGITS} digits`,
    });
  return randomBytes(SALT_BYTES);
}

/** The cloud's form of a new PIN (at least MIN_PIN_DIGITS digits): a salted scrypt, no key involved. */
export async function hashPin(pin: string): Promise<string> {
  const salt = newPinSalt(pin);
  return formatPinHash({ params: { ...PIN_SCRYPT }, salt, hash: await slowPinHash(pin, salt, PIN_SCRYPT) });
}

/** `hashPin` for seeding a standalone cabinet, where nothing else waits on the event loop. */
export function hashPinSync(pin: string): string {
  const salt = newPinSalt(pin);
  const lanes = Array.from({ length: PIN_SCRYPT.lanes }, (_, i) =>
    scryptSync(pin, ...laneArgs(salt, i, PIN_SCRYPT)),
  );
  return formatPinHash({ params: { ...PIN_SCRYPT }, salt, hash: joinLanes(lanes) });
}

/**
 * What a cabinet stores for a PIN: the cloud's scrypt keyed with the cabinet's key (salt and cost kept,
 * so the cabinet can redo the slow part). Undefined for a value in an older format.
 */
export function cabinetPinHash(key: string, cloudPinHash: string): string | undefined {
  const parsed = parsePinHash(cloudPinHash);
  if (!parsed) return undefined;
  return formatPinHash({ ...parsed, hash: keyed(key, parsed.hash) });
}

function keyed(key: string, hash: Buffer): Buffer {
  return createHmac("sha256", key).update("pin:").update(hash).digest();
}

/** A stand-in for an unknown person, so that a miss takes as long as a wrong PIN. */
const DUMMY_PIN_HASH: PinHash = {
  params: { ...PIN_SCRYPT },
  salt: Buffer.alloc(SALT_BYTES),
  hash: Buffer.alloc(HASH_BYTES),
};

/**
 * Checks a PIN typed at the cabinet against a stored cabinet PIN hash: one slow hash, constant-time
 * compare. Without a usable stored hash (unknown person, no PIN) it still does the work and answers false.
 */
export async function verifyCabinetPin(
  key: string,
  stored: string | null | undefined,
  pin: string,
): Promise<boolean> {
  const real = stored ? parsePinHash(stored) : undefined;
  const target = real ?? DUMMY_PIN_HASH;
  const candidate = keyed(key, await slowPinHash(pin, target.salt, target.params));
  return timingSafeEqual(candidate, target.hash) && real !== undefined;
}
