// Each organization's Ed25519 command key: made on first use, kept in the platform schema, its private
// half encrypted at rest when LILO_COMMAND_KEY_SECRET is set. Cabinets receive the public half.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import {
  generateCommandKeyPair,
  type SignableCommand,
  signCommand,
} from "../../shared/commands/command-signature.js";
import type { Database } from "../db/database.js";
import { commandKeyRepository } from "./command-key.repository.js";

const ENCRYPTED = "aes-256-gcm";
const PLAIN = "plain";

export class CommandKeyService {
  private readonly wrapKey: Buffer | undefined;
  private readonly cache = new Map<string, { publicKey: string; privateKey: KeyObject }>();

  /** @param secret LILO_COMMAND_KEY_SECRET; without it private keys are stored unencrypted. */
  constructor(
    private readonly database: Database,
    secret?: string,
  ) {
    this.wrapKey = secret
      ? Buffer.from(hkdfSync("sha256", secret, "lilo", "org-command-keys/v1", 32))
      : undefined;
  }

  /** The organization's public key (base64 SPKI), created if it has none yet. */
  async publicKey(orgId: string): Promise<string> {
    return (await this.keyPair(orgId)).publicKey;
  }

  /** Signs a command with the organization's key. */
  async sign(orgId: string, cmd: SignableCommand): Promise<string> {
    return signCommand((await this.keyPair(orgId)).privateKey, cmd);
  }

  private async keyPair(orgId: string): Promise<{ publicKey: string; privateKey: KeyObject }> {
    const cached = this.cache.get(orgId);
    if (cached) return cached;
    const stored = await this.database.asService(async (tx) => {
      const found = await commandKeyRepository.find(tx, orgId);
      if (found) return found;
      const fresh = generateCommandKeyPair();
      const der = fresh.privateKey.export({ format: "der", type: "pkcs8" });
      await commandKeyRepository.insert(tx, orgId, {
        public_key: fresh.publicKey,
        private_key: this.seal(der),
      });
      // Another instance may have inserted first: everyone uses the row that is stored.
      return (await commandKeyRepository.find(tx, orgId))!;
    });
    const pair = {
      publicKey: stored.public_key,
      privateKey: createPrivateKey({ key: this.open(stored.private_key), format: "der", type: "pkcs8" }),
    };
    this.cache.set(orgId, pair);
    return pair;
  }

  private seal(der: Buffer): string {
    if (!this.wrapKey) return `${PLAIN}:${der.toString("base64url")}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.wrapKey, iv);
    const ct = Buffer.concat([cipher.update(der), cipher.final()]);
    return [ENCRYPTED, iv, cipher.getAuthTag(), ct]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(":");
  }

  private open(text: string): Buffer {
    const [kind, ...parts] = text.split(":");
    if (kind === PLAIN) return Buffer.from(parts[0]!, "base64url");
    if (kind !== ENCRYPTED || parts.length !== 3) throw new Error("unreadable command key");
    if (!this.wrapKey) throw new Error("the command keys are encrypted: LILO_COMMAND_KEY_SECRET is required");
    const [iv, tag, ct] = parts.map((p) => Buffer.from(p, "base64url")) as [Buffer, Buffer, Buffer];
    const decipher = createDecipheriv("aes-256-gcm", this.wrapKey, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  }
}
