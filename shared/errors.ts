// Typed errors with a stable code: thrown where the problem is found, translated once at each edge
// (HTTP onError, CLI exit) into `{error: {code, message, fields}}`.
import type { z } from "zod";

export type ErrorCode =
  | "validation_failed"
  | "conflict"
  | "not_found"
  | "unauthorized"
  | "forbidden"
  | "payload_too_large"
  | "rate_limited"
  | "internal";

const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
};

export class AppError extends Error {
  readonly status: number;
  /** For `rate_limited`: when the caller may try again (the HTTP edge sends it as Retry-After). */
  retryAfterSeconds?: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
    this.status = STATUS[code];
  }

  toJSON() {
    return {
      error: { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) },
    };
  }
}

/** Too many attempts: refused before any work is done; the caller may retry after `seconds`. */
export function rateLimited(message: string, seconds: number): AppError {
  const err = new AppError("rate_limited", message);
  err.retryAfterSeconds = Math.max(1, Math.ceil(seconds));
  return err;
}

/** What validationError reads of a zod issue: unknown keys of a strict object are named one by one. */
export interface ValidationIssue {
  code?: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

/**
 * Turns a failed zod parse into one validation error naming every bad field; `subject` names what was
 * checked in the message ("invalid label options: copies: ...").
 */
export function validationError(issues: readonly ValidationIssue[], subject = "input"): AppError {
  const fields: Record<string, string> = {};
  for (const i of issues) {
    if (i.code === "unrecognized_keys" && i.keys) for (const key of i.keys) fields[key] = "unknown option";
    else fields[i.path.map(String).join(".") || "(input)"] = i.message;
  }
  const summary = Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ");
  return new AppError("validation_failed", `invalid ${subject}: ${summary}`, fields);
}

/** A zod schema's output for `input`, or the validation error naming every bad field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, subject?: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error.issues, subject);
  return parsed.data;
}
