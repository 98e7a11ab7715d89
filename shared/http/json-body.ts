// JSON request bodies: nesting depth checked in one linear pass before JSON.parse, whose cost on a
// deeply nested body (seconds for 8 MB of "[") would otherwise hold the event loop.
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

/** Whether `text` opens more than `maxDepth` nested arrays/objects; brackets inside strings do not count. */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
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

/** Parses a request body's text; too deep or not JSON is a 400 `validation_failed`. */
export function parseJsonText(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (nestsDeeperThan(text, maxDepth)) {
    throw new AppError("validation_failed", `request body nests deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("validation_failed", "request body must be JSON");
  }
}
