import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CurvedShot, renderCurvedShelf } from "../bench/curved-scene.js";
import { createLabelDecoder } from "./qr-decoder.js";
import { BLOB_STEPS, REGION_STEPS } from "./second-pass.js";
import type { DecodeResult } from "./types.js";

/**
 * A scene's photo with a patch of bars beside the bottle (a 1D barcode, print on a box): a
 * high-contrast region with no 2D label's marks in it.
 */
async function withBarsPatch(jpeg: Buffer): Promise<Buffer> {
  const size = 120;
  const bars = new Uint8Array(size * size);
  let s = 5;
  let dark = true;
  for (let x = 0; x < size; dark = !dark) {
    s = (s * 1103515245 + 12345) >>> 0;
    const w = 2 + (s >>> 30) * 2;
    for (let k = 0; k < w && x < size; k++, x++)
      for (let y = 0; y < size; y++) bars[y * size + x] = dark ? 20 : 235;
  }
  const patch = await sharp(Buffer.from(bars), { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toBuffer();
  return sharp(jpeg)
    .composite([{ input: patch, left: 60, top: 60 }])
    .jpeg({ quality: 92 })
    .toBuffer();
}

const stepOf = (r: DecodeResult, name: string) => r.steps.find((s) => s.name === name)!;

describe("createLabelDecoder", () => {
  // A bent label (the full-frame pass misses it) and a flat one (the full-frame pass reads it).
  let bent: CurvedShot;
  let flat: CurvedShot;
  const onThread = createLabelDecoder({ workers: 0 });
  const onWorkers = createLabelDecoder({ workers: 2 });
  afterAll(() => Promise.all([onThread.close(), onWorkers.close()]));

  beforeAll(async () => {
    bent = await renderCurvedShelf({
      seed: 1,
      bottles: 1,
      fixed: { radiusMm: 30, halfAngle: 0.7, pitchDeg: 20, modulePx: 5, yaw: 0, glare: false, occlusion: -1 },
    });
    flat = await renderCurvedShelf({
      seed: 2,
      bottles: 1,
      fixed: { radiusMm: 400, halfAngle: 0.1, pitchDeg: 5, modulePx: 6, yaw: 0, glare: false, occlusion: -1 },
    });
  });

  it("reads the same codes on worker threads as on the calling thread, and names the step that read them", async () => {
    const here = await onThread.decode(bent.jpeg);
    const there = await onWorkers.decode(bent.jpeg);
    expect(here.codes.map((c) => c.text)).toEqual([bent.codes[0]!.text]);
    expect(there.codes).toEqual(here.codes);
    for (const r of [here, there]) {
      expect(r.steps.map((s) => s.name)).toEqual([...REGION_STEPS, ...BLOB_STEPS].map((s) => s.name));
      expect(r.steps.reduce((a, s) => a + s.reads, 0)).toBe(1);
      expect(stepOf(r, "curved-triple").reads).toBe(1);
    }
  });

  it("leaves regions without a label's marks once every expected code is read", async () => {
    const photo = await withBarsPatch(flat.jpeg);
    const code = flat.codes[0]!.text;
    const open = await onWorkers.decode(photo);
    const settled = await onWorkers.decode(photo, { expected: [code] });
    const missing = await onWorkers.decode(photo, { expected: [code, "NOT-ON-THIS-SHELF"] });
    for (const r of [open, settled, missing]) expect(r.codes.map((c) => c.text)).toEqual([code]);
    // The bars are a candidate region: searched by the re-reads unless everything is read.
    expect(stepOf(open, "crop-1.5x-sharp").regions).toBeGreaterThan(0);
    expect(stepOf(missing, "crop-1.5x-sharp").regions).toBe(stepOf(open, "crop-1.5x-sharp").regions);
    expect(stepOf(settled, "settled-exit").regions).toBeGreaterThan(0);
    expect(stepOf(settled, "crop-1.5x-sharp").regions).toBe(0);
  });

  it("finishes queued decodes on close, then refuses more", async () => {
    const decoder = createLabelDecoder({ workers: 1 });
    const queued = [decoder.decode(bent.jpeg), decoder.decode(flat.jpeg)];
    await decoder.close();
    const [a, b] = (await Promise.all(queued)) as [DecodeResult, DecodeResult];
    expect(a.codes.map((c) => c.text)).toEqual([bent.codes[0]!.text]);
    expect(b.codes.map((c) => c.text)).toEqual([flat.codes[0]!.text]);
    await expect(decoder.decode(flat.jpeg)).rejects.toThrow("the label decoder is closed");
  });

  it("refuses a pool size that is not a whole number", () => {
    expect(() => createLabelDecoder({ workers: -1 })).toThrow(RangeError);
    expect(() => createLabelDecoder({ workers: 1.5 })).toThrow(RangeError);
  });
});
