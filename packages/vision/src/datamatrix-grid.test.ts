// The Data Matrix grid read: a symbol bent round a bottle, which zxing and the square resample miss,
// is read through the grid fitted to its L and timing dots; the fixed patterns it redraws are the
// ones the encoder prints; a QR guess does not fire on a Data Matrix's marks.
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readBarcodes } from "zxing-wasm";
import { type CurvedShot, dataMatrix, renderCurvedShelf } from "../bench/curved-scene.js";
import { findDataMatrixFinders } from "./datamatrix-finder.js";
import { DATA_MATRIX_SIZES, fixedPattern, readDataMatrixGrid } from "./datamatrix-grid.js";
import { readResampled } from "./datamatrix-read.js";
import { createLabelDecoder } from "./qr-decoder.js";
import type { GreyImage } from "./types.js";
import { ensureZxing } from "./zxing-module.js";

async function greyOf(shot: CurvedShot): Promise<GreyImage> {
  const { data, info } = await sharp(shot.jpeg).extractChannel(1).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** One labelled bottle, the label facing the camera, pitched down so its rows bow. */
function bentBottle(seed: number, radiusMm: number): Promise<CurvedShot> {
  return renderCurvedShelf({
    seed,
    symbology: "datamatrix",
    bottles: 1,
    width: 640,
    height: 480,
    fixed: {
      radiusMm,
      halfAngle: 0.75,
      pitchDeg: 24,
      modulePx: 4,
      yaw: 0,
      glare: false,
      occlusion: -1,
      blur: 0.6,
    },
  });
}

describe("the Data Matrix grid read", () => {
  beforeAll(() => ensureZxing());

  it.each([
    ["a square on a large bottle", 1, 32],
    ["a rectangle along a small bottle's axis", 2, 18],
  ])(
    "reads %s bent by most of a module, which zxing and the square resample miss",
    async (_, seed, radius) => {
      const shot = await bentBottle(seed, radius);
      const code = shot.codes[0]!;
      expect(code.bendModules).toBeGreaterThan(0.6);
      expect((await readBarcodes(shot.jpeg)).filter((r) => r.isValid)).toEqual([]);
      const grey = await greyOf(shot);
      const [finder] = findDataMatrixFinders(grey, { x0: 0, y0: 0, x1: grey.width, y1: grey.height });
      expect(finder).toBeDefined();
      expect(await readResampled(grey, finder!, 0.6)).toBeNull();
      const read = await readDataMatrixGrid(grey, finder!, 0.6);
      expect(read?.text).toBe(code.text);
      // The corners enclose the symbol's centre.
      const xs = read!.corners.map((p) => p[0]);
      const ys = read!.corners.map((p) => p[1]);
      expect(code.center[0]).toBeGreaterThan(Math.min(...xs));
      expect(code.center[0]).toBeLessThan(Math.max(...xs));
      expect(code.center[1]).toBeGreaterThan(Math.min(...ys));
      expect(code.center[1]).toBeLessThan(Math.max(...ys));
    },
  );

  it.each(DATA_MATRIX_SIZES.map(([rows, cols]) => ({ rows, cols })))(
    "redraws the $rows x $cols symbol's finder and alignment patterns as the encoder prints them",
    ({ rows, cols }) => {
      const { m } = dataMatrix("42", [cols, rows], 0);
      const fixed = fixedPattern(cols, rows);
      let known = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const f = fixed(c, r);
          if (f === undefined) continue;
          known++;
          expect(f, `module ${c},${r}`).toBe(m[r * cols + c]);
        }
      }
      // At least the outer L and timing edges.
      expect(known).toBeGreaterThanOrEqual(2 * (rows + cols) - 4);
    },
  );
});

describe("QR guesses on a Data Matrix shelf", () => {
  it("read no code that is not on the shelf", async () => {
    // Seed 9007 of bench:datamatrix: a 16x36 whose L and timing edges passed for two QR finder
    // patterns, and the QR pair guess read "401929" there.
    const shot = await renderCurvedShelf({ seed: 9007, symbology: "datamatrix" });
    const decoder = createLabelDecoder({ workers: 0 });
    try {
      const { codes } = await decoder.decode(shot.jpeg);
      const truth = new Set(shot.codes.map((c) => c.text));
      expect(codes.filter((c) => !truth.has(c.text))).toEqual([]);
    } finally {
      await decoder.close();
    }
  });
});
