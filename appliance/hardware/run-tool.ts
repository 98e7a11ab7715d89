import { type ChildProcess, spawn, spawnSync } from "node:child_process";

// Every external tool runs through spawn with an argument array: no shell, so pin numbers, chip
// names and paths from config can never be interpreted as shell syntax.

export class ToolNotFoundError extends Error {
  constructor(readonly tool: string) {
    super(`${tool}: not found on PATH`);
    this.name = "ToolNotFoundError";
  }
}

export class ToolTimeoutError extends Error {
  constructor(
    readonly tool: string,
    readonly timeoutMs: number,
  ) {
    super(`${tool}: no result within ${timeoutMs} ms, killed`);
    this.name = "ToolTimeoutError";
  }
}

export class ToolFailedError extends Error {
  constructor(
    readonly tool: string,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
  ) {
    super(`${tool}: exited with ${signal ?? code}${stderr ? `: ${stderr.trim().slice(-500)}` : ""}`);
    this.name = "ToolFailedError";
  }
}

export interface RunToolOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Cap on collected stdout; a full-resolution JPEG is a few MB. */
  maxBytes?: number;
}

export interface ToolResult {
  stdout: Buffer;
  stderr: string;
}

export function runTool(tool: string, args: readonly string[], opts: RunToolOptions): Promise<ToolResult> {
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(tool, args, { env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      reject(err);
      return;
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = "";
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    // Reject on the timer itself rather than on 'close': a grandchild that inherited stdout
    // would otherwise keep the pipe (and us) open after the kill.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(() => reject(new ToolTimeoutError(tool, opts.timeoutMs)));
    }, opts.timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxBytes) {
        child.kill("SIGKILL");
        finish(() => reject(new Error(`${tool}: output exceeded ${maxBytes} bytes`)));
        return;
      }
      out.push(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (err.length < 16_384) err += chunk.toString("utf8");
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      finish(() => reject(e.code === "ENOENT" ? new ToolNotFoundError(tool) : e));
    });
    child.on("close", (code, signal) => {
      finish(() => {
        if (code === 0) resolve({ stdout: Buffer.concat(out), stderr: err });
        else reject(new ToolFailedError(tool, code, signal, err));
      });
    });
  });
}

/** For crash and ExecStopPost paths, where the event loop may never turn again. */
export function runToolSync(tool: string, args: readonly string[], opts: RunToolOptions): ToolResult {
  const res = spawnSync(tool, args, {
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs,
    killSignal: "SIGKILL",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: opts.maxBytes ?? 1024 * 1024,
  });
  const error = res.error as NodeJS.ErrnoException | undefined;
  if (error?.code === "ENOENT") throw new ToolNotFoundError(tool);
  if (error?.code === "ETIMEDOUT") throw new ToolTimeoutError(tool, opts.timeoutMs);
  if (error) throw error;
  const stderr = res.stderr?.toString("utf8") ?? "";
  if (res.status !== 0) throw new ToolFailedError(tool, res.status, res.signal, stderr);
  return { stdout: res.stdout ?? Buffer.alloc(0), stderr };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Blocking sleep for synchronous crash paths (no timers run there). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
