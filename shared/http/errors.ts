// The one translator from thrown errors to HTTP responses: `{error: {code, message, fields}}`, never a
// stack trace or SQL.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { AppError, parseInput } from "../errors.js";
import type { Logger } from "../logger.js";
import { limitRequestBody, MAX_FORM_BODY_BYTES } from "./body-limit.js";
import { parseJsonBytes } from "./json-body.js";

export function errorHandler(logger: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) {
      if (err.retryAfterSeconds !== undefined) c.header("retry-after", String(err.retryAfterSeconds));
      return c.json(err.toJSON(), err.status as ContentfulStatusCode);
    }
    if (err instanceof HTTPException) {
      const code =
        err.status === 404 ? "not_found" : err.status === 413 ? "payload_too_large" : "validation_failed";
      return c.json({ error: { code, message: err.message || "bad request" } }, err.status);
    }
    logger.error({ err, path: c.req.path }, "request failed");
    return c.json({ error: { code: "internal", message: "internal error" } }, 500);
  };
}

/**
 * Parses a JSON body with a zod schema, turning every failure into one validation error. At most
 * `maxBytes` are read (413 past that, also for chunked bodies) and nesting is checked before JSON.parse.
 */
export async function parseBody<T>(
  c: Context,
  schema: z.ZodType<T>,
  maxBytes = MAX_FORM_BODY_BYTES,
): Promise<T> {
  limitRequestBody(c, maxBytes);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("validation_failed", "request body could not be read");
  }
  return parseInput(schema, parseJsonBytes(bytes));
}
