// The Data Matrix finder on symbols a glare stripe or a slant breaks up: the stripe splits the
// symbol's blob, and the finder's rectangle then stops at it (widener takes the rest back in);
// a symbol seen at a slant meets its tightest rectangle at an angle, and the depth to its solid
// edge drifts along it (edgeKind fits the line the ink follows).
import { afterAll, describe, expect, it } from "vitest";
import { dataMatrix, renderCurvedShelf } from "../bench/curved-scene.js";
import { findDataMatrixFinders, widener } from "./datamatrix-finder.js";
import { readDataMatrixRegion } from "./datamatrix-read.js";
import { createLabelDecoder } from "./qr-decoder.js";
import type { GreyImage } from "./types.js";
import { ensureZxing } from "./zxing-module.js";

const TEXT = "LILO:C:000042";
const MODULE = 6;
const [LX, LY] = [200, 120];

/**
 * A label with a 16x16 symbol at (LX, LY), and a glare stripe down it: `from` to `to` modules
 * from its left edge, ink there lifted to paper's grey.
 */
function glared(from: number, to: number): GreyImage {
  const W = 600;
  const H = 400;
  const data = new Uint8Array(W * H).fill(120);
  const { m, cols, rows } = dataMatrix(TEXT, [16, 16], 0);
  const quiet = 3 * MODULE;
  for (let y = LY - quiet; y < LY + rows * MODULE + quiet; y++)
    data.fill(235, y * W + LX - quiet, y * W + LX + cols * MODULE + quiet);
  for (let j = 0; j < rows; j++)
    for (let i = 0; i < cols; i++)
      if (m[j * cols + i])
        for (let y = 0; y < MODULE; y++)
          data.fill(
            25,
            (LY + j * MODULE + y) * W + LX + i * MODULE,
            (LY + j * MODULE + y) * W + LX + (i + 1) * MODULE,
          );
  for (let y = LY - quiet; y < LY + rows * MODULE + quiet; y++)
    for (let x = LX + Math.round(from * MODULE); x < LX + Math.round(to * MODULE); x++) data[y * W + x] = 230;
  return { data, width: W, height: H };
}

const region = { x0: LX - 60, y0: LY - 60, x1: LX + 16 * MODULE + 60, y1: LY + 16 * MODULE + 60 };

describe("Data Matrix finder", () => {
  it("reads a symbol whose last four columns a glare stripe cut off from the rest", async () => {
    await ensureZxing();
    const grey = glared(10.5, 12);
    // The stripe splits the blob: the rectangle found first ends at the stripe.
    const [first] = findDataMatrixFinders(grey, region);
    expect(first).toBeDefined();
    expect(first!.bounds.x1).toBeLessThan(LX + 11 * MODULE);
    // Widened past that edge, the rectangle takes in the columns beyond the stripe.
    const widen = widener(grey, first!, 1);
    const wide = [0.25, 0.5, 1]
      .flatMap((reach) => [widen({ side: 0, reach }), widen({ side: 1, reach })])
      .find((f) => f && f.bounds.x1 >= LX + 15.5 * MODULE);
    expect(wide).toBeDefined();
    const read = await readDataMatrixRegion(grey, region);
    expect(read.codes.map((c) => c.text)).toEqual([TEXT]);
  });

  it("reads the same symbol without the stripe (the check above is the stripe's doing)", async () => {
    await ensureZxing();
    const read = await readDataMatrixRegion(glared(0, 0), region);
    expect(read.codes.map((c) => c.text)).toEqual([TEXT]);
  });

  describe("on bottles of the curved bench that the finder used to miss", () => {
    const decoder = createLabelDecoder({ workers: 0 });
    afterAll(() => decoder.close());

    it.each([
      // Glare stripe across the last two columns of a 16x36 rectangle (6.8 px modules).
      [9002, "LILO:C:412386"],
      // Glare stripe down the middle of an 18x18 square: half the symbol past it.
      [9210, "LILO:C:791137"],
      // 18x18 squares of 2.5 px modules under glare: their solid edges pass as solid only with
      // the line the ink follows fitted (without it, both are missed).
      [9115, "LILO:C:392120"],
      [9115, "LILO:C:425784"],
    ])("reads scene %i's %s", async (seed, text) => {
      const shot = await renderCurvedShelf({ seed, symbology: "datamatrix" });
      expect(shot.codes.map((c) => c.text)).toContain(text);
      const r = await decoder.decode(shot.jpeg);
      expect(r.codes.map((c) => c.text)).toContain(text);
    });
  });
});
