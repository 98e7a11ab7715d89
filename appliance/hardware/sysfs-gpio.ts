import { accessSync, constants, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Level } from "./door-sensor.js";
import { sleep, sleepSync } from "./run-tool.js";

// Plain fs against a configurable root instead of onoff: onoff hard-codes /sys/class/gpio, ignores
// the chip base (issue #199) and waits for edges with epoll, none of which works on a fake sysfs
// tree in tests. With plain fs the very same code runs on the Pi and against a temp directory.

export type SysfsAttr = "direction" | "edge" | "value" | "active_low";

export function gpioDir(root: string, sysfs: number): string {
  return join(root, `gpio${sysfs}`);
}

export function writeAttrSync(root: string, sysfs: number, attr: SysfsAttr, value: string): void {
  writeFileSync(join(gpioDir(root, sysfs), attr), value);
}

export function readLevelSync(root: string, sysfs: number): Level {
  const raw = readFileSync(join(gpioDir(root, sysfs), "value"), "utf8").trim();
  if (raw !== "0" && raw !== "1") throw new Error(`gpio${sysfs}/value: unexpected "${raw}"`);
  return raw === "1" ? 1 : 0;
}

function ready(root: string, sysfs: number): boolean {
  // udev fixes the group/mode of the new gpioN files a moment after export; until then writes fail.
  try {
    accessSync(join(gpioDir(root, sysfs), "direction"), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function requestExport(root: string, sysfs: number): boolean {
  if (existsSync(gpioDir(root, sysfs))) return false;
  writeFileSync(join(root, "export"), String(sysfs));
  return true;
}

export async function exportPin(root: string, sysfs: number, timeoutMs = 2000): Promise<void> {
  requestExport(root, sysfs);
  const deadline = Date.now() + timeoutMs;
  while (!ready(root, sysfs)) {
    if (Date.now() > deadline) throw new Error(`gpio${sysfs} did not appear under ${root} after export`);
    await sleep(10);
  }
}

export function exportPinSync(root: string, sysfs: number, timeoutMs = 2000): void {
  requestExport(root, sysfs);
  const deadline = Date.now() + timeoutMs;
  while (!ready(root, sysfs)) {
    if (Date.now() > deadline) throw new Error(`gpio${sysfs} did not appear under ${root} after export`);
    sleepSync(10);
  }
}
