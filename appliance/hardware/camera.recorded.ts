// A camera that replays JPEGs recorded earlier (from the simulator or a real cabinet), so the
// appliance can run its real scan pipeline without a sensor and without the simulator's renderer in
// the process: what `npm run bench:footprint` measures as the cabinet's own footprint.
import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../shared/logger.js";
import type { Camera, CameraProbe, CameraShelf, CaptureOptions } from "./camera.js";

export interface RecordedCameraOptions {
  id: string;
  /** Folder of `.jpg`/`.jpeg` frames, replayed in file-name order and then from the first again. */
  dir: string;
  shelves: CameraShelf[];
  logger: Logger;
}

export class RecordedCameraError extends Error {
  constructor(camera: string, message: string, options?: ErrorOptions) {
    super(`camera ${camera} (recorded): ${message}`, options);
    this.name = "RecordedCameraError";
  }
}

const JPEG_NAME = /\.jpe?g$/i;

export class RecordedCamera implements Camera {
  readonly id: string;
  readonly shelves: readonly CameraShelf[];
  private files: string[] = [];
  private next = 0;

  constructor(private readonly opts: RecordedCameraOptions) {
    this.id = opts.id;
    this.shelves = opts.shelves;
  }

  /** Lists the frames; a missing folder or one without a JPEG is a configuration error and stops the start. */
  async start(): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.opts.dir, { withFileTypes: true });
    } catch (err) {
      throw new RecordedCameraError(this.id, `cannot read ${this.opts.dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.files = entries
      .filter((e) => e.isFile() && JPEG_NAME.test(e.name))
      .map((e) => e.name)
      .sort()
      .map((n) => join(this.opts.dir, n));
    if (this.files.length === 0)
      throw new RecordedCameraError(this.id, `no .jpg or .jpeg file in ${this.opts.dir}`);
    this.opts.logger.info({ camera: this.id, dir: this.opts.dir, frames: this.files.length }, "camera ready");
  }

  async stop(): Promise<void> {}

  async probe(): Promise<CameraProbe> {
    return {
      ok: this.files.length > 0,
      backend: "recorded",
      cameras: [{ index: 0, description: `${this.files.length} frames in ${this.opts.dir}` }],
    };
  }

  /** The next recorded frame, read afresh as a sensor would deliver it; the exposure cannot change a recording. */
  async capture(_options: CaptureOptions = {}): Promise<Buffer> {
    if (this.files.length === 0) throw new RecordedCameraError(this.id, "not started");
    const file = this.files[this.next]!;
    this.next = (this.next + 1) % this.files.length;
    return readFile(file);
  }
}
