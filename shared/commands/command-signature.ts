// Remote commands are signed by the cloud with the organization's Ed25519 key and checked by the
// cabinet, so that neither a broker account nor anyone on the network path can make a cabinet act.
import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { canonicalJson } from "../canonical-json.js";

/** How far a command's issue time may lie from the cloud's clock, in either direction. */
export const COMMAND_TIME_WINDOW_MS = 5 * 60_000;

/** Every field a cabinet acts on; all of them are covered by the signature. */
export interface SignableCommand {
  id: string;
  command: string;
  params?: Record<string, unknown>;
  issued_at: string;
  issued_by?: string;
  thing?: string;
  approved_by?: string[];
}

// A fixed prefix keeps a command signature from ever being valid for another kind of message.
const DOMAIN = "lilo/command/v1\n";

/** The exact bytes that are signed: the domain, then the command's fields as canonical JSON. */
export function commandSigningBytes(cmd: SignableCommand): Buffer {
  const fields = {
    id: cmd.id,
    command: cmd.command,
    params: cmd.params ?? {},
    issued_at: cmd.issued_at,
    issued_by: cmd.issued_by ?? null,
    thing: cmd.thing ?? null,
    approved_by: cmd.approved_by ?? [],
  };
  return Buffer.from(DOMAIN + canonicalJson(fields), "utf8");
}

export function generateCommandKeyPair(): { publicKey: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return { publicKey: publicKeyText(publicKey), privateKey };
}

/** How a public key travels (claim response, downlink): base64 of its SPKI DER form. */
export function publicKeyText(key: KeyObject): string {
  return key.export({ format: "der", type: "spki" }).toString("base64");
}

export function signCommand(privateKey: KeyObject, cmd: SignableCommand): string {
  return sign(null, commandSigningBytes(cmd), privateKey).toString("base64");
}

/** False for a wrong signature, a signature over other fields, or a malformed key or signature. */
export function verifyCommandSignature(publicKey: string, cmd: SignableCommand, sig: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey, "base64"), format: "der", type: "spki" });
    if (key.asymmetricKeyType !== "ed25519") return false;
    return verify(null, commandSigningBytes(cmd), key, Buffer.from(sig, "base64"));
  } catch {
    return false;
  }
}

export type CommandRefusal =
  | "unsigned"
  | "no_command_key"
  | "bad_signature"
  | "wrong_thing"
  | "no_cloud_time"
  | "expired"
  | "future_dated";

export interface CommandCheckContext {
  /** The organization's command public key, as the cabinet last received it; undefined if never. */
  publicKey: string | undefined;
  /** This cabinet's thing name. */
  thing: string;
  /** The cloud's time as the cabinet estimates it; undefined until the cloud has told it once. */
  cloudNow: number | undefined;
  windowMs?: number;
}

/**
 * Everything a cabinet checks about a command that needs no state: its signature, that it is addressed
 * to this cabinet, and that it was issued within the window around the cloud's (not the cabinet's own)
 * time. Replays are the caller's to refuse, by id, after this passes.
 */
export function checkCommand(
  cmd: SignableCommand & { sig?: string },
  ctx: CommandCheckContext,
): { ok: true } | { ok: false; reason: CommandRefusal } {
  if (!cmd.sig) return { ok: false, reason: "unsigned" };
  if (!ctx.publicKey) return { ok: false, reason: "no_command_key" };
  if (!verifyCommandSignature(ctx.publicKey, cmd, cmd.sig)) return { ok: false, reason: "bad_signature" };
  if (cmd.thing !== ctx.thing) return { ok: false, reason: "wrong_thing" };
  if (ctx.cloudNow === undefined) return { ok: false, reason: "no_cloud_time" };
  const window = ctx.windowMs ?? COMMAND_TIME_WINDOW_MS;
  const issued = Date.parse(cmd.issued_at);
  if (!Number.isFinite(issued) || ctx.cloudNow - issued > window) return { ok: false, reason: "expired" };
  if (issued - ctx.cloudNow > window) return { ok: false, reason: "future_dated" };
  return { ok: true };
}
