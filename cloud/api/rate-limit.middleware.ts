// Rate limits at the HTTP edge: per client address, and per claim token and serial number, each
// counted before the request's expensive work (password hashing, the claim transaction).
import type { MiddlewareHandler } from "hono";
import {
  addressKey,
  type RateLimitService,
  type RateRule,
  type RateRules,
  secretKey,
} from "../security/rate-limit.service.js";
import { clientAddress } from "./client-address.js";

/** Refuses a request with 429 once its address (TCP peer, /64 for IPv6) is over `rule`'s limit. */
export function limitByAddress(limits: RateLimitService, rule: RateRule): MiddlewareHandler {
  return async (c, next) => {
    await limits.consume(rule, addressKey(clientAddress(c)));
    await next();
  };
}

/** Counts a claim attempt against its token and its serial number, whatever else the body holds. */
export async function limitClaim(limits: RateLimitService, rules: RateRules, body: unknown): Promise<void> {
  const { claim_token, serial_number } = (body ?? {}) as Record<string, unknown>;
  if (typeof claim_token === "string") await limits.consume(rules.claimPerToken, secretKey(claim_token));
  if (typeof serial_number === "string") await limits.consume(rules.claimPerSerial, secretKey(serial_number));
}
