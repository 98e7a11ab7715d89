import type { Level } from "./door-sensor.js";
import { runTool, runToolSync } from "./run-tool.js";

// libgpiod's command-line tools changed their interface between v1 (Debian bookworm, Raspberry Pi
// OS 12) and v2 (trixie): the chip became `-c CHIP` instead of a positional argument and gpioset
// lost `--mode`. Everything version-specific lives here.

export type GpiodVersion = 1 | 2;
export type GpioBias = "pull-up" | "pull-down" | "disabled";

export function parseGpiodVersion(text: string): GpiodVersion {
  // v1: "gpioset (libgpiod) v1.6.3", v2: "gpioset (libgpiod) v2.1.3"
  const m = /\bv?(\d+)\.\d+/.exec(text);
  const major = m ? Number(m[1]) : Number.NaN;
  if (major === 1) return 1;
  if (major >= 2) return 2;
  throw new Error(`cannot tell libgpiod version from: ${text.trim().slice(0, 200)}`);
}

export async function detectGpiodVersion(
  tool: "gpioset" | "gpiomon" | "gpioget" = "gpioset",
  env?: NodeJS.ProcessEnv,
): Promise<GpiodVersion> {
  const { stdout } = await runTool(tool, ["--version"], { timeoutMs: 5000, env });
  return parseGpiodVersion(stdout.toString("utf8"));
}

export function detectGpiodVersionSync(env?: NodeJS.ProcessEnv): GpiodVersion {
  const { stdout } = runToolSync("gpioset", ["--version"], { timeoutMs: 5000, env });
  return parseGpiodVersion(stdout.toString("utf8"));
}

function activeLowArgs(activeLow: boolean | undefined): string[] {
  return activeLow ? ["--active-low"] : [];
}

/** gpioset that keeps the line requested (and so driven) until it is signalled. */
export function gpiosetHoldArgs(
  v: GpiodVersion,
  chip: string,
  line: number,
  level: Level,
  activeLow?: boolean,
): string[] {
  if (v === 1) return ["--mode=signal", ...activeLowArgs(activeLow), chip, `${line}=${level}`];
  return ["-c", chip, ...activeLowArgs(activeLow), `${line}=${level}`];
}

/** gpioset that sets the line and exits at once; the kernel keeps the level only by convention. */
export function gpiosetOnceArgs(
  v: GpiodVersion,
  chip: string,
  line: number,
  level: Level,
  activeLow?: boolean,
): string[] {
  if (v === 1) return ["--mode=exit", ...activeLowArgs(activeLow), chip, `${line}=${level}`];
  return ["-c", chip, "-t0", ...activeLowArgs(activeLow), `${line}=${level}`];
}

export function gpiomonArgs(v: GpiodVersion, chip: string, line: number, bias?: GpioBias): string[] {
  if (v === 1) {
    const b = bias ? [`--bias=${bias === "disabled" ? "disable" : bias}`] : [];
    // v1 gpiomon never flushes stdout, so into a pipe events would sit in a 4 KiB stdio buffer.
    // (v2 flushes before every poll.)
    return ["--line-buffered", ...b, chip, String(line)];
  }
  return ["-c", chip, "-e", "both", ...(bias ? ["-b", bias] : []), String(line)];
}

export function gpiogetArgs(v: GpiodVersion, chip: string, line: number, bias?: GpioBias): string[] {
  if (v === 1) {
    const b = bias ? [`--bias=${bias === "disabled" ? "disable" : bias}`] : [];
    return [...b, chip, String(line)];
  }
  // No --numeric: not every 2.x has it; parseGpiogetOutput reads the default `"17"=active` form.
  return ["-c", chip, ...(bias ? ["-b", bias] : []), String(line)];
}

/** "0"/"1" (v1) or `"17"=active` / `GPIO17=inactive` (v2). */
export function parseGpiogetOutput(text: string): Level {
  const t = text.trim();
  if (/=\s*inactive\b/.test(t) || t === "0") return 0;
  if (/=\s*active\b/.test(t) || t === "1") return 1;
  throw new Error(`unexpected gpioget output: ${t.slice(0, 200)}`);
}

/**
 * v1: `event:  RISING EDGE offset: 17 timestamp: [ 1234.567890123]`
 * v2: `1234.567890123	rising	"GPIO17"` (or `gpiochip0 17` for unnamed lines)
 */
export function parseGpiomonLine(line: string): Level | undefined {
  if (/\brising\b/i.test(line)) return 1;
  if (/\bfalling\b/i.test(line)) return 0;
  return undefined;
}
