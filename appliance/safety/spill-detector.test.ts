// The shipped model through onnxruntime-node on shelves the simulator draws: a spill, broken glass
// and a clean shelf, and the region it reports lying over the hazard.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderShelfDetailed, type ShelfHazard } from "../sim/shelf-renderer.js";
import { findingFromGrid, MODEL_INPUT, type ModelImage, modelImageFrom } from "./spill-detector.js";
import { OnnxSpillDetector } from "./spill-detector.onnx.js";
import { DEFAULT_THRESHOLDS } from "./thresholds.js";

const containers = [
  { qr_code: "LILO:C:000001", x: 0.2, y: 0.55, labelPx: 40, shape: "bottle" as const, color: "#2f5d9e" },
  { qr_code: "LILO:C:000002", x: 0.8, y: 0.55, labelPx: 40, shape: "jar" as const, color: "#f2f0ea" },
];

async function shelf(seed: number, hazards: ShelfHazard[]): Promise<ModelImage> {
  const shot = await renderShelfDetailed({
    containers,
    hazards,
    seed,
    width: 640,
    height: 360,
    difficulty: "medium",
  });
  return modelImageFrom(shot.jpeg);
}

const contains = (box: { x: number; y: number; w: number; h: number } | null, x: number, y: number) =>
  !!box && x >= box.x - 0.05 && x <= box.x + box.w + 0.05 && y >= box.y - 0.08 && y <= box.y + box.h + 0.08;

let detector: OnnxSpillDetector;
beforeAll(async () => {
  detector = await OnnxSpillDetector.load({ thresholds: DEFAULT_THRESHOLDS });
});
afterAll(() => detector?.close());

describe("OnnxSpillDetector", () => {
  it("finds a spill on the bottom board and marks where it is", async () => {
    const d = await detector.detect(await shelf(21, [{ kind: "spill", x: 0.5, y: 0.93, radius: 0.12 }]));
    expect(d.spill.detected).toBe(true);
    expect(d.spill.confidence).toBeGreaterThanOrEqual(DEFAULT_THRESHOLDS.spill);
    expect(contains(d.spill.box, 0.5, 0.93)).toBe(true);
    expect(d.breakage.detected).toBe(false);
  });

  it("finds broken glass on the middle board", async () => {
    const d = await detector.detect(await shelf(22, [{ kind: "breakage", x: 0.45, y: 0.64, radius: 0.1 }]));
    expect(d.breakage.detected).toBe(true);
    expect(contains(d.breakage.box, 0.45, 0.64)).toBe(true);
  });

  it("raises nothing on clean shelves", async () => {
    for (const seed of [23, 24, 25]) {
      const d = await detector.detect(await shelf(seed, []));
      expect(d.spill.detected, `seed ${seed}`).toBe(false);
      expect(d.breakage.detected, `seed ${seed}`).toBe(false);
      expect(d.spill.box).toBeNull();
    }
  });

  it("refuses an image that is not the model's input size", async () => {
    await expect(detector.detect({ rgb: new Uint8Array(10) })).rejects.toThrow(/448x256/);
    expect(MODEL_INPUT).toEqual({ width: 448, height: 256 });
  });
});

describe("findingFromGrid", () => {
  it("boxes the cells connected to the best one, ignoring a separate weaker patch", () => {
    // 4 columns x 3 rows.
    const grid = Float32Array.from([0.1, 0.9, 0.6, 0.0, 0.0, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.4]);
    const f = findingFromGrid(grid, 4, 3, 0.5);
    expect(f).toEqual({
      detected: true,
      confidence: expect.closeTo(0.9, 5),
      box: { x: 0.25, y: 0, w: 0.5, h: 0.6667 },
    });
  });

  it("reports the best score but no box below the threshold", () => {
    const f = findingFromGrid(Float32Array.from([0.2, 0.49, 0.1, 0]), 2, 2, 0.5);
    expect(f.detected).toBe(false);
    expect(f.confidence).toBeCloseTo(0.49, 5);
    expect(f.box).toBeNull();
  });
});
