// Caps how many bytes of a request body any handler can read, whether the client declared a
// Content-Length or streams chunks without one, so that no body is buffered beyond the limit.
import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../errors.js";

export const KIB = 1024;
export const MIB = 1024 * KIB;
/** The largest body `parseBody` reads unless told otherwise: every form-sized JSON body fits. */
export const MAX_FORM_BODY_BYTES = 64 * KIB;

const tooLarge = (maxBytes: number) =>
  new AppError("payload_too_large", `request body over ${maxBytes} bytes`);

/**
 * Limits what can be read of this request's body to `maxBytes`: a declared Content-Length over it is
 * refused at once, and every body is also counted as it streams (chunked bodies declare no length), so
 * reading fails with 413 at the first chunk past the limit. Limits nest: the smallest one wins.
 */
export function limitRequestBody(c: Context, maxBytes: number): void {
  const body = c.req.raw.body;
  if (!body) return;
  const declared = c.req.header("content-length");
  if (declared !== undefined && !(Number(declared) <= maxBytes)) throw tooLarge(maxBytes);
  const reader = body.getReader();
  let seen = 0;
  const counted = new ReadableStream<Uint8Array>({
    // pull, not start: chunks are read only as fast as the handler consumes them.
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      seen += value.byteLength;
      if (seen > maxBytes) {
        // The rest is left unread: the HTTP server drains a bounded amount, then closes the connection.
        reader.releaseLock();
        return controller.error(tooLarge(maxBytes));
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  c.req.raw = new Request(c.req.raw, { body: counted, duplex: "half" } as RequestInit);
}

/** `limitRequestBody` for every request under this middleware, before any handler reads a byte. */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    limitRequestBody(c, maxBytes);
    await next();
  };
}
