// Which cloud URLs a cabinet may talk to: TLS (https://, mqtts://) to anything, plaintext only to this
// machine, unless the configuration allows it for development (cloud.allowInsecure).
import { isIPv4 } from "node:net";
import { AppError } from "../../shared/errors.js";

// 127.0.0.0/8, ::1 and localhost: what only this machine can reach.
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return h === "localhost" || h === "::1" || (isIPv4(h) && h.startsWith("127."));
}

const ENCRYPTED = new Set(["https:", "mqtts:", "wss:"]);

/** Throws (validation_failed, field `url`: "insecure") for plaintext to another machine unless allowed. */
export function assertSecureUrl(url: string, what: string, allowInsecure: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError("validation_failed", `${what}: not a URL: ${url}`, { url: "invalid" });
  }
  if (ENCRYPTED.has(parsed.protocol) || allowInsecure || isLoopback(parsed.hostname)) return;
  throw new AppError(
    "validation_failed",
    `${what} ${parsed.protocol}//${parsed.host} is not encrypted and not on this machine: use ${
      parsed.protocol === "http:" ? "https://" : "mqtts://"
    } (or set cloud.allowInsecure for development)`,
    { url: "insecure" },
  );
}
