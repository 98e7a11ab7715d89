// Spill and breakage detection on a shelf image: the seam between the scan and the model that runs
// it (spill-detector.onnx.ts). Each shelf image is decoded once, scaled to the model's input and
// scored in one pass; the model returns a grid of cells per hazard, so the region is where the
// highest-scoring cells lie.

import sharp, { type Sharp } from "sharp";

export type HazardKind = "spill" | "breakage";
export const HAZARD_KINDS: readonly HazardKind[] = ["spill", "breakage"];

/** The model sees the whole shelf at this size (16:9 frames lose little to the stretch). */
export const MODEL_INPUT = { width: 448, height: 256 } as const;
/** Each output cell covers 16x16 input pixels: a 28x16 grid over the shelf. */
export const MODEL_STRIDE = 16;

/** A region of the shelf image, as fractions of its width and height. */
export interface HazardRegion {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface HazardFinding {
  detected: boolean;
  /** Highest cell score, 0..1. */
  confidence: number;
  /** Where the highest-scoring cells lie; null when nothing reached the threshold. */
  box: HazardRegion | null;
}

export interface Detection {
  spill: HazardFinding;
  breakage: HazardFinding;
  /** Inference only (the image is already decoded). */
  ms: number;
}

/** A shelf image as the model takes it: RGB, MODEL_INPUT sized, row-major. */
export interface ModelImage {
  rgb: Uint8Array;
}

export interface SpillDetector {
  detect(image: ModelImage): Promise<Detection>;
  close(): Promise<void>;
}

/**
 * Decodes an encoded image (JPEG, PNG, ...) straight to the model's input size, or only a region of
 * it (a shelf of a camera's frame). From a JPEG, libvips decodes at 1/2, 1/4 or 1/8 scale where the
 * model's size allows (shrink-on-load): 7-8 ms of CPU for a 1920x1080 frame against 26-38 ms for a
 * full decode to raw pixels, and no frame-sized buffer (bench/NOTEBOOK.md, 2026-12-07). Training
 * (build-dataset.ts) and evaluation take the same path.
 */
export async function modelImageFrom(
  encoded: Buffer,
  region?: { left: number; top: number; width: number; height: number },
): Promise<ModelImage> {
  const img = sharp(encoded);
  return modelImage(region ? img.extract(region) : img);
}

async function modelImage(img: Sharp): Promise<ModelImage> {
  const rgb = await img
    .removeAlpha()
    .toColourspace("srgb")
    .resize(MODEL_INPUT.width, MODEL_INPUT.height, { fit: "fill" })
    .raw()
    .toBuffer();
  return { rgb: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length) };
}

/**
 * One hazard's finding from its score grid (rows x cols, row-major): the best cell's score, and the
 * box of the cells connected to it that score at least half the threshold.
 */
export function findingFromGrid(
  scores: Float32Array,
  cols: number,
  rows: number,
  threshold: number,
): HazardFinding {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  const confidence = scores[best] ?? 0;
  if (confidence < threshold) return { detected: false, confidence, box: null };
  const floor = threshold / 2;
  const seen = new Uint8Array(scores.length);
  const stack = [best];
  seen[best] = 1;
  let [c0, r0, c1, r1] = [cols, rows, -1, -1];
  while (stack.length) {
    const i = stack.pop()!;
    const c = i % cols;
    const r = (i - c) / cols;
    c0 = Math.min(c0, c);
    c1 = Math.max(c1, c);
    r0 = Math.min(r0, r);
    r1 = Math.max(r1, r);
    for (const [dc, dr] of [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ] as const) {
      const nc = c + dc;
      const nr = r + dr;
      if (nc < 0 || nr < 0 || nc >= cols || nr >= rows) continue;
      const j = nr * cols + nc;
      if (!seen[j] && scores[j]! >= floor) {
        seen[j] = 1;
        stack.push(j);
      }
    }
  }
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    detected: true,
    confidence,
    box: { x: r4(c0 / cols), y: r4(r0 / rows), w: r4((c1 - c0 + 1) / cols), h: r4((r1 - r0 + 1) / rows) },
  };
}
