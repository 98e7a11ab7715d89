// Rate limits and lock-out for the endpoints an unauthenticated caller can reach (sign-in, device
// claim): every attempt or failure is counted in PostgreSQL, shared by all cloud instances, and one
// over the limit is refused with 429 and Retry-After before any expensive work is done.
import { isIPv6 } from "node:net";
import { rateLimited } from "../../shared/errors.js";
import { sha256 } from "../../shared/tokens.js";
import type { RateLimitRepository } from "./rate-limit.repository.js";

export interface RateRule {
  /** Bucket prefix, unique per rule. */
  name: string;
  /** Hits allowed per window; the next one is refused. */
  limit: number;
  windowMs: number;
  /** For the error message: what is being limited. */
  what: string;
}

export interface RateLimitSettings {
  loginPerIpPerMinute: number;
  loginFailuresPerAccount: number;
  claimPerIpPerMinute: number;
  claimPerToken: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  loginPerIpPerMinute: 30,
  loginFailuresPerAccount: 10,
  claimPerIpPerMinute: 10,
  claimPerToken: 10,
};

const MINUTE = 60_000;
const LOCKOUT_MS = 15 * MINUTE;

export function rateRules(s: RateLimitSettings = DEFAULT_RATE_LIMITS) {
  return {
    loginPerIp: {
      name: "login_ip",
      limit: s.loginPerIpPerMinute,
      windowMs: MINUTE,
      what: "sign-in attempts from this address",
    },
    /** Failed sign-ins per email, known or not: past the limit the account is locked for the window. */
    loginFailures: {
      name: "login_fail",
      limit: s.loginFailuresPerAccount,
      windowMs: LOCKOUT_MS,
      what: "failed sign-ins for this account",
    },
    claimPerIp: {
      name: "claim_ip",
      limit: s.claimPerIpPerMinute,
      windowMs: MINUTE,
      what: "claim attempts from this address",
    },
    claimPerToken: {
      name: "claim_token",
      limit: s.claimPerToken,
      windowMs: LOCKOUT_MS,
      what: "claim attempts with this token",
    },
    claimPerSerial: {
      name: "claim_serial",
      limit: s.claimPerToken,
      windowMs: LOCKOUT_MS,
      what: "claim attempts for this serial number",
    },
  } satisfies Record<string, RateRule>;
}
export type RateRules = ReturnType<typeof rateRules>;

/**
 * The key for a client address: IPv4 as is, IPv6 by its /64 prefix (one subscriber usually holds a
 * whole /64, so per-address counting would be free to evade).
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return "local";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/** Keys that are secrets or personal data (emails, claim tokens) are stored only as hashes. */
export const secretKey = (value: string) => sha256(value.trim().toLowerCase());

/** Buckets this instance has seen over their limit, remembered so that a flood costs no database writes. */
const MAX_REMEMBERED_BLOCKS = 10_000;

export class RateLimitService {
  /** bucket → when its window ends (ms since the epoch). A block seen in the shared counters is true for every instance. */
  private readonly blocked = new Map<string, number>();

  constructor(private readonly counters: RateLimitRepository) {}

  /** Counts one attempt; throws `rate_limited` (429, Retry-After) when it is one over the limit. */
  async consume(rule: RateRule, key: string): Promise<void> {
    const bucket = `${rule.name}:${key}`;
    const until = this.blocked.get(bucket);
    if (until !== undefined) {
      if (until > Date.now()) throw this.refusal(rule, (until - Date.now()) / 1000);
      this.blocked.delete(bucket);
    }
    const { hits, retry_after_s } = await this.counters.hit(bucket, rule.windowMs);
    if (hits > rule.limit) {
      if (this.blocked.size >= MAX_REMEMBERED_BLOCKS) this.blocked.delete(this.blocked.keys().next().value!);
      this.blocked.set(bucket, Date.now() + retry_after_s * 1000);
      throw this.refusal(rule, retry_after_s);
    }
  }

  /** Throws `rate_limited` when the limit is already reached, without counting (lock-out checks). */
  async check(rule: RateRule, key: string): Promise<void> {
    const current = await this.counters.peek(`${rule.name}:${key}`, rule.windowMs);
    if (current && current.hits >= rule.limit) throw this.refusal(rule, current.retry_after_s);
  }

  /** Counts one failure (a check() afterwards refuses once `limit` failures are in the window). */
  async fail(rule: RateRule, key: string): Promise<void> {
    await this.counters.hit(`${rule.name}:${key}`, rule.windowMs);
  }

  async reset(rule: RateRule, key: string): Promise<void> {
    this.blocked.delete(`${rule.name}:${key}`);
    await this.counters.clear(`${rule.name}:${key}`);
  }

  /** Drops counters whose window ended more than a day ago (the longest window is 15 minutes). */
  prune(): Promise<number> {
    return this.counters.prune(24 * 3600_000);
  }

  private refusal(rule: RateRule, retryAfterS: number) {
    return rateLimited(
      `too many ${rule.what}: try again in ${Math.max(1, Math.ceil(retryAfterS))} s`,
      retryAfterS,
    );
  }
}
