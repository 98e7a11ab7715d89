// The address a request came from, for audit rows (`ip_address` columns). This is the TCP peer as
// the cloud's own HTTP server saw it; X-Forwarded-For is not trusted, since any client can send it.
// Behind a reverse proxy this records the proxy.
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/** The peer's IP address, or undefined when the request did not arrive over a socket (app.request). */
export function clientAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? undefined;
}
