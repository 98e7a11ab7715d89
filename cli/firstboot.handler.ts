// What `lilo appliance firstboot` runs (lilo-firstboot.service): apply /boot/firmware/lilo.conf. Its own
// module, so the first boot does not load the appliance's image and vision libraries. Output is plain
// text: the unit sends it to the journal and to the console on the display.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runFirstBoot } from "../appliance/firstboot/firstboot.service.js";
import { firmwareVersion } from "../appliance/release.js";
import { AppError } from "../shared/errors.js";
import { createLogger } from "../shared/logger.js";

export interface FirstbootOptions {
  boot: string;
  root: string;
  owner?: string;
  claimTimeout: string;
}

/** uid and gid of `user` in the target root's passwd file. */
function lookupUser(root: string, user: string): { uid: number; gid: number } {
  const line = readFileSync(join(root, "etc/passwd"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new AppError("validation_failed", `user ${user} does not exist in ${root}/etc/passwd`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

export async function firstboot(opts: FirstbootOptions): Promise<void> {
  const out = (line: string) => process.stdout.write(`lilo-firstboot: ${line}\n`);
  try {
    const result = await runFirstBoot({
      bootDir: opts.boot,
      root: opts.root,
      owner: opts.owner ? lookupUser(opts.root, opts.owner) : undefined,
      firmwareVersion: firmwareVersion(),
      claimTimeoutMs: Number(opts.claimTimeout) * 1000,
      logger: createLogger(),
    });
    out(result.changed.length ? `changed ${result.changed.join(", ")}` : "nothing to change");
    out(`cloud: ${result.claim}`);
  } catch (err) {
    // One line per bad setting, readable on the cabinet's display.
    const fields = err instanceof AppError ? err.fields : undefined;
    if (!fields) throw err;
    process.stderr.write(`lilo-firstboot: ERROR: ${join(opts.boot, "lilo.conf")} is not valid:\n`);
    for (const [key, message] of Object.entries(fields))
      process.stderr.write(`lilo-firstboot:   ${key}: ${message}\n`);
    process.stderr.write(
      "lilo-firstboot: fix the file on the SD card's boot partition and restart the cabinet\n",
    );
    process.exitCode = 1;
  }
}
