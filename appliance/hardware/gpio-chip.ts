import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../shared/logger.js";

export const DEFAULT_SYSFS_ROOT = "/sys/class/gpio";

/** Labels of the chip that drives the 40-pin header: Pi 4, Pi 0-3, Pi 5 (RP1). */
export const HEADER_CHIP_LABELS = ["pinctrl-bcm2711", "pinctrl-bcm2835", "pinctrl-rp1"] as const;

export interface GpioChipInfo {
  chip: string;
  label: string;
  base: number;
  ngpio: number | undefined;
}

export interface SysfsPin {
  bcm: number;
  chip: string;
  base: number;
  sysfs: number;
}

export class NoHeaderChipError extends Error {
  constructor(root: string, seen: GpioChipInfo[]) {
    const list = seen.length ? seen.map((c) => `${c.chip}=${c.label}`).join(", ") : "none";
    super(
      `no 40-pin header GPIO chip (${HEADER_CHIP_LABELS.join("/")}) under ${root}; chips found: ${list}. ` +
        "Is the sysfs GPIO interface enabled? Otherwise use the gpiod driver.",
    );
    this.name = "NoHeaderChipError";
  }
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Synchronous on purpose: also used by the ExecStopPost safe-state path, which must not depend on the event loop. */
export function listGpioChips(sysfsRoot: string = DEFAULT_SYSFS_ROOT): GpioChipInfo[] {
  let entries: string[];
  try {
    entries = readdirSync(sysfsRoot);
  } catch {
    return [];
  }
  const chips: GpioChipInfo[] = [];
  for (const chip of entries.filter((e) => /^gpiochip\d+$/.test(e)).sort()) {
    const label = readTrim(join(sysfsRoot, chip, "label"));
    const base = Number(readTrim(join(sysfsRoot, chip, "base")));
    const ngpioRaw = readTrim(join(sysfsRoot, chip, "ngpio"));
    if (label === undefined || !Number.isInteger(base)) continue;
    chips.push({ chip, label, base, ngpio: ngpioRaw === undefined ? undefined : Number(ngpioRaw) });
  }
  return chips;
}

export function findHeaderChip(sysfsRoot: string = DEFAULT_SYSFS_ROOT): GpioChipInfo {
  const chips = listGpioChips(sysfsRoot);
  const labels: readonly string[] = HEADER_CHIP_LABELS;
  const header = chips.find((c) => labels.includes(c.label));
  if (!header) throw new NoHeaderChipError(sysfsRoot, chips);
  return header;
}

/**
 * Maps a BCM (header) GPIO number to its sysfs number. Kernels since 6.6 register the header
 * chip at a dynamic base (512 on Pi 4, 571 on Pi 5), and onoff/older code that writes the bare
 * BCM number to `export` touches the wrong line or fails (onoff issue #199).
 */
export function sysfsPinForBcm(bcm: number, opts: { sysfsRoot?: string; logger?: Logger } = {}): SysfsPin {
  const root = opts.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  const header = findHeaderChip(root);
  if (!Number.isInteger(bcm) || bcm < 0 || (header.ngpio !== undefined && bcm >= header.ngpio)) {
    throw new Error(`BCM GPIO ${bcm} is outside ${header.chip} (${header.label}, ngpio=${header.ngpio})`);
  }
  const pin: SysfsPin = { bcm, chip: header.chip, base: header.base, sysfs: header.base + bcm };
  opts.logger?.info({ ...pin, label: header.label }, "gpio sysfs mapping");
  return pin;
}
