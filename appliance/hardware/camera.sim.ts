import sharp from "sharp";
import type { Logger } from "../../shared/logger.js";
import type { Camera, CameraProbe, CameraShelf, CaptureOptions } from "./camera.js";
import type { SimCabinet, SimContainer, SimHazard } from "./sim-cabinet.js";

/** Same shape as `renderShelf` in appliance/sim/shelf-renderer.ts, so it can be passed directly. */
export type ShelfRenderFn = (shelf: {
  containers: SimContainer[];
  hazards?: SimHazard[];
  seed?: number;
  /** Stops of exposure compensation (a capture's `ev`). */
  exposureEv?: number;
  /** This frame's own sensor noise. */
  noiseSeed?: number;
}) => Promise<Buffer>;

export interface SimCameraOptions {
  id: string;
  shelves: CameraShelf[];
  width: number;
  height: number;
  logger: Logger;
}

/**
 * Renders each covered shelf from the cabinet state and places it at the shelf's ROI, so the
 * vision code crops exactly what it would crop from a real camera frame.
 */
export class SimCamera implements Camera {
  readonly id: string;
  readonly shelves: readonly CameraShelf[];
  private frames = 0;

  constructor(
    private readonly cabinet: SimCabinet,
    private readonly render: ShelfRenderFn,
    private readonly opts: SimCameraOptions,
  ) {
    this.id = opts.id;
    this.shelves = opts.shelves;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  async probe(): Promise<CameraProbe> {
    return { ok: true, backend: "sim", cameras: [{ index: 0, description: `sim ${this.id}` }] };
  }

  async capture(options: CaptureOptions = {}): Promise<Buffer> {
    const { width, height } = this.opts;
    // Like a real sensor, every frame has its own noise; the first renders exactly as a single
    // capture always did.
    const frame = this.frames++;
    const layers = await Promise.all(
      this.shelves.map(async ({ shelf, roi }) => {
        const state = this.cabinet.shelfState(shelf);
        // Seed by shelf so a shelf's background stays the same frame to frame.
        const img = await this.render({
          containers: state.containers,
          hazards: state.hazards,
          seed: shelf,
          ...(frame > 0 && { noiseSeed: frame * 7919 + shelf }),
          ...(options.ev && { exposureEv: options.ev }),
        });
        const left = Math.round(roi.x * width);
        const top = Math.round(roi.y * height);
        const w = Math.max(1, Math.min(width - left, Math.round(roi.w * width)));
        const h = Math.max(1, Math.min(height - top, Math.round(roi.h * height)));
        const input = await sharp(img).resize(w, h, { fit: "fill" }).toBuffer();
        return { input, left, top };
      }),
    );
    const jpeg = await sharp({
      create: { width, height, channels: 3, background: { r: 40, g: 40, b: 40 } },
    })
      .composite(layers)
      .jpeg({ quality: 90 })
      .toBuffer();
    this.opts.logger.debug({ camera: this.id, frame, ev: options.ev, bytes: jpeg.length }, "sim capture");
    return jpeg;
  }
}
