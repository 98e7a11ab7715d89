// One pino root logger; components take a child (`logger.child({ component: "lock" })`). JSON lines for
// machines (journald, files, pipes); on a terminal, one readable line per entry.
import { pino } from "pino";
import { AppError } from "./errors.js";

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

export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * `requested` (LILO_LOG_FORMAT) decides when set; otherwise a terminal gets readable lines and anything
 * else, journald or a pipe, gets JSON lines.
 */
export function chooseLogFormat(isTTY: boolean, requested?: string): LogFormat {
  if (!requested) return isTTY ? "pretty" : "json";
  if ((LOG_FORMATS as readonly string[]).includes(requested)) return requested as LogFormat;
  throw new AppError("validation_failed", `LILO_LOG_FORMAT must be json or pretty, not "${requested}"`);
}

/** The format for standard output, as LILO_LOG_FORMAT and the terminal decide. */
export function stdoutLogFormat(): LogFormat {
  return chooseLogFormat(Boolean(process.stdout.isTTY), process.env.LILO_LOG_FORMAT);
}

/** Keys a pretty line shows in its fixed columns rather than as `key=value`. */
const COLUMNS = new Set(["time", "level", "component", "msg"]);

interface ErrorJson {
  message?: string;
  stack?: string;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

function prettyValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/**
 * One JSON line from pino as `HH:MM:SS LEVEL component message key=value ...` (local time), with an
 * error's stack indented below it. The line was redacted before it was written, so this shows no secret.
 */
export function formatPrettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const at = new Date(typeof entry.time === "number" ? entry.time : Date.now());
  const time = `${pad2(at.getHours())}:${pad2(at.getMinutes())}:${pad2(at.getSeconds())}`;
  const level = (pino.levels.labels[entry.level as number] ?? String(entry.level)).toUpperCase().padEnd(5);
  const parts = [time, level];
  if (entry.component !== undefined) parts.push(String(entry.component));
  if (entry.msg !== undefined) parts.push(String(entry.msg));
  let stack = "";
  for (const [key, value] of Object.entries(entry)) {
    if (COLUMNS.has(key) || value === undefined) continue;
    // pino's error serialiser gives {type, message, stack}: the message inline, the stack below.
    const err =
      key === "err" && typeof value === "object" && value !== null ? (value as ErrorJson) : undefined;
    if (err?.message !== undefined) {
      parts.push(`err=${prettyValue(err.message)}`);
      if (err.stack) stack = `\n${err.stack.replace(/^/gm, "    ")}`;
    } else {
      parts.push(`${key}=${prettyValue(value)}`);
    }
  }
  return `${parts.join(" ")}${stack}\n`;
}

/** A pino destination that writes each entry to `out` as a pretty line. */
function prettyDestination(out: { write(text: string): unknown }): pino.DestinationStream {
  return { write: (line: string) => void out.write(formatPrettyLine(line)) };
}

/**
 * The root logger. Without a destination it writes to standard output in the format LILO_LOG_FORMAT and
 * the terminal choose; with one (tests), JSON unless `format` says otherwise.
 */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? "info",
  destination?: pino.DestinationStream,
  format: LogFormat = destination ? "json" : stdoutLogFormat(),
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    // Each call's object; a child's bindings (`{ component }`) are not secrets and pino formats them apart.
    formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
  };
  if (format === "pretty") return pino(options, prettyDestination(destination ?? process.stdout));
  return destination ? pino(options, destination) : pino(options);
}

/** Silent logger for tests and library callers that do not care. */
export const silentLogger: Logger = pino({ level: "silent" });
