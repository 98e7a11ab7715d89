// The Ed25519 key that signs audit checkpoints and exported chain heads: read from its PEM file, or
// created there (mode 0600) on first use. It lives outside the database on purpose: whoever can rewrite
// the tables cannot re-sign what they rewrote.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { canonicalJson } from "../../shared/canonical-json.js";

export interface AuditSigningKey {
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  keyId: string;
  /** The public key, SPKI PEM, for whoever checks an export. */
  publicKeyPem: string;
  sign(document: unknown): string;
  verify(document: unknown, signature: string): boolean;
}

/** The key in `file`; created there when missing, unless `create` is false (then undefined). */
export function loadSigningKey(file: string): AuditSigningKey;
export function loadSigningKey(file: string, options: { create: false }): AuditSigningKey | undefined;
export function loadSigningKey(file: string, options = { create: true }): AuditSigningKey | undefined {
  let privateKey: KeyObject;
  if (!options.create && !existsSync(file)) return undefined;
  if (existsSync(file)) {
    privateKey = createPrivateKey(readFileSync(file));
    if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`${file}: not an Ed25519 private key`);
  } else {
    privateKey = generateKeyPairSync("ed25519").privateKey;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  }
  return signingKey(privateKey);
}

export function signingKey(privateKey: KeyObject): AuditSigningKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: "spki", format: "der" });
  return {
    keyId: createHash("sha256").update(der).digest("hex").slice(0, 16),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign: (document) => sign(null, Buffer.from(canonicalJson(document)), privateKey).toString("base64"),
    verify: (document, signature) =>
      verify(null, Buffer.from(canonicalJson(document)), publicKey, Buffer.from(signature, "base64")),
  };
}
