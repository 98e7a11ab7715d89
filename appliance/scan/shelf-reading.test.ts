import { createLabelDecoder } from "@lilo/vision";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLiloCode } from "../../shared/labels/label-code.js";
import { layoutShelf, type RenderedShelf, renderShelfDetailed } from "../sim/shelf-renderer.js";

describe("isLiloCode", () => {
  it("accepts L.I.L.O. container ids only", () => {
    expect(isLiloCode("LILO:C:000123")).toBe(true);
    expect(isLiloCode("LILO:C:00A1B2C3")).toBe(true);
    expect(isLiloCode("LILO:C:12345")).toBe(false);
    expect(isLiloCode("lilo:c:000123")).toBe(false);
    expect(isLiloCode("LILO:C:000123 ")).toBe(false);
    expect(isLiloCode("https://example.com/LILO:C:000123")).toBe(false);
  });
});

describe("the label decoder", () => {
  const decoder = createLabelDecoder();
  afterAll(() => decoder.close());
  let shelf: RenderedShelf;

  beforeAll(async () => {
    shelf = await renderShelfDetailed({
      containers: layoutShelf({ count: 8, seed: 42, difficulty: "easy" }),
      seed: 42,
      difficulty: "easy",
    });
  });

  it("reads all 8 labels of an easy shelf, with corners where the labels were placed", async () => {
    const result = await decoder.decode(shelf.jpeg);
    expect(result.codes.map((c) => c.text).sort()).toEqual(shelf.labels.map((l) => l.qr_code).sort());
    for (const code of result.codes) {
      const label = shelf.labels.find((l) => l.qr_code === code.text)!;
      for (const [x, y] of code.corners) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(shelf.width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThan(shelf.height);
      }
      const cx = code.corners.reduce((a, c) => a + c[0], 0) / 4;
      const cy = code.corners.reduce((a, c) => a + c[1], 0) / 4;
      // Within two modules of the rendered symbol centre.
      expect(Math.hypot(cx - label.center[0], cy - label.center[1])).toBeLessThan(2 * label.modulePx);
      expect(code.confidence).toBeGreaterThan(0);
      expect(code.confidence).toBeLessThanOrEqual(1);
    }
    expect(result.grey.width).toBe(1920);
    expect(result.grey.height).toBe(1080);
    expect(result.grey.data.length).toBe(1920 * 1080);
    expect(result.timings.detect).toBeGreaterThan(0);
    expect(result.ms).toBeGreaterThanOrEqual(result.timings.detect);
    // The phases run back to back (sharp's decode overlaps `detect`), so they never exceed `ms`.
    const { decode_jpeg, greyscale, detect, second_pass } = result.timings;
    for (const t of [decode_jpeg, greyscale, detect, second_pass]) expect(t).toBeGreaterThanOrEqual(0);
    expect(decode_jpeg + greyscale + detect + second_pass).toBeLessThanOrEqual(result.ms + 0.01);
  });

  it("reads a format zxing cannot load itself (WebP) from sharp's pixels", async () => {
    const webp = await sharp(shelf.jpeg).webp({ lossless: true }).toBuffer();
    const result = await decoder.decode(webp);
    expect(result.codes.map((c) => c.text).sort()).toEqual(shelf.labels.map((l) => l.qr_code).sort());
    expect(result.codes.every((c) => c.confidence === 1)).toBe(true);
    expect(result.grey.width).toBe(1920);
  });

  it("finds nothing, and invents nothing, on a blank or noisy image", async () => {
    const blank = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: "#8a7a66" } })
      .jpeg()
      .toBuffer();
    expect((await decoder.decode(blank)).codes).toEqual([]);
    const noise = Buffer.alloc(640 * 480);
    let s = 7;
    for (let i = 0; i < noise.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      noise[i] = s >>> 24;
    }
    const noisy = await sharp(noise, { raw: { width: 640, height: 480, channels: 1 } })
      .png()
      .toBuffer();
    expect((await decoder.decode(noisy)).codes).toEqual([]);
  });

  it("returns a foreign QR code but does not mark it as a L.I.L.O. code", async () => {
    const jpeg = await renderShelfDetailed({
      containers: [
        { qr_code: "LILO:C:000777", x: 0.3, y: 0.5, labelPx: 120 },
        { qr_code: "ACME-42", x: 0.7, y: 0.5, labelPx: 120 },
      ],
      seed: 3,
      difficulty: "easy",
      width: 960,
      height: 540,
    });
    const { codes } = await decoder.decode(jpeg.jpeg);
    const texts = codes.map((c) => c.text).sort();
    expect(texts).toEqual(["ACME-42", "LILO:C:000777"]);
    expect(texts.map(isLiloCode)).toEqual([false, true]);
  });

  it("rejects bytes that are not an image", async () => {
    await expect(decoder.decode(Buffer.from("not an image"))).rejects.toThrow();
  });
});
