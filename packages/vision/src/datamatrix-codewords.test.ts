import zxing from "@zxing/library";
import { describe, expect, it } from "vitest";
import { dataMatrix } from "../bench/curved-scene.js";
import { createRng } from "../bench/rng.js";
import { correctModules, dataMatrixCodewords, modulePlacement } from "./datamatrix-codewords.js";
import { DATA_MATRIX_SIZES, fixedPattern } from "./datamatrix-grid.js";

/** Every size as drawn, columns x rows (rectangles wider than tall). */
const SIZES = DATA_MATRIX_SIZES.map(([r, c]): [number, number] => [c, r]);

describe("Data Matrix codeword placement", () => {
  it.each(SIZES)("puts each codeword's bits where zxing's encoder does, %ix%i", (cols, rows) => {
    const size = dataMatrixCodewords(cols, rows)!;
    const info = zxing.DataMatrixSymbolInfo.lookup(size.data, cols === rows ? 1 : 2);
    expect([
      info.getDataCapacity(),
      info.getErrorCodewords(),
      info.getSymbolWidth(),
      info.getSymbolHeight(),
    ]).toEqual([size.data, size.ec, cols, rows]);
    const rng = createRng(cols * 100 + rows);
    const codewords = Array.from({ length: size.data + size.ec }, () => Math.floor(rng() * 256));
    const zx = new zxing.DataMatrixDefaultPlacement(
      String.fromCharCode(...codewords),
      info.getSymbolDataWidth(),
      info.getSymbolDataHeight(),
    );
    zx.place();
    const place = modulePlacement(cols, rows);
    const fixed = fixedPattern(cols, rows);
    // The data modules, row by row with the finder and alignment patterns left out, make up the
    // mapping matrix zxing places codewords in.
    let compared = 0;
    let mr = 0;
    for (let r = 0; r < rows; r++) {
      let mc = 0;
      for (let c = 0; c < cols; c++) {
        if (fixed(c, r) !== undefined) continue;
        const p = place[r * cols + c]!;
        if (p >= 0) {
          expect(zx.getBit(mc, mr)).toBe(((codewords[p >> 3]! >> (7 - (p & 7))) & 1) === 1);
          compared++;
        }
        mc++;
      }
      if (mc) mr++;
    }
    expect(mr).toBe(info.getSymbolDataHeight());
    expect(compared).toBe(8 * (size.data + size.ec));
  });
});

describe("correctModules", () => {
  const TEXT = "LILO:C:000042";
  // Columns, rows, how many lines inside a timing edge a dark neighbour hides (along the symbol's
  // long side: a rectangle stands along the bottle), enough that error correction alone (zxing's
  // reader) cannot repair it, and how many modules elsewhere are misread, sampled grey.
  const cases: [number, number, number, number][] = [
    [16, 16, 3, 2],
    [18, 18, 3, 2],
    [26, 12, 1, 2],
    [36, 12, 1, 2],
    [36, 16, 3, 1],
  ];

  it.each(cases)(
    "restores a %ix%i symbol with %i hidden lines and %i misread modules",
    (cols, rows, lines, misread) => {
      const { m } = dataMatrix(TEXT, [cols, rows], 0);
      const rng = createRng(cols + rows);
      const seen = Uint8Array.from(m);
      const conf = new Float32Array(m.length).fill(1);
      // The hidden lines read as ink, with nothing to say so.
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++)
          if (cols > rows ? r >= 1 && r <= lines : c >= cols - 1 - lines && c < cols - 1)
            seen[r * cols + c] = 1;
      for (const k of [rows * cols * 0.55, rows * cols * 0.4].slice(0, misread).map(Math.floor)) {
        seen[k]! ^= 1;
        conf[k] = 0.1 * rng();
      }
      const place = modulePlacement(cols, rows);
      const wrong = new Set(
        [...place.keys()].filter((k) => place[k]! >= 0 && seen[k] !== m[k]).map((k) => place[k]! >> 3),
      );
      expect(2 * wrong.size).toBeGreaterThan(dataMatrixCodewords(cols, rows)!.ec);
      const fixed = correctModules(seen, conf, cols, rows);
      expect(fixed).not.toBeNull();
      for (let k = 0; k < m.length; k++) if (place[k]! >= 0) expect(fixed!.bits[k]).toBe(m[k]);
      expect(fixed!.erasures).toBeGreaterThan(0);
    },
  );

  it("refuses a symbol damaged past its check codewords, and garbage", () => {
    const { m } = dataMatrix(TEXT, [16, 16], 0);
    const rng = createRng(5);
    const conf = Float32Array.from(m, () => rng());
    const smudged = Uint8Array.from(m, (v, k) => (k % 16 > 2 && k % 16 < 12 && rng() < 0.5 ? 1 - v : v));
    expect(correctModules(smudged, conf, 16, 16)).toBeNull();
    const noise = Uint8Array.from(m, () => (rng() < 0.5 ? 1 : 0));
    expect(correctModules(noise, conf, 16, 16)).toBeNull();
  });

  it("knows only the one-block sizes", () => {
    expect(correctModules(new Uint8Array(52 * 52), new Float32Array(52 * 52), 52, 52)).toBeNull();
  });
});
