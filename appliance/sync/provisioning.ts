// First start on a new cabinet: claim it in the cloud with the installer's one-time token and keep
// the identity and credential that come back. Later starts read the stored identity.
import { readFileSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../shared/logger.js";
import { backoffMs, type CloudClient, CloudError } from "./cloud-client.js";
import { type DeviceIdentityFile, readIdentity, writeIdentity } from "./device-identity.js";

export interface ClaimOptions {
  cloudUrl: string;
  claimToken?: string;
  claimTokenFile?: string;
  serialNumber: string;
  firmwareVersion: string;
  identityPath: string;
  maxBackoffMs: number;
  signal?: AbortSignal;
  /** Told the cloud's time from the claim response (not stored: it is only true now). */
  onCloudTime?: (iso: string) => void;
}

function claimToken(opts: ClaimOptions): string {
  if (opts.claimToken) return opts.claimToken.trim();
  if (opts.claimTokenFile) return readFileSync(opts.claimTokenFile, "utf8").trim();
  throw new Error(
    "this cabinet is not provisioned and has no claim token (cloud.claimToken or cloud.claimTokenFile)",
  );
}

/** Returns the stored identity, or claims one, retrying until the cloud answers. */
export async function ensureProvisioned(
  client: CloudClient,
  opts: ClaimOptions,
  logger: Logger,
): Promise<DeviceIdentityFile> {
  const stored = readIdentity(opts.identityPath);
  if (stored) return stored;
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      const { json } = await client.request<Omit<DeviceIdentityFile, "cloud_url"> & { cloud_time?: string }>(
        "POST",
        "/devices/claim",
        {
          claim_token: claimToken(opts),
          serial_number: opts.serialNumber,
          firmware_version: opts.firmwareVersion,
        },
      );
      const { cloud_time, ...claimed } = json!;
      if (cloud_time) opts.onCloudTime?.(cloud_time);
      const identity = { ...claimed, cloud_url: opts.cloudUrl };
      writeIdentity(opts.identityPath, identity);
      logger.info(
        { device_id: identity.device_id, thing_name: identity.thing_name, cabinet_id: identity.cabinet_id },
        "cabinet claimed",
      );
      if (opts.claimTokenFile && !opts.claimToken) removeClaimTokenFile(opts.claimTokenFile, logger);
      return identity;
    } catch (err) {
      // A used or expired token will not heal by itself, but the installer may replace it: keep trying, slowly.
      const wait =
        err instanceof CloudError && !err.retryable
          ? opts.maxBackoffMs
          : backoffMs(attempt, 1000, opts.maxBackoffMs);
      logger.error({ err: (err as Error).message, retry_in_ms: wait }, "claim failed");
      await sleep(wait, undefined, { signal: opts.signal });
    }
  }
}

/**
 * The cabinet's identity, read or claimed when it starts (which can take minutes offline); from then on
 * the cloud client carries its credential.
 */
export class DeviceProvisioning {
  private claimed?: DeviceIdentityFile;

  constructor(
    private readonly deps: {
      client: CloudClient;
      /** Without a configured serial number, the board's own is read when the claim needs it. */
      options: Omit<ClaimOptions, "serialNumber"> & { serialNumber?: string };
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { client, options, logger } = this.deps;
    this.claimed = await ensureProvisioned(
      client,
      { ...options, serialNumber: options.serialNumber ?? boardSerial() },
      logger,
    );
    client.setToken(this.claimed.credential);
  }

  get identity(): DeviceIdentityFile {
    if (!this.claimed) throw new Error("device not provisioned yet");
    return this.claimed;
  }
}

/**
 * A used claim token is worthless to the cloud, but it should not lie on a boot partition that anyone
 * can read from the SD card. A failed claim keeps the file, so the installer can retry.
 */
function removeClaimTokenFile(file: string, logger: Logger): void {
  try {
    rmSync(file, { force: true });
    logger.info({ file }, "claim token file removed");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    logger.warn(
      { file, code },
      code === "EROFS"
        ? "claim token file not removed: the boot partition is mounted read-only; delete it by hand"
        : "claim token file not removed; delete it by hand",
    );
  }
}

/** The board's serial (Raspberry Pi), else the machine id, else the host name. */
export function boardSerial(): string {
  for (const [file, re] of [
    ["/proc/device-tree/serial-number", /([0-9a-f]+)/i],
    ["/etc/machine-id", /([0-9a-f]+)/i],
  ] as const) {
    try {
      const m = re.exec(readFileSync(file, "utf8"));
      if (m?.[1]) return m[1];
    } catch {
      // try the next source
    }
  }
  return `host-${process.env.HOSTNAME ?? "unknown"}`;
}
