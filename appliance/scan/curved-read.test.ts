import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { readBarcodes } from "zxing-wasm";
import { type CurvedShot, renderCurvedShelf } from "../../bench/curved-scene.js";
import { readCurvedRegion } from "./curved-read.js";
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
});
