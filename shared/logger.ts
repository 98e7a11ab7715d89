// One pino root logger; components take a child (`logger.child({ component: "lock" })`).
import { pino } from "pino";

export type Logger = pino.Logger;

export const REDACTED = "[Redacted]";

/**
 * Keys whose values are secrets wherever they sit: `pin`, `badge`, `password`, `secret`, `token`,
 * `credential`, `authorization`, `cookie`, alone or as the last word of a snake_case or camelCase key
 * (`claim_token`, `credentialSecret`; camelCase `doorPin` is a GPIO number and stays). pino's own `redact` needs every path spelt out (`*.pin` is one level
 * deep only), so a PIN inside a request body logged whole would slip through.
 */
const SECRET_WORD =
  /(?:^|[_-])(?:pin|badge|password|passwd|secret|token|credential|authorization|cookie)s?$/i;
/** camelCase without `Pin`: `doorPin` and `lockPin` are GPIO numbers. */
const SECRET_CAMEL = /[a-z0-9](?:Badge|Password|Secret|Token|Credential)s?$/;
const MAX_DEPTH = 32;

export function isSecretKey(key: string): boolean {
  return SECRET_WORD.test(key) || SECRET_CAMEL.test(key);
}

/** A copy of `value` with every secret-named key's value replaced, at any depth; errors pass unchanged. */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== "object" || value instanceof Error) return value;
  if (seen.has(value)) return "[Circular]";
  if (depth >= MAX_DEPTH) return "[Too deep]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1, seen));
    const proto = Object.getPrototypeOf(value);
    // Dates, Buffers and class instances keep their own JSON form.
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : redactSecrets(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? "info",
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    // Each call's object; a child's bindings (`{ component }`) are not secrets and pino formats them apart.
    formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Silent logger for tests and library callers that do not care. */
export const silentLogger: Logger = pino({ level: "silent" });
