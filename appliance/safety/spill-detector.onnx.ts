// The shipped spill and breakage model (model/spill-v8.onnx, see model/MODEL_CARD.md) run by
// onnxruntime-node on the CPU provider. One thread by default: the Pi's other cores keep decoding
// labels and serving the kiosk while a scan runs.

import type { InferenceSession as Session } from "onnxruntime-node";
import { fromRoot } from "../../shared/paths.js";
import {
  type Detection,
  findingFromGrid,
  MODEL_INPUT,
  MODEL_STRIDE,
  type ModelImage,
  type SpillDetector,
} from "./spill-detector.js";
import type { DetectionThresholds } from "./thresholds.js";

/** The committed model; `npm run train:spill` rebuilds it. */
export const SPILL_MODEL_PATH = fromRoot("appliance", "safety", "model", "spill-v8.onnx");

export interface OnnxSpillDetectorOptions {
  thresholds: DetectionThresholds;
  /** Defaults to the shipped model. */
  modelPath?: string;
  /** Intra-op threads; default 1. */
  threads?: number;
}

export class OnnxSpillDetector implements SpillDetector {
  private readonly input: Float32Array;

  private constructor(
    private readonly ort: typeof import("onnxruntime-node"),
    private readonly session: Session,
    private readonly thresholds: DetectionThresholds,
  ) {
    this.input = new Float32Array(3 * MODEL_INPUT.width * MODEL_INPUT.height);
  }

  static async load(options: OnnxSpillDetectorOptions): Promise<OnnxSpillDetector> {
    // Loaded on first use: commands that never detect do not pay for the native module.
    const ort = await import("onnxruntime-node");
    const session = await ort.InferenceSession.create(options.modelPath ?? SPILL_MODEL_PATH, {
      executionProviders: ["cpu"],
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    });
    return new OnnxSpillDetector(ort, session, options.thresholds);
  }

  async detect(image: ModelImage): Promise<Detection> {
    const { width, height } = MODEL_INPUT;
    const plane = width * height;
    const { rgb } = image;
    if (rgb.length !== plane * 3) throw new RangeError(`model image must be ${width}x${height} RGB`);
    const t0 = performance.now();
    const x = this.input;
    for (let i = 0, o = 0; i < plane; i++, o += 3) {
      x[i] = rgb[o]! / 255;
      x[plane + i] = rgb[o + 1]! / 255;
      x[2 * plane + i] = rgb[o + 2]! / 255;
    }
    const feeds = { image: new this.ort.Tensor("float32", x, [1, 3, height, width]) };
    const out = (await this.session.run(feeds)).cells!;
    const cells = out.data as Float32Array;
    const cols = width / MODEL_STRIDE;
    const rows = height / MODEL_STRIDE;
    const n = cols * rows;
    const ms = performance.now() - t0;
    return {
      spill: findingFromGrid(cells.subarray(0, n), cols, rows, this.thresholds.spill),
      breakage: findingFromGrid(cells.subarray(n, 2 * n), cols, rows, this.thresholds.breakage),
      ms,
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
