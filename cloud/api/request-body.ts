// Reads a JSON request body that may be gzip-compressed, with limits before and after decompression so
// that neither a large upload nor a small zip bomb can exhaust memory, and the nesting check after it.

import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { Context } from "hono";
import { AppError } from "../../shared/errors.js";
import { limitRequestBody, MIB } from "../../shared/http/body-limit.js";
import { parseJsonBytes } from "../../shared/http/json-body.js";

const gunzipAsync = promisify(gunzip);
export const MAX_BODY_BYTES = 8 * MIB;

export async function readJsonBody(c: Context, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  limitRequestBody(c, maxBytes);
  let raw = Buffer.from(await c.req.arrayBuffer());
  const encoding = c.req.header("content-encoding");
  if (encoding === "gzip") {
    try {
      raw = await gunzipAsync(raw, { maxOutputLength: maxBytes, chunkSize: 1024 * 1024 });
    } catch (err) {
      const tooBig =
        (err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" ||
        /maxOutputLength|larger than/.test(String(err));
      throw tooBig
        ? new AppError("payload_too_large", `decompressed body over ${maxBytes} bytes`)
        : new AppError("validation_failed", "body is not valid gzip");
    }
  } else if (encoding && encoding !== "identity") {
    throw new AppError("validation_failed", `unsupported content-encoding ${encoding}`);
  }
  return parseJsonBytes(raw);
}
