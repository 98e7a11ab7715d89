// A read code's own label (name, pictograms, text beside the symbol) is not a second label seen but
// not read; a label elsewhere on the shelf still is.
import { describe, expect, it } from "vitest";
import { outsideReadLabels } from "./qr-decoder.js";
import type { DecodedLabel } from "./types.js";

const code: DecodedLabel = {
  text: "LILO:C:000006",
  corners: [
    [575, 559],
    [641, 551],
    [645, 616],
    [579, 625],
  ],
  confidence: 1,
};

describe("unread regions and the labels that were read", () => {
  it.each([
    ["the pictograms beside the read symbol", { x: 656, y: 496, w: 80, h: 80 }, []],
    ["text below the read symbol", { x: 560, y: 640, w: 60, h: 40 }, []],
    ["a label one bottle to the right", { x: 900, y: 540, w: 80, h: 80 }, [{ x: 900, y: 540, w: 80, h: 80 }]],
    ["a label on the shelf above", { x: 580, y: 200, w: 80, h: 80 }, [{ x: 580, y: 200, w: 80, h: 80 }]],
  ])("%s", (_, region, kept) => {
    expect(outsideReadLabels([region], [code])).toEqual(kept);
  });

  it("keeps every region when nothing was read", () => {
    const region = { x: 656, y: 496, w: 80, h: 80 };
    expect(outsideReadLabels([region], [])).toEqual([region]);
  });
});
