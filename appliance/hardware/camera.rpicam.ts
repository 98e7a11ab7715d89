import type { Logger } from "../../shared/logger.js";
import type { Camera, CameraProbe, CameraShelf, CaptureOptions } from "./camera.js";
import { runTool, sleep, ToolNotFoundError } from "./run-tool.js";

/** Renamed from libcamera-* to rpicam-* in Raspberry Pi OS; older images only have the old name. */
export const STILL_BINARIES = ["rpicam-still", "libcamera-still"] as const;

export interface RpicamCameraOptions {
  id: string;
  /** libcamera camera index (`--camera N`). */
  index: number;
  shelves: CameraShelf[];
  width: number;
  height: number;
  /** Whole-capture limit; the child is killed when it passes. */
  timeoutMs: number;
  /** Extra attempts after the first failure. */
  retries: number;
  /** First retry delay, doubled each time. */
  backoffMs?: number;
  /** `-t`: time the sensor runs before the shot so exposure and white balance settle. */
  settleMs?: number;
  quality?: number;
  binaries?: readonly string[];
  env?: NodeJS.ProcessEnv;
  logger: Logger;
}

export class CameraCaptureError extends Error {
  constructor(
    readonly camera: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `camera ${camera}: capture failed after ${attempts} attempt(s): ${(cause as Error)?.message ?? cause}`,
      {
        cause,
      },
    );
    this.name = "CameraCaptureError";
  }
}

/**
 * Own driver instead of node-libcamera, which hard-codes `libcamera-still` and builds a shell
 * command line. JPEG comes back on stdout (`-o -`), so there is no temp file to clean up.
 */
export class RpicamCamera implements Camera {
  readonly id: string;
  readonly shelves: readonly CameraShelf[];
  private binary: string | undefined;
  private lastProbe: CameraProbe | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: RpicamCameraOptions) {
    this.id = opts.id;
    this.shelves = opts.shelves;
  }

  async start(): Promise<void> {
    const probe = await this.probe();
    // A missing camera must not keep the lock and door from working; captures will report it.
    if (!probe.ok) this.opts.logger.error({ camera: this.id, probe }, "camera probe failed");
    else
      this.opts.logger.info(
        { camera: this.id, backend: probe.backend, cameras: probe.cameras },
        "camera ready",
      );
  }

  async stop(): Promise<void> {
    await this.queue.catch(() => {});
  }

  lastProbeResult(): CameraProbe | undefined {
    return this.lastProbe;
  }

  async probe(): Promise<CameraProbe> {
    let result: CameraProbe;
    try {
      const { binary, stdout, stderr } = await this.runStill(["--list-cameras"], this.opts.timeoutMs);
      // rpicam-still prints the list on stdout; some older libcamera-still builds use stderr.
      const cameras = parseCameraList(`${stdout.toString("utf8")}\n${stderr}`);
      const ok = cameras.some((c) => c.index === this.opts.index);
      result = {
        ok,
        backend: binary,
        cameras,
        detail: ok ? undefined : `camera index ${this.opts.index} not in list (${cameras.length} found)`,
      };
    } catch (err) {
      result = { ok: false, backend: this.binary ?? "none", cameras: [], detail: (err as Error).message };
    }
    this.lastProbe = result;
    return result;
  }

  /** Captures are serialised: libcamera cannot open the same sensor twice. */
  capture(options: CaptureOptions = {}): Promise<Buffer> {
    const next = this.queue.then(() => this.captureWithRetry(options));
    this.queue = next.catch(() => {});
    return next;
  }

  private async captureWithRetry(options: CaptureOptions): Promise<Buffer> {
    const attempts = this.opts.retries + 1;
    const backoff = this.opts.backoffMs ?? 500;
    let lastErr: unknown;
    let attempt = 1;
    for (; attempt <= attempts; attempt++) {
      const started = Date.now();
      try {
        const jpeg = await this.captureOnce(options);
        this.opts.logger.debug(
          { camera: this.id, attempt, ev: options.ev, ms: Date.now() - started, bytes: jpeg.length },
          "captured",
        );
        return jpeg;
      } catch (err) {
        lastErr = err;
        // Retrying cannot make a missing binary appear.
        if (err instanceof ToolNotFoundError) break;
        this.opts.logger.warn({ camera: this.id, attempt, attempts, err }, "capture attempt failed");
        if (attempt < attempts) await sleep(backoff * 2 ** (attempt - 1));
      }
    }
    throw new CameraCaptureError(this.id, Math.min(attempt, attempts), lastErr);
  }

  private async captureOnce({ ev }: CaptureOptions): Promise<Buffer> {
    const o = this.opts;
    const args = [
      "-n",
      "--camera",
      String(o.index),
      "--width",
      String(o.width),
      "--height",
      String(o.height),
      "-t",
      String(o.settleMs ?? 500),
      "--encoding",
      "jpg",
      "-q",
      String(o.quality ?? 90),
      // One token: boost's parser, which rpicam-apps uses, may take a separate "-1" for an option.
      ...(ev ? [`--ev=${ev}`] : []),
      "-o",
      "-",
    ];
    const { stdout } = await this.runStill(args, o.timeoutMs);
    if (stdout.length < 4 || stdout[0] !== 0xff || stdout[1] !== 0xd8) {
      throw new Error(`camera ${this.id}: output is not a JPEG (${stdout.length} bytes)`);
    }
    return stdout;
  }

  private async runStill(args: string[], timeoutMs: number) {
    const candidates = this.binary ? [this.binary] : (this.opts.binaries ?? STILL_BINARIES);
    for (const binary of candidates) {
      try {
        const res = await runTool(binary, args, { timeoutMs, env: this.opts.env });
        if (this.binary !== binary) {
          this.binary = binary;
          this.opts.logger.info({ camera: this.id, binary }, "using still-capture binary");
        }
        return { binary, ...res };
      } catch (err) {
        if (err instanceof ToolNotFoundError) continue;
        throw err;
      }
    }
    throw new ToolNotFoundError(candidates.join("/"));
  }
}

/** `0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/i2c0mux/i2c@1/imx708@1a)` */
export function parseCameraList(text: string): { index: number; description: string }[] {
  const cameras: { index: number; description: string }[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s*:\s*(\S.*)$/.exec(line);
    if (m) cameras.push({ index: Number(m[1]), description: m[2]!.trim() });
  }
  return cameras;
}
