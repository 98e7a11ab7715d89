// The cabinet reads the labels L.I.L.O. prints by default (Data Matrix) and the others it may meet.

import { createLabelDecoder } from "@lilo/vision";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { type LabelData, layoutLabel } from "../../shared/labels/layout.js";
import { SYMBOLOGIES } from "../../shared/labels/options.js";
import { renderSvg } from "../../shared/labels/svg.js";

const ACETONE: LabelData = {
  code: "LILO:C:000042",
  chemicalName: "Acetone",
  casNumber: "67-64-1",
  ghsPictograms: ["GHS02", "GHS07"],
  signalWord: "Danger",
};

/** A printed label, scaled to shelf-photo size (~3.2 px/mm), on a grey shelf background. */
async function shelfWithLabel(svg: string, widthPx: number): Promise<Buffer> {
  const label = await sharp(Buffer.from(svg), { density: 300 })
    .resize({ width: widthPx })
    .flatten({ background: "#fff" })
    .png()
    .toBuffer();
  return sharp({ create: { width: 1280, height: 720, channels: 3, background: "#8a8f98" } })
    .composite([{ input: label, left: 500, top: 300 }])
    .jpeg({ quality: 88 })
    .toBuffer();
}

describe("label symbologies on a shelf photo", () => {
  const decoder = createLabelDecoder();
  afterAll(() => decoder.close());

  it.each(SYMBOLOGIES)("reads a %s label", async (symbology) => {
    const layout = layoutLabel(ACETONE, { size: "large", symbology });
    const photo = await shelfWithLabel(renderSvg(layout), 320);
    const { codes } = await decoder.decode(photo);
    expect(codes.map((c) => c.text)).toEqual(["LILO:C:000042"]);
  });

  it("reads the default label of every size", async () => {
    for (const size of ["small", "bottle", "large"] as const) {
      const layout = layoutLabel(ACETONE, { size });
      const photo = await shelfWithLabel(renderSvg(layout), size === "small" ? 200 : 260);
      expect(
        (await decoder.decode(photo)).codes.map((c) => c.text),
        size,
      ).toEqual(["LILO:C:000042"]);
    }
  });
});
