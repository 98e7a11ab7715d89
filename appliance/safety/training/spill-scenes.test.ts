import { describe, expect, it } from "vitest";
import { closeUpSceneFor, SPLIT_SEEDS, sceneFor, sceneOf } from "./spill-scenes.js";

const labelSizes = (scenes: ReturnType<typeof sceneFor>[]) =>
  scenes.flatMap((s) => s.scene.containers.map((c) => c.labelPx!)).sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("spill training scenes", () => {
  it("keeps the renderer's splits on sceneFor and draws the close-up splits from their own seeds", () => {
    expect(sceneOf("test", 7)).toEqual(sceneFor(SPLIT_SEEDS.test + 7));
    expect(sceneOf("val-close", 7)).toEqual(closeUpSceneFor(SPLIT_SEEDS["val-close"] + 7));
    const seeds = Object.values(SPLIT_SEEDS).sort((a, b) => a - b);
    for (let k = 1; k < seeds.length; k++)
      expect(seeds[k]! - seeds[k - 1]!).toBeGreaterThanOrEqual(1_000_000);
  });

  it("draws close-up shelves with labels larger than sceneFor's largest, mostly clean", () => {
    const close = range(300).map((i) => closeUpSceneFor(SPLIT_SEEDS["train-close"] + i));
    const plain = range(300).map((i) => sceneFor(SPLIT_SEEDS.train + i));
    const closeSizes = labelSizes(close);
    expect(closeSizes[Math.floor(closeSizes.length / 2)]!).toBeGreaterThan(1.4 * labelSizes(plain).at(-1)!);
    expect(close.some((s) => s.scene.containers.some((c) => c.label === "printed"))).toBe(true);
    expect(close.some((s) => s.scene.containers.some((c) => c.label === "qr"))).toBe(true);
    const clean = close.filter((s) => (s.scene.hazards ?? []).length === 0).length / close.length;
    expect(clean).toBeGreaterThan(0.6);
    expect(clean).toBeLessThan(0.8);
  });

  it("is a pure function of the seed", () => {
    expect(closeUpSceneFor(4_000_123)).toEqual(closeUpSceneFor(4_000_123));
    expect(closeUpSceneFor(4_000_123)).not.toEqual(closeUpSceneFor(4_000_124));
  });
});
