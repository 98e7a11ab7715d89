import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBarcodes } from "zxing-wasm";
import { type CurvedSceneOptions, type CurvedShot, renderCurvedShelf } from "../bench/curved-scene.js";
import {
  type FinderPattern,
  findFinderPatterns,
  flattenColumns,
  localMeanThreshold,
  pickPairs,
  pickTriples,
  readCurvedPair,
  readCurvedRegion,
  readCurvedTriple,
  readFlattened,
  tripleBounds,
} from "./curved-read.js";
import { createLabelDecoder } from "./qr-decoder.js";
import type { DecodedLabel, GreyImage } from "./types.js";
import { ensureZxing } from "./zxing-module.js";

const decoder = createLabelDecoder();
/** The full-frame pass only: for the grey frame and what zxing reads on its own. */
const firstPass = createLabelDecoder({ secondPass: false, workers: 0 });
afterAll(() => Promise.all([decoder.close(), firstPass.close()]));

describe("curved labels", () => {
  let shot: CurvedShot;

  beforeAll(async () => {
    await ensureZxing();
    // One bottle, 30 mm radius, camera 20 degrees down: the code's top row sags over a module.
    shot = await renderCurvedShelf({
      seed: 1,
      bottles: 1,
      fixed: { radiusMm: 30, halfAngle: 0.7, pitchDeg: 20, modulePx: 5, yaw: 0, glare: false, occlusion: -1 },
    });
  });

  it("reads a bent label that zxing's plain call misses", async () => {
    const code = shot.codes[0]!;
    expect(code.bendModules).toBeGreaterThan(1);
    const plain = await readBarcodes(shot.jpeg, { formats: ["QRCode"] });
    expect(plain.filter((r) => r.isValid).map((r) => r.text)).not.toContain(code.text);
    const result = await decoder.decode(shot.jpeg);
    expect(result.codes.map((c) => c.text)).toEqual([code.text]);
    const c = result.codes[0]!;
    const cx = c.corners.reduce((a, p) => a + p[0], 0) / 4;
    const cy = c.corners.reduce((a, p) => a + p[1], 0) / 4;
    expect(Math.hypot(cx - code.center[0], cy - code.center[1])).toBeLessThan(4 * code.modulePx);
  });

  it("finds nothing, and invents nothing, in a blank or noisy region", async () => {
    const w = 400;
    const h = 300;
    const noise = new Uint8Array(w * h);
    let s = 11;
    for (let i = 0; i < noise.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      noise[i] = s >>> 24;
    }
    const region = { x0: 0, y0: 0, x1: w, y1: h };
    expect(await readCurvedRegion({ data: noise, width: w, height: h }, region)).toEqual([]);
    expect(
      await readCurvedRegion({ data: new Uint8Array(w * h).fill(128), width: w, height: h }, region),
    ).toEqual([]);
    const png = await sharp(Buffer.from(noise), { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toBuffer();
    expect((await decoder.decode(png)).codes).toEqual([]);
  });

  it("reads a label from the finder triple found in a larger region", async () => {
    const code = shot.codes[0]!;
    const [cx, cy] = code.center;
    const half = 40 * code.modulePx;
    const grey = (await decoder.decode(shot.jpeg)).grey;
    const finders = findFinderPatterns(grey, {
      x0: cx - half,
      y0: cy - half,
      x1: cx + half,
      y1: cy + half,
    });
    const triples = pickTriples(finders);
    expect(triples.length).toBeGreaterThan(0);
    const b = tripleBounds(triples[0]!);
    expect(cx).toBeGreaterThan(b.x0);
    expect(cx).toBeLessThan(b.x1);
    expect(cy).toBeGreaterThan(b.y0);
    expect(cy).toBeLessThan(b.y1);
    const hits = await readCurvedTriple(grey, triples[0]!);
    expect(hits.map((h) => h.text)).toEqual([code.text]);
  });
});

describe("pickTriples", () => {
  const f = (x: number, y: number, hits = 5): FinderPattern => ({ x, y, width: 21, height: 21, hits });

  it("splits two symbols side by side into their own triples, each finder used once", () => {
    // 3 px modules, finder centres 18 modules apart; the second symbol 40 modules to the right.
    const a = [f(100, 100), f(100, 154), f(154, 100)];
    const b = [f(220, 100), f(220, 154), f(274, 100)];
    const triples = pickTriples([...a, ...b]);
    expect(triples).toHaveLength(2);
    const sets = triples.map((t) => new Set([t.corner, t.along, t.across]));
    expect(sets.some((s) => a.every((p) => s.has(p)))).toBe(true);
    expect(sets.some((s) => b.every((p) => s.has(p)))).toBe(true);
    const bounds = tripleBounds(triples.find((t) => a.includes(t.corner))!);
    // The fourth corner (154, 154) and the finders' own extent are inside.
    expect(bounds.x0).toBeLessThan(100 - 10.5);
    expect(bounds.x1).toBeGreaterThan(154 + 10.5);
    expect(bounds.y1).toBeGreaterThan(154 + 10.5);
  });

  it("returns nothing for fewer than three finders or no right angle", () => {
    expect(pickTriples([f(0, 0), f(0, 54)])).toEqual([]);
    expect(pickTriples([f(0, 0), f(0, 54), f(0, 108)])).toEqual([]);
  });
});

/** Mean of a code's four corners. */
function centreOf(c: DecodedLabel): [number, number] {
  return [c.corners.reduce((a, p) => a + p[0], 0) / 4, c.corners.reduce((a, p) => a + p[1], 0) / 4];
}

/** A 640x480 frame of one labelled bottle. */
function oneBottle(seed: number, fixed: CurvedSceneOptions["fixed"]): Promise<CurvedShot> {
  return renderCurvedShelf({ seed, bottles: 1, width: 640, height: 480, fixed });
}

/** A square region of half-size `half` round (x, y). */
function around(x: number, y: number, half: number) {
  return { x0: x - half, y0: y - half, x1: x + half, y1: y + half };
}

/** Deterministic noise (same LCG as the noisy-region test above). */
function noiseImage(w: number, h: number, seed: number): GreyImage {
  const data = new Uint8Array(w * h);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width: w, height: h };
}

/** The occluded scene of the pair and cut-finder tests, with the finders found round its code. */
async function cutScene() {
  const shot = await oneBottle(101, { occlusion: 0.08, glare: false, modulePx: 5 });
  const code = shot.codes[0]!;
  expect(code.readable).toBe(true);
  expect(code.occlusion).toBeGreaterThan(0.05);
  expect(code.occlusion).toBeLessThanOrEqual(0.1);
  const plain = await readBarcodes(shot.jpeg, { formats: ["QRCode"] });
  expect(plain.filter((r) => r.isValid).map((r) => r.text)).not.toContain(code.text);
  const { grey } = await firstPass.decode(shot.jpeg);
  const m = code.modulePx;
  const [cx, cy] = code.center;
  const finders = findFinderPatterns(grey, around(cx, cy, 20 * m));
  // Finder centres sit 3.5 modules in from the symbol's edges.
  const off = ((code.version === 1 ? 21 : 25) / 2 - 3.5) * m;
  const near = (x: number, y: number) => finders.filter((f) => Math.hypot(f.x - x, f.y - y) < 3 * m);
  return { shot, code, grey, finders, near, off };
}

describe("readCurvedPair", () => {
  beforeAll(async () => {
    await ensureZxing();
  });

  it("reads a label from two finder patterns when the third is hidden", async () => {
    // Seed 101, 640x480, fixed occlusion 0.08, 5 px modules, no glare: a light neighbour standing in
    // front cuts the two outer module columns off the top-right finder (8% of the version-2 symbol
    // hidden, within its error correction), and plain zxing misses the code. Chosen from a sweep
    // of seeds 1-200 at occlusion 0.06-0.09.
    const { shot, code, grey, finders, near, off } = await cutScene();
    const m = code.modulePx;
    const [cx, cy] = code.center;
    const topLeft = near(cx - off, cy - off);
    const bottomLeft = near(cx - off, cy + off);
    expect(topLeft).toHaveLength(1);
    expect(bottomLeft).toHaveLength(1);
    // Given only the left column's two finders, the pair read places the third.
    const hits = await readCurvedPair(grey, topLeft[0]!, bottomLeft[0]!);
    expect(hits.map((h) => h.text)).toEqual([code.text]);
    const [hx, hy] = centreOf(hits[0]!);
    expect(Math.hypot(hx - cx, hy - cy)).toBeLessThan(3 * m);
    expect(finders.length).toBeGreaterThan(0);
    const result = await decoder.decode(shot.jpeg);
    expect(result.codes.map((c) => c.text)).toEqual([code.text]);
  });

  it("finds the finder pattern the neighbour cuts, from the rings left showing", async () => {
    const { code, finders, near, off } = await cutScene();
    const m = code.modulePx;
    const [cx, cy] = code.center;
    const topRight = near(cx + off, cy - off);
    expect(topRight).toHaveLength(1);
    // Its centre comes from the visible rings, not from the run cut short by the neighbour.
    expect(Math.hypot(topRight[0]!.x - (cx + off), topRight[0]!.y - (cy - off))).toBeLessThan(1.5 * m);
    const [t] = pickTriples(finders);
    expect(t).toBeDefined();
    expect(new Set([t!.corner, t!.along, t!.across])).toEqual(
      new Set([near(cx - off, cy - off)[0]!, near(cx - off, cy + off)[0]!, topRight[0]!]),
    );
  });

  it("reads nothing from two points that are not finder patterns", async () => {
    const w = 300;
    const h = 300;
    const like = (x: number, y: number): FinderPattern => ({ x, y, width: 28, height: 28, hits: 5 });
    // 20 modules apart, along and across the axis: far enough apart that the unwrap and read are tried.
    const along: [FinderPattern, FinderPattern] = [like(100, 100), like(100, 180)];
    const across: [FinderPattern, FinderPattern] = [like(100, 100), like(180, 100)];
    const noise = noiseImage(w, h, 7);
    const blank: GreyImage = { data: new Uint8Array(w * h).fill(128), width: w, height: h };
    for (const img of [noise, blank]) {
      const before = Uint8Array.from(img.data);
      expect(await readCurvedPair(img, ...along)).toEqual([]);
      expect(await readCurvedPair(img, ...across)).toEqual([]);
      // A diagonal pair or one too far apart for versions 1-4 is not tried.
      expect(await readCurvedPair(img, like(100, 100), like(180, 180))).toEqual([]);
      expect(await readCurvedPair(img, like(20, 20), like(20, 280))).toEqual([]);
      // The finder patterns are painted into a copy, never into the frame.
      expect(img.data).toEqual(before);
    }
  });
});

describe("glare", () => {
  beforeAll(async () => {
    await ensureZxing();
  });

  it("reads a blurred small label whose finder rings merge at the default threshold window", async () => {
    // Seed 9, 640x480: 2.2 px modules under a blur of sigma 1.2 px. Chosen from seeds 1-80 as one
    // where the default finder search finds no symbol, the 4 px window does, and the code reads.
    const shot = await oneBottle(9, { occlusion: -1, glare: false, modulePx: 2.4, blur: 1.2 });
    const code = shot.codes[0]!;
    expect(code.readable).toBe(true);
    const plain = await readBarcodes(shot.jpeg, { formats: ["QRCode"] });
    expect(plain.filter((r) => r.isValid).map((r) => r.text)).not.toContain(code.text);

    const { grey, codes } = await decoder.decode(shot.jpeg);
    const m = code.modulePx;
    const [cx, cy] = code.center;
    const region = around(cx, cy, 18 * m);
    expect(pickTriples(findFinderPatterns(grey, region), 1)).toEqual([]);
    const fine = pickTriples(findFinderPatterns(grey, region, 4), 1)[0];
    // The three found lie on the symbol: a finder centre sits 9-12 modules from its centre, diagonally.
    for (const f of [fine!.corner, fine!.along, fine!.across])
      expect(Math.hypot(f.x - cx, f.y - cy)).toBeLessThan(14 * m);
    expect(codes.map((c) => c.text)).toContain(code.text);
  });

  it("unwraps on the finders found at the small window when those found at the default one mislead", async () => {
    // Seed 39, 640x480, 2.5 px modules under a blur of sigma 1.2 px: the default search gives a
    // triple whose unwrap reads nothing (blur shifts or merges finders); the 4 px window's triple
    // reads the code, and the second pass tries it when the first fails.
    const shot = await oneBottle(39, { occlusion: -1, modulePx: 2.5, blur: 1.2 });
    const code = shot.codes[0]!;
    expect(code.readable).toBe(true);
    const { grey, codes } = await decoder.decode(shot.jpeg);
    const m = code.modulePx;
    const region = around(code.center[0], code.center[1], 18 * m);
    const first = pickTriples(findFinderPatterns(grey, region), 1)[0]!;
    const fine = pickTriples(findFinderPatterns(grey, region, 4), 1)[0]!;
    expect(await readCurvedTriple(grey, first, 0.6)).toEqual([]);
    expect((await readCurvedTriple(grey, fine, 0.6)).map((c) => c.text)).toEqual([code.text]);
    expect(codes.map((c) => c.text)).toContain(code.text);
  });

  it("reads a label a glare stripe washes out once its columns are flattened", async () => {
    // Seed 14, 640x480, glare on, no neighbour, 4.5 px modules: a 15 mm bottle whose specular stripe
    // runs down the code's right-hand finder column. Chosen from seeds 1-60 as one where plain zxing,
    // the curved read of the raw region and a pair read of its raw finders all miss the code, so
    // the flattening is what reads it.
    const shot = await oneBottle(14, { occlusion: -1, glare: true, modulePx: 4.5 });
    const code = shot.codes[0]!;
    expect(code.glare).toBe(true);
    expect(code.readable).toBe(true);
    const plain = await readBarcodes(shot.jpeg, { formats: ["QRCode"] });
    expect(plain.filter((r) => r.isValid).map((r) => r.text)).not.toContain(code.text);

    const { grey } = await firstPass.decode(shot.jpeg);
    const m = code.modulePx;
    const [cx, cy] = code.center;
    const region = around(cx, cy, 18 * m);
    expect(await readCurvedRegion(grey, region)).toEqual([]);
    for (const [a, b] of pickPairs(findFinderPatterns(grey, region), 1))
      expect(await readCurvedPair(grey, a, b)).toEqual([]);

    const hits = await readFlattened(grey, region);
    expect(hits.map((h) => h.text)).toEqual([code.text]);
    // Corners come back in frame pixels, not in the flattened crop's.
    const [hx, hy] = centreOf(hits[0]!);
    expect(Math.hypot(hx - cx, hy - cy)).toBeLessThan(3 * m);
  });

  it("flattenColumns separates ink and paper under a glare stripe and leaves the source alone", () => {
    const w = 120;
    const h = 80;
    // Additive glare: +150 over columns 50-69, ramping in and out over 8 columns on each side.
    const glare = (x: number) => 150 * Math.max(0, Math.min(1, (x - 42) / 8, (77 - x) / 8));
    const ink = (x: number, y: number) => ((x >> 2) + (y >> 2)) % 2 === 1;
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) data[y * w + x] = Math.min(255, (ink(x, y) ? 30 : 220) + glare(x));
    const grey: GreyImage = { data, width: w, height: h };
    const before = Uint8Array.from(data);
    // Under the stripe the ink is lighter than a global mid-grey threshold would take for paper.
    expect(ink(60, 0)).toBe(true);
    expect(data[60]).toBe(180);

    const { img, x0, y0 } = flattenColumns(grey, { x0: 0, y0: 0, x1: w, y1: h });
    expect(data).toEqual(before);
    expect([x0, y0, img.width, img.height]).toEqual([0, 0, w, h]);
    let checked = 0;
    for (let x = 0; x < w; x++) {
      for (let y = 0; y < h; y++) {
        const v = img.data[y * w + x]!;
        if (ink(x, y)) expect(v, `ink at ${x},${y}`).toBeLessThan(80);
        else expect(v, `paper at ${x},${y}`).toBeGreaterThan(180);
        if (glare(x) > 0) checked++;
      }
    }
    expect(checked).toBeGreaterThan(20 * h);

    // A sub-region comes back as its own crop, offset by its (floored) origin.
    const sub = flattenColumns(grey, { x0: 40.6, y0: 8, x1: 90, y1: 72 });
    expect([sub.x0, sub.y0, sub.img.width, sub.img.height]).toEqual([40, 8, 50, 64]);
    for (let y = 0; y < sub.img.height; y++)
      for (let x = 0; x < sub.img.width; x++) {
        const v = sub.img.data[y * sub.img.width + x]!;
        if (ink(x + sub.x0, y + sub.y0)) expect(v).toBeLessThan(80);
        else expect(v).toBeGreaterThan(180);
      }
    expect(data).toEqual(before);
  });
});

describe("findFinderPatterns", () => {
  it("finds a finder whose outer ring runs into a dark neighbour", () => {
    // 7x7 modules of 4 px with its top-left corner at (32, 36): centre (46, 50). Paper on three
    // sides; a dark neighbour fills everything right of the finder, touching its outer ring.
    const mod = 4;
    const w = 120;
    const h = 100;
    const left = 32;
    const top = 36;
    const data = new Uint8Array(w * h).fill(220);
    for (let y = 0; y < h; y++) for (let x = left + 7 * mod; x < w; x++) data[y * w + x] = 40;
    for (let j = 0; j < 7; j++)
      for (let i = 0; i < 7; i++) {
        // Rings from the centre: core (0, 1) and outer ring (3) dark, ring 2 light.
        if (Math.max(Math.abs(i - 3), Math.abs(j - 3)) === 2) continue;
        for (let y = 0; y < mod; y++)
          for (let x = 0; x < mod; x++) data[(top + j * mod + y) * w + left + i * mod + x] = 30;
      }
    const found = findFinderPatterns({ data, width: w, height: h }, { x0: 0, y0: 0, x1: w, y1: h });
    const tx = left + 3.5 * mod;
    const ty = top + 3.5 * mod;
    const hit = found.find((f) => Math.hypot(f.x - tx, f.y - ty) < 7 * mod);
    expect(hit).toBeDefined();
    expect(Math.abs(hit!.x - tx)).toBeLessThan(mod);
    expect(Math.abs(hit!.y - ty)).toBeLessThan(mod);
    expect(Math.abs(hit!.width - 7 * mod)).toBeLessThan(mod);
    expect(Math.abs(hit!.height - 7 * mod)).toBeLessThan(mod);
  });
});

describe("localMeanThreshold", () => {
  /** The definition: darker than the mean of the window clipped to the region, less 4. */
  function byDefinition(
    grey: GreyImage,
    x0: number,
    y0: number,
    w: number,
    h: number,
    rad: number,
  ): Uint8Array {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let sum = 0;
        let n = 0;
        for (let yy = Math.max(0, y - rad); yy <= Math.min(h - 1, y + rad); yy++)
          for (let xx = Math.max(0, x - rad); xx <= Math.min(w - 1, x + rad); xx++) {
            sum += grey.data[(y0 + yy) * grey.width + x0 + xx]!;
            n++;
          }
        out[y * w + x] = (grey.data[(y0 + y) * grey.width + x0 + x]! + 4) * n < sum ? 1 : 0;
      }
    return out;
  }

  it("marks the same pixels as the definition, for windows smaller and larger than the region", () => {
    let s = 11;
    const data = new Uint8Array(90 * 70).map(() => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s >>> 24;
    });
    const grey: GreyImage = { data, width: 90, height: 70 };
    for (const [x0, y0, w, h, rad] of [
      [0, 0, 90, 70, 6],
      [5, 7, 40, 30, 4],
      [20, 10, 16, 50, 12],
      [30, 3, 50, 9, 20],
    ] as const)
      expect(localMeanThreshold(grey, x0, y0, w, h, rad)).toEqual(byDefinition(grey, x0, y0, w, h, rad));
  });
});
