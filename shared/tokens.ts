// Bearer secrets (device credentials, claim tokens, API keys): random, prefixed so a leaked one is
// recognisable, stored only as SHA-256.
import { createHash, randomBytes } from "node:crypto";

export function newToken(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString("base64url")}`;
}

export const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
