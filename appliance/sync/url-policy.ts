// Which cloud URLs a cabinet may talk to: TLS (https://, mqtts://) to anything, plaintext only to this
// machine, unless the configuration allows it for development (cloud.allowInsecure).
import { AppError } from "../../shared/errors.js";
import { isLoopback } from "../../shared/loopback.js";

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
