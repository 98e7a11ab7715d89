// Which software this cabinet runs: the appliance's own version, and the image's (written by
// image-build/ to /etc/lilo-release) that telemetry and the claim report.
import { readFileSync } from "node:fs";

const FIRMWARE_VERSION = "0.1.0";

export const RELEASE_FILE = "/etc/lilo-release";

/** LILO_IMAGE_VERSION from the release file; undefined off the image (development, tests). */
export function imageVersion(file = process.env.LILO_RELEASE_FILE ?? RELEASE_FILE): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return /^LILO_IMAGE_VERSION=(\S+)$/m.exec(text)?.[1];
}

/** What the cabinet reports as its firmware: the image's version, else the appliance's. */
export function firmwareVersion(): string {
  return imageVersion() ?? FIRMWARE_VERSION;
}
