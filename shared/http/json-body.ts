// JSON request bodies: nesting depth checked in one linear pass before JSON.parse, whose cost on a
// deeply nested body (seconds for 8 MB of "[") would otherwise hold the event loop.
import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.js";

/**
 * The deepest nesting of objects and arrays a request body may have. Every body the API accepts is at
 * most a handful of levels deep (a sync batch: batch → changes → change → row → a JSON column); 32
 * leaves room for JSON columns while stopping a hostile body within its first 33 bytes of brackets.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether the UTF-8 `bytes` open more than `maxDepth` nested arrays/objects; brackets inside strings do
 * not count. Bytes, not text: a hostile body is refused before it is decoded (8 MB take tens of ms),
 * and no byte of a multi-byte UTF-8 sequence can be mistaken for a bracket, quote or backslash.
 */
export function nestsDeeperThan(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const ch = bytes[i];
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) inString = true;
    else if (ch === OPEN_ARRAY || ch === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (ch === CLOSE_ARRAY || ch === CLOSE_OBJECT) depth--;
  }
  return false;
}

const utf8 = new TextDecoder("utf-8");

const tooDeep = (maxDepth: number) =>
  new AppError("validation_failed", `request body nests deeper than ${maxDepth} levels`);

/**
 * Refuses a request body that nests deeper than `maxDepth` before any validator parses it (routes whose
 * validators read the body themselves). The bytes stay cached on the request for the validator.
 */
export function jsonDepthLimit(maxDepth = MAX_JSON_DEPTH): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.raw.body && nestsDeeperThan(new Uint8Array(await c.req.arrayBuffer()), maxDepth)) {
      throw tooDeep(maxDepth);
    }
    await next();
  };
}

/** Parses a request body; too deep or not JSON is a 400 `validation_failed`. */
export function parseJsonBytes(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): unknown {
  if (nestsDeeperThan(bytes, maxDepth)) throw tooDeep(maxDepth);
  try {
    // TextDecoder, as fetch's text() does: a leading byte order mark is dropped.
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new AppError("validation_failed", "request body must be JSON");
  }
}
