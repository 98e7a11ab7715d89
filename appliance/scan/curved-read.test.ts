import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readBarcodes } from "zxing-wasm";
import { type CurvedShot, renderCurvedShelf } from "../../bench/curved-scene.js";
import {
  type FinderPattern,
  findFinderPatterns,
  pickTriples,
  readCurvedRegion,
  readCurvedTriple,
  tripleBounds,
} from "./curved-read.js";
import { decodeQrCodes } from "./qr-decoder.js";
import { ensureZxing } from "./zxing-module.js";

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
    const result = await decodeQrCodes(shot.jpeg);
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
    expect((await decodeQrCodes(png)).codes).toEqual([]);
  });

  it("reads a label from the finder triple found in a larger region", async () => {
    const code = shot.codes[0]!;
    const [cx, cy] = code.center;
    const half = 40 * code.modulePx;
    const grey = (await decodeQrCodes(shot.jpeg)).grey;
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
