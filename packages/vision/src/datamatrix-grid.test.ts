// The Data Matrix grid read: a symbol bent round a bottle, which zxing and the square resample miss,
// is read through the grid fitted to its L and timing dots; the fixed patterns it redraws are the
// ones the encoder prints; a QR guess does not fire on a Data Matrix's marks.
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readBarcodes } from "zxing-wasm";
import { type CurvedShot, dataMatrix, renderCurvedShelf } from "../bench/curved-scene.js";
import { findDataMatrixFinders } from "./datamatrix-finder.js";
import { behindGrids, DATA_MATRIX_SIZES, fixedPattern, readDataMatrixGrid } from "./datamatrix-grid.js";
import { readDataMatrixRegion, readResampled } from "./datamatrix-read.js";
import { createLabelDecoder } from "./qr-decoder.js";
import type { GreyImage } from "./types.js";
import { ensureZxing } from "./zxing-module.js";

async function greyOf(shot: CurvedShot): Promise<GreyImage> {
  const { data, info } = await sharp(shot.jpeg).extractChannel(1).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * A flat symbol drawn crisp (no blur, no JPEG): `px` px a module on a white label, square to the
 * pixel grid, so every edge is a one-pixel step.
 */
function crispSymbol(text: string, [cols, rows]: [number, number], px: number): GreyImage {
  const { m } = dataMatrix(text, [cols, rows], 0);
  const margin = 20;
  const quiet = 4 * px;
  const width = cols * px + 2 * (quiet + margin);
  const height = rows * px + 2 * (quiet + margin);
  const data = new Uint8Array(width * height).fill(135);
  for (let y = margin; y < height - margin; y++) data.fill(240, y * width + margin, (y + 1) * width - margin);
  const left = margin + quiet;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!m[r * cols + c]) continue;
      for (let y = 0; y < px; y++) {
        const row = (left + r * px + y) * width + left;
        data.fill(25, row + c * px, row + (c + 1) * px);
      }
    }
  }
  return { data, width, height };
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

  it.each([
    [16, 16, 5],
    [18, 18, 4],
    [26, 12, 5],
    [36, 16, 3],
  ] as const)("reads a crisp flat %i x %i symbol at %i px a module", async (cols, rows, px) => {
    // A one-pixel step has no single steepest point: the boundary must be put at the step's middle,
    // not half a pixel outside the ink, or the L measures no thickness and no grid is built.
    const grey = crispSymbol("LILO:C:000042", [cols, rows], px);
    const [finder] = findDataMatrixFinders(grey, { x0: 0, y0: 0, x1: grey.width, y1: grey.height });
    expect(finder).toBeDefined();
    expect((await readDataMatrixGrid(grey, finder!, 0.6))?.text).toBe("LILO:C:000042");
  });

  it.each([
    ["its top row behind a dark neighbour", [16, 16], 5, "top", 50],
    ["its bottom row behind a light neighbour", [26, 12], 5, "bottom", 200],
  ] as const)("reads a symbol with %s", async (_, size, px, side, shade) => {
    // A bottle in front hides one row of modules across the whole frame: the finder sees a row
    // less, and only a grid with a hidden strip fits. (Most other sides and depths are not read
    // yet: see the notebook, 2026-12-07 "hidden strips".)
    const grey = crispSymbol("LILO:C:000042", [...size], px);
    const top = 20 + 4 * px;
    const rows = side === "top" ? [0, top + px] : [top + (size[1] - 1) * px, grey.height];
    grey.data.fill(shade, rows[0]! * grey.width, rows[1]! * grey.width);
    const [finder] = findDataMatrixFinders(grey, { x0: 0, y0: 0, x1: grey.width, y1: grey.height });
    expect(finder).toBeDefined();
    expect(await readDataMatrixGrid(grey, finder!, 0.6, false)).toBeNull();
    expect((await readDataMatrixGrid(grey, finder!, 0.6))?.text).toBe("LILO:C:000042");
  });

  it.each([
    ["its last two columns", "columns", 16, 18, 60, false],
    ["its last three columns", "columns", 15, 18, 110, false],
    ["its first two columns, the L's side", "columns", 0, 2, 90, true],
    ["its last three rows, the L's side", "rows", 15, 18, 70, true],
  ] as const)(
    "reads an 18 x 18 symbol whose neighbour hides %s",
    async (_, across, from, to, shade, atCorner) => {
      // A bottle standing in front covers some of the symbol's columns (or rows) and everything
      // beyond them: its smooth grey joins the symbol's blob. Taken out, the symbol's own rectangle
      // gives a finder behind it, whose grid spaces the hidden modules by the visible timing dots
      // (counted from the end the neighbour leaves) and leaves them to the erasure correction.
      const px = 5;
      const grey = crispSymbol("LILO:C:000042", [18, 18], px);
      const start = 20 + 4 * px;
      const side = across === "columns" ? grey.width : grey.height;
      const [a, b] = [from === 0 ? 0 : start + from * px, to === 18 ? side : start + to * px];
      if (across === "rows") grey.data.fill(shade, a * grey.width, b * grey.width);
      else
        for (let y = 0; y < grey.height; y++) grey.data.fill(shade, y * grey.width + a, y * grey.width + b);
      const region = { x0: 0, y0: 0, x1: grey.width, y1: grey.height };
      const finders = findDataMatrixFinders(grey, region);
      const behind = finders.find((f) => f.behind);
      expect(behind?.cut?.atCorner).toBe(atCorner);
      // The grid behind the neighbour hides the covered columns (and perhaps the one it blurs).
      const hidden = behindGrids(grey, behind!)
        .filter((g) => g.na === 18 && g.nb === 18)
        .map((g) => g.hiddenA ?? g.hiddenB);
      const covered = to - from;
      expect(hidden.some((r) => !!r && r[1] - r[0] >= covered && r[1] - r[0] <= covered + 1)).toBe(true);
      expect((await readDataMatrixGrid(grey, behind!, 0.6))?.text).toBe("LILO:C:000042");
      // Without the neighbour taken out, the finders found read nothing by any of the region's reads.
      const plain = findDataMatrixFinders(grey, region, false);
      expect(plain.length).toBeGreaterThan(0);
      expect((await readDataMatrixRegion(grey, region, 0.6, plain)).codes).toEqual([]);
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
