import type { GreyImage } from "@lilo/vision";
import { imageQuality } from "@lilo/vision";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { layoutShelf, renderShelf } from "../sim/shelf-renderer.js";

async function grey(jpeg: Buffer): Promise<GreyImage> {
  const { data, info } = await sharp(jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe("imageQuality", () => {
  let sharpShot: Buffer;

  beforeAll(async () => {
    sharpShot = await renderShelf({
      containers: layoutShelf({ count: 6, seed: 5, difficulty: "easy", width: 960, height: 540 }),
      seed: 5,
      difficulty: "easy",
      width: 960,
      height: 540,
    });
  });

  it("scores are in 0..1", async () => {
    const q = imageQuality(await grey(sharpShot));
    for (const v of Object.values(q)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it("ranks a blurred image below a sharp one on focus and overall", async () => {
    const good = imageQuality(await grey(sharpShot));
    const blurred = imageQuality(await grey(await sharp(sharpShot).blur(3).jpeg().toBuffer()));
    expect(blurred.focus_quality).toBeLessThan(good.focus_quality);
    expect(blurred.image_quality).toBeLessThan(good.image_quality);
  });

  it("ranks a dark image below a well-lit one on lighting and overall", async () => {
    const good = imageQuality(await grey(sharpShot));
    const dark = imageQuality(await grey(await sharp(sharpShot).linear(0.2, 0).jpeg().toBuffer()));
    expect(dark.lighting_quality).toBeLessThan(good.lighting_quality);
    expect(dark.image_quality).toBeLessThan(good.image_quality);
  });

  it("gives a flat frame no focus and poor lighting", () => {
    const flat = imageQuality({ data: new Uint8Array(64 * 48).fill(20), width: 64, height: 48 });
    expect(flat.focus_quality).toBe(0);
    expect(flat.lighting_quality).toBeLessThan(0.1);
  });
});
