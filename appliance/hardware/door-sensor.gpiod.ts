import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Logger } from "../../shared/logger.js";
import { Debouncer } from "./debouncer.js";
import { type DoorSensor, type DoorState, doorStateForLevel, type Level } from "./door-sensor.js";
import {
  detectGpiodVersion,
  type GpioBias,
  type GpiodVersion,
  gpiogetArgs,
  gpiomonArgs,
  parseGpiogetOutput,
  parseGpiomonLine,
} from "./gpiod-tools.js";
import { Listeners, type Unsubscribe } from "./listeners.js";
import { runTool } from "./run-tool.js";

export interface GpiodDoorSensorOptions {
  chip: string;
  line: number;
  debounceMs: number;
  openLevel?: Level;
  bias?: GpioBias;
  /** Delay before restarting a gpiomon that died. */
  restartMs?: number;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
}

/** Door reed switch on the GPIO character device, through a long-running `gpiomon`. */
export class GpiodDoorSensor implements DoorSensor {
  private readonly listeners: Listeners<DoorState>;
  private debouncer: Debouncer | undefined;
  private child: ChildProcess | undefined;
  private version: GpiodVersion = 2;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: GpiodDoorSensorOptions) {
    this.listeners = new Listeners(opts.logger, "door.change");
  }

  private get openLevel(): Level {
    return this.opts.openLevel ?? 1;
  }

  async start(): Promise<void> {
    this.version = await detectGpiodVersion("gpiomon", this.opts.env);
    const initial = await this.readLevel();
    this.debouncer = new Debouncer(initial, this.opts.debounceMs, (level) => {
      const state = doorStateForLevel(level, this.openLevel);
      this.opts.logger.info({ door: state, level }, "door changed");
      this.listeners.emit(state);
    });
    this.running = true;
    this.spawnMonitor();
    this.opts.logger.info(
      { door: this.state(), chip: this.opts.chip, line: this.opts.line, libgpiod: this.version },
      "door sensor started",
    );
  }

  // gpioget must run while gpiomon is not holding the line, or the request fails with EBUSY.
  private async readLevel(): Promise<Level> {
    const args = gpiogetArgs(this.version, this.opts.chip, this.opts.line, this.opts.bias);
    const { stdout } = await runTool("gpioget", args, { timeoutMs: 5000, env: this.opts.env });
    return parseGpiogetOutput(stdout.toString("utf8"));
  }

  private spawnMonitor(): void {
    const args = gpiomonArgs(this.version, this.opts.chip, this.opts.line, this.opts.bias);
    const child = spawn("gpiomon", args, {
      env: this.opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      if (stderr.length < 4096) stderr += c.toString("utf8");
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const level = parseGpiomonLine(line);
      if (level === undefined) return;
      this.debouncer?.input(level);
    });
    child.on("error", (err) => this.opts.logger.error({ err }, "gpiomon failed to start"));
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (!this.running) return;
      this.opts.logger.error({ code, signal, stderr: stderr.trim() }, "gpiomon exited; restarting");
      this.restartTimer = setTimeout(() => void this.restart(), this.opts.restartMs ?? 1000);
    });
  }

  private async restart(): Promise<void> {
    if (!this.running) return;
    try {
      // Edges during the gap were lost; resync so state() is not stale.
      const level = await this.readLevel();
      const before = this.debouncer?.level;
      this.debouncer?.reset(level);
      if (before !== undefined && before !== level)
        this.listeners.emit(doorStateForLevel(level, this.openLevel));
    } catch (err) {
      this.opts.logger.error({ err }, "gpioget during gpiomon restart failed");
    }
    if (this.running) this.spawnMonitor();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    this.debouncer?.dispose();
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 1000);
      await exited;
      clearTimeout(t);
    }
  }

  state(): DoorState {
    if (!this.debouncer) throw new Error("door sensor not started");
    return doorStateForLevel(this.debouncer.level, this.openLevel);
  }

  onChange(cb: (state: DoorState) => void): Unsubscribe {
    return this.listeners.add(cb);
  }
}
