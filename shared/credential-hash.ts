// Badges and PINs are stored and compared only as keyed hashes. A keyed hash (not a salted slow hash)
// because a swipe must find its user by lookup; the key lives outside the database, so a copied SQLite
// file alone cannot be brute-forced offline.
import { createHmac, timingSafeEqual } from "node:crypto";

export type CredentialKind = "badge" | "pin";

export function hashCredential(secret: string, kind: CredentialKind, value: string): string {
  return createHmac("sha256", secret).update(`${kind}:${value.trim()}`).digest("hex");
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}
