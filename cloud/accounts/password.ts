// scrypt password hashes: a memory-hard KDF from Node's standard library, parameters stored with the
// hash so that stronger ones can be introduced and old hashes upgraded at the next sign-in. Hashing
// runs on libuv's thread pool; a bounded number run at once and a bounded number wait, so that
// unauthenticated requests cannot queue unlimited work there.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { AppError, rateLimited } from "../../shared/errors.js";

const scryptAsync = promisify(scrypt) as (p: string, s: Buffer, n: number, o: object) => Promise<Buffer>;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's current minimum for scrypt (Password Storage Cheat Sheet): N=2^17, r=8, p=1; 128 MiB a hash. */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
const KEY_BYTES = 32;
/** scrypt needs 128·N·r bytes; anything stored above this (corrupt or hostile) is refused, not run. */
const MAX_MEM = 256 * 1024 * 1024;

export interface HasherOptions {
  params?: ScryptParams;
  /** Hashes running at once (libuv's pool has 4 threads by default, shared with fs, dns and zlib). */
  maxConcurrent?: number;
  /** Hashes waiting for a slot; one more is refused at once with 429. */
  maxQueued?: number;
}

function encode(params: ScryptParams, salt: Buffer, hash: Buffer): string {
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

function decode(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!Object.values(params).every((v) => Number.isSafeInteger(v) && v > 0)) return undefined;
  return { params, salt: Buffer.from(salt, "base64url"), hash: Buffer.from(hash, "base64url") };
}

export class PasswordHasher {
  readonly params: Readonly<ScryptParams>;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private dummy?: Promise<string>;
  /** How many scrypt computations this hasher has run (sign-in cost is the same for every email). */
  computations = 0;

  constructor(opts: HasherOptions = {}) {
    this.params = Object.freeze({ ...(opts.params ?? SCRYPT_PARAMS) });
    this.maxConcurrent = opts.maxConcurrent ?? 2;
    this.maxQueued = opts.maxQueued ?? 16;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    return encode(this.params, salt, await this.derive(password, salt, this.params, KEY_BYTES));
  }

  /** Whether `password` matches `stored`; an unreadable stored hash never matches. */
  async verify(password: string, stored: string): Promise<boolean> {
    const d = decode(stored);
    if (!d || d.hash.length === 0) return false;
    try {
      const got = await this.derive(password, d.salt, d.params, d.hash.length);
      return timingSafeEqual(d.hash, got);
    } catch (err) {
      if (err instanceof AppError) throw err;
      return false;
    }
  }

  /**
   * The work of a verification against a hash of the current parameters, for a sign-in with an
   * unknown email, so that it takes as long as one with a known email.
   */
  async verifyDummy(password: string): Promise<void> {
    this.dummy ??= this.hash(randomBytes(16).toString("hex"));
    const dummy = await this.dummy.catch((err) => {
      this.dummy = undefined;
      throw err;
    });
    await this.verify(password, dummy);
  }

  /** Whether `stored` was made with weaker or other parameters than this hasher's (rehash at sign-in). */
  needsRehash(stored: string): boolean {
    const d = decode(stored);
    return !d || d.params.N !== this.params.N || d.params.r !== this.params.r || d.params.p !== this.params.p;
  }

  private async derive(password: string, salt: Buffer, params: ScryptParams, bytes: number): Promise<Buffer> {
    await this.acquire();
    try {
      this.computations++;
      return await scryptAsync(password, salt, bytes, { ...params, maxmem: MAX_MEM });
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueued) {
      return Promise.reject(rateLimited("too many sign-ins in progress: try again in a moment", 1));
    }
    // The slot passes straight from release() to the waiter, so `running` stays counted.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
