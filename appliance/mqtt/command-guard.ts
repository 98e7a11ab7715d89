// Decides whether a remote command may run at all: signed by the organization's key, addressed to this
// cabinet, issued within the window around the cloud's time, and never seen before.
import {
  COMMAND_TIME_WINDOW_MS,
  type CommandRefusal,
  checkCommand,
  type SignableCommand,
} from "../../shared/commands/command-signature.js";
import type { CloudClock } from "./cloud-clock.js";
import type { CommandNonceRepository } from "./command-nonce.repository.js";

export type GuardVerdict = { ok: true } | { ok: false; reason: CommandRefusal | "replayed" };

export interface CommandAdmission {
  admit(cmd: SignableCommand & { sig?: string }): GuardVerdict;
}

export class CommandGuard implements CommandAdmission {
  constructor(
    private readonly deps: {
      thing: string;
      /** The organization's command public key as last received (downlink, else the claim). */
      publicKey: () => string | undefined;
      clock: Pick<CloudClock, "now">;
      nonces: CommandNonceRepository;
      windowMs?: number;
    },
  ) {}

  admit(cmd: SignableCommand & { sig?: string }): GuardVerdict {
    const { deps } = this;
    const windowMs = deps.windowMs ?? COMMAND_TIME_WINDOW_MS;
    const cloudNow = deps.clock.now();
    const checked = checkCommand(cmd, {
      publicKey: deps.publicKey(),
      thing: deps.thing,
      cloudNow,
      windowMs,
    });
    if (!checked.ok) return checked;
    // Twice the window: estimates of the cloud's time differ a little from one downlink to the next.
    deps.nonces.prune(cloudNow! - 2 * windowMs);
    if (!deps.nonces.claim(cmd.id, Date.parse(cmd.issued_at))) return { ok: false, reason: "replayed" };
    return { ok: true };
  }
}
