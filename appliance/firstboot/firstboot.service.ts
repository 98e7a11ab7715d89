// The first boot of a cabinet, run by lilo-firstboot.service at every boot: from the installer's
// lilo.conf on the boot partition it writes the appliance's config, the host name, the time zone and
// time servers, generates the local secrets, moves the claim token off the boot partition and claims the
// cabinet in the cloud. Every file is written only when its content changes, and secrets already made are
// kept: a second run with the same lilo.conf changes nothing.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "../../shared/logger.js";
import { type ApplianceConfigInput, parseApplianceConfig } from "../config.js";
import { CloudClient } from "../sync/cloud-client.js";
import { readIdentity } from "../sync/device-identity.js";
import { boardSerial, ensureProvisioned } from "../sync/provisioning.js";
import { type LiloConf, parseLiloConf, withoutClaimToken } from "./lilo-conf.js";

/** Where the image keeps things, as seen on the device. */
export const DEVICE_PATHS = {
  config: "/etc/lilo/appliance.json",
  /** The kiosk key: root's file, handed to the appliance and kiosk units by `LoadCredential=`. */
  kioskKey: "/etc/lilo/kiosk-key",
  dataDir: "/var/lib/lilo",
  claimToken: "/var/lib/lilo/claim-token",
  identity: "/var/lib/lilo/device.json",
} as const;

const HTTP_PORT = 8081;

export interface FirstBootOptions {
  /** The mounted boot partition (the device: /boot/firmware). */
  bootDir: string;
  /** The root the paths are written under (the device: /). */
  root: string;
  /** The service user that owns the data directory's files and reads the config. */
  owner?: { uid: number; gid: number };
  firmwareVersion: string;
  /** How long the claim may wait for the cloud before the appliance takes it over. */
  claimTimeoutMs: number;
  logger: Logger;
}

export interface FirstBootResult {
  /** Files written or removed, as device paths. */
  changed: string[];
  claim: "claimed" | "already claimed" | "deferred to the appliance" | "standalone";
}

export async function runFirstBoot(opts: FirstBootOptions): Promise<FirstBootResult> {
  const confPath = join(opts.bootDir, "lilo.conf");
  const text = readFileSync(confPath, "utf8");
  const conf = parseLiloConf(text);
  const files = new RootFiles(opts.root, opts.owner);
  // Secrets made once are kept.
  const previous = files.read(DEVICE_PATHS.config);
  const secret = previous ? (JSON.parse(previous) as ApplianceConfigInput).credentialSecret : undefined;
  const config = applianceConfig(conf, secret ?? randomBytes(32).toString("base64url"));
  // The appliance must accept what is written: a setting it refuses fails here, before anything is written.
  parseApplianceConfig(config);

  files.write("/etc/hostname", `${conf.hostname}\n`, 0o644);
  files.write("/etc/hosts", hostsFile(files.read("/etc/hosts"), conf.hostname), 0o644);
  files.write("/etc/timezone", `${conf.timezone}\n`, 0o644);
  files.symlink("/etc/localtime", `/usr/share/zoneinfo/${conf.timezone}`);
  const ntp = "/etc/systemd/timesyncd.conf.d/lilo.conf";
  if (conf.ntp)
    files.write(ntp, `# From lilo.conf.\n[Time]\nNTP=${conf.ntp.split(/\s+/).join(" ")}\n`, 0o644);
  else files.remove(ntp);

  files.write(DEVICE_PATHS.config, `${JSON.stringify(config, null, 2)}\n`, 0o640, "group");
  // The touchscreen's key (docs/kiosk.md): made once, readable by root only; systemd copies it into the
  // appliance's and the kiosk's credentials, which no other user can read.
  if (!files.read(DEVICE_PATHS.kioskKey))
    files.write(DEVICE_PATHS.kioskKey, `${randomBytes(32).toString("base64url")}\n`, 0o600);

  const claimed = readIdentity(files.path(DEVICE_PATHS.identity)) !== undefined;
  if (conf.claim_token) {
    if (!claimed) files.write(DEVICE_PATHS.claimToken, `${conf.claim_token}\n`, 0o600, "owner");
    // Off the boot partition, which anyone holding the SD card can read.
    writeAtomic(
      confPath,
      withoutClaimToken(text, `claim_token moved to the cabinet ${new Date().toISOString()}`),
    );
    files.changed.push(`${opts.bootDir}/lilo.conf`);
    opts.logger.info("claim token moved from the boot partition to the data partition");
  }

  let claim: FirstBootResult["claim"] = "standalone";
  if (conf.cloud_url) {
    claim = claimed ? "already claimed" : await claimCabinet(conf.cloud_url, files, opts);
  }
  return { changed: files.changed, claim };
}

/** One claim against the cloud, bounded in time; the appliance finishes it later if the cloud is away. */
async function claimCabinet(
  cloudUrl: string,
  files: RootFiles,
  opts: FirstBootOptions,
): Promise<FirstBootResult["claim"]> {
  const tokenFile = files.path(DEVICE_PATHS.claimToken);
  if (!existsSync(tokenFile)) return "deferred to the appliance";
  try {
    await ensureProvisioned(
      new CloudClient(cloudUrl),
      {
        cloudUrl,
        claimTokenFile: tokenFile,
        serialNumber: boardSerial(),
        firmwareVersion: opts.firmwareVersion,
        identityPath: files.path(DEVICE_PATHS.identity),
        maxBackoffMs: 10_000,
        signal: AbortSignal.timeout(opts.claimTimeoutMs),
      },
      opts.logger,
    );
  } catch (err) {
    // The only signal is the timeout's: aborted while asking (TimeoutError) or while waiting (AbortError).
    if (!["TimeoutError", "AbortError"].includes((err as Error).name)) throw err;
    opts.logger.warn(
      { waited_ms: opts.claimTimeoutMs },
      "cloud not reached: the appliance will claim the cabinet when it is online",
    );
    return "deferred to the appliance";
  }
  files.own(DEVICE_PATHS.identity);
  files.changed.push(DEVICE_PATHS.identity, DEVICE_PATHS.claimToken);
  return "claimed";
}

function applianceConfig(conf: LiloConf, credentialSecret: string): ApplianceConfigInput {
  const shelves = conf.shelves.split(/\s+/).map(Number);
  const cloud: ApplianceConfigInput["cloud"] = conf.cloud_url
    ? {
        url: conf.cloud_url,
        claimTokenFile: DEVICE_PATHS.claimToken,
        allowInsecure: conf.allow_insecure_cloud === "yes",
      }
    : undefined;
  return {
    dataDir: DEVICE_PATHS.dataDir,
    http: { host: "127.0.0.1", port: HTTP_PORT },
    ...(cloud
      ? { cloud }
      : {
          cabinet: { org_id: conf.org_id!, lab_id: conf.lab_id!, cabinet_id: conf.cabinet_id! },
          // The badge and PIN key of a cabinet without a cloud (with one, the cloud sends it).
          credentialSecret,
        }),
    hardware: {
      mode: conf.hardware,
      lock: { mode: conf.lock_mode, autoRelockMs: 10_000, ajarAlarmMs: 60_000 },
      ...(conf.hardware === "real"
        ? {
            gpio: {
              driver: conf.gpio_driver,
              doorPin: conf.door_pin!,
              lockPin: conf.lock_pin!,
              activeLow: conf.lock_active_low === "yes",
            },
          }
        : {}),
      // One camera per shelf, as the pilot cabinets are built.
      cameras: shelves.map((shelf, index) => ({
        id: `shelf${shelf}`,
        index,
        shelves: [{ shelf, roi: { x: 0, y: 0, w: 1, h: 1 } }],
      })),
      badge: conf.badge_device ? { driver: "evdev", device: conf.badge_device } : { driver: "none" },
    },
  };
}

function hostsFile(current: string | undefined, hostname: string): string {
  const lines = (current ?? "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    .split("\n")
    .filter((l) => !/^127\.0\.1\.1\s/.test(l) && l !== "");
  return `${[...lines, `127.0.1.1\t${hostname}`].join("\n")}\n`;
}

function writeAtomic(path: string, content: string, mode?: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content, mode === undefined ? undefined : { mode });
  // open() applies the process's umask to `mode`, and the unit runs with UMask=0077: without the
  // chmod, /etc/hosts and the group-readable appliance.json came out 0600 and the appliance, not
  // root, could not read its own settings (seen in the image's boot test).
  if (mode !== undefined) chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Files under the target root, written only when different; `changed` lists what was touched. */
class RootFiles {
  readonly changed: string[] = [];

  constructor(
    private readonly root: string,
    private readonly owner?: { uid: number; gid: number },
  ) {}

  path(devicePath: string): string {
    return join(this.root, devicePath);
  }

  read(devicePath: string): string | undefined {
    try {
      return readFileSync(this.path(devicePath), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** `owner`: the service user owns it; `group`: root owns it, the service user's group reads it. */
  write(devicePath: string, content: string, mode: number, access?: "owner" | "group"): void {
    if (this.read(devicePath) === content) return;
    const path = this.path(devicePath);
    mkdirSync(dirname(path), { recursive: true });
    writeAtomic(path, content, mode);
    if (access === "owner") this.own(devicePath);
    if (access === "group" && this.owner) chownSync(path, 0, this.owner.gid);
    this.changed.push(devicePath);
  }

  own(devicePath: string): void {
    if (this.owner) chownSync(this.path(devicePath), this.owner.uid, this.owner.gid);
  }

  symlink(devicePath: string, target: string): void {
    const path = this.path(devicePath);
    if (isSymlinkTo(path, target)) return;
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    symlinkSync(target, path);
    this.changed.push(devicePath);
  }

  remove(devicePath: string): void {
    if (this.read(devicePath) === undefined) return;
    rmSync(this.path(devicePath));
    this.changed.push(devicePath);
  }
}

function isSymlinkTo(path: string, target: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() && readlinkSync(path) === target;
  } catch {
    return false;
  }
}
