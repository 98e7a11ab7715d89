import { type ChildProcess, spawn } from "node:child_process";
import type { Logger } from "../../shared/logger.js";
import type { Level } from "./door-sensor.js";
import {
  detectGpiodVersion,
  detectGpiodVersionSync,
  type GpiodVersion,
  gpiosetHoldArgs,
  gpiosetOnceArgs,
} from "./gpiod-tools.js";
import type { LockOutput } from "./lock.js";
import { runToolSync, sleep, sleepSync, ToolNotFoundError } from "./run-tool.js";

export interface GpiodLockOutputOptions {
  chip: string;
  line: number;
  activeLow?: boolean;
  /** How long a freshly spawned gpioset must survive before the write counts as done. */
  settleMs?: number;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
}

/**
 * Relay on the GPIO character device. A line requested through the chardev is only guaranteed to
 * keep its value while the requesting process holds it, so a `gpioset` child stays alive holding
 * the current level; a change kills it and starts another with the new level.
 */
export class GpiodLockOutput implements LockOutput {
  private version: GpiodVersion | undefined;
  private holder: ChildProcess | undefined;
  private holderEnergised: boolean | undefined;
  /** gpioset spawned but not yet past its settle window. */
  private starting: ChildProcess | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: GpiodLockOutputOptions) {}

  async start(): Promise<void> {
    this.version = await detectGpiodVersion("gpioset", this.opts.env);
    this.opts.logger.info(
      { chip: this.opts.chip, line: this.opts.line, libgpiod: this.version },
      "lock relay on gpiod",
    );
    await this.write(false);
  }

  write(energised: boolean): Promise<void> {
    const next = this.chain.then(() => this.doWrite(energised));
    this.chain = next.catch(() => {});
    return next;
  }

  private async doWrite(energised: boolean): Promise<void> {
    const version = this.version ?? (await detectGpiodVersion("gpioset", this.opts.env));
    this.version = version;
    // Respawning for an unchanged level would briefly release the line for nothing.
    if (this.holder && this.holderEnergised === energised) return;
    await this.release();
    const args = gpiosetHoldArgs(
      version,
      this.opts.chip,
      this.opts.line,
      level(energised),
      this.opts.activeLow,
    );
    const child: ChildProcess = spawn("gpioset", args, {
      env: this.opts.env ?? process.env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.starting = child;
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      if (stderr.length < 4096) stderr += c.toString("utf8");
    });
    // gpioset reports a busy or missing line by exiting at once; surviving the settle window means it holds the line.
    const failed = await Promise.race([
      new Promise<string>((resolve) => {
        child.once("error", (err) => resolve(err.message));
        child.once("exit", (code, signal) =>
          resolve(`gpioset exited early (${signal ?? code}): ${stderr.trim()}`),
        );
      }),
      sleep(this.opts.settleMs ?? 50).then(() => undefined),
    ]);
    if (this.starting !== child) {
      // writeSync() (toSafeState) ran while we were settling; it already killed this child.
      throw new Error("lock relay write superseded by safe-state");
    }
    this.starting = undefined;
    if (failed !== undefined) throw new Error(failed);
    this.holder = child;
    this.holderEnergised = energised;
    child.once("exit", (code, signal) => {
      if (this.holder !== child) return;
      this.holder = undefined;
      this.opts.logger.error({ code, signal, stderr: stderr.trim() }, "gpioset holding the lock relay died");
    });
    this.opts.logger.debug({ energised, pid: child.pid }, "lock relay written");
  }

  private async release(): Promise<void> {
    const child = this.holder;
    this.holder = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 1000);
    await exited;
    clearTimeout(t);
  }

  /**
   * Crash path: no awaiting. Kills the holder and runs a set-and-exit gpioset, retrying while the
   * kernel has not yet released the dead holder's request (EBUSY). Afterwards nothing holds the
   * line; for the de-energised level that is also what the relay's pull resistor falls back to.
   */
  writeSync(energised: boolean): void {
    for (const child of [this.holder, this.starting]) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    this.holder = undefined;
    this.starting = undefined;
    const version = this.version ?? detectGpiodVersionSync(this.opts.env);
    gpiosetOnceSync(version, this.opts, energised);
  }

  async stop(): Promise<void> {
    await this.chain;
    await this.release();
  }
}

function level(energised: boolean): Level {
  return energised ? 1 : 0;
}

export function gpiosetOnceSync(
  version: GpiodVersion,
  opts: { chip: string; line: number; activeLow?: boolean; env?: NodeJS.ProcessEnv },
  energised: boolean,
  attempts = 10,
): void {
  const args = gpiosetOnceArgs(version, opts.chip, opts.line, level(energised), opts.activeLow);
  for (let i = 1; ; i++) {
    try {
      runToolSync("gpioset", args, { timeoutMs: 2000, env: opts.env });
      return;
    } catch (err) {
      if (i >= attempts || err instanceof ToolNotFoundError) throw err;
      sleepSync(20);
    }
  }
}

/** Standalone, synchronous de-energise for ExecStopPost (no started driver needed). */
export function gpiodDeenergiseSync(opts: {
  chip: string;
  line: number;
  activeLow?: boolean;
  env?: NodeJS.ProcessEnv;
}): void {
  gpiosetOnceSync(detectGpiodVersionSync(opts.env), opts, false);
}
