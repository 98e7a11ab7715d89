// The Data Matrix step of the second pass: a symbol zxing cannot read is still reported as a label
// seen but not read, and nothing else is.
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { dataMatrix } from "../bench/curved-scene.js";
import { createRng } from "../bench/rng.js";
import { createLabelDecoder } from "./qr-decoder.js";

const TEXT = "LILO:C:000042";
const MODULE = 4;

/**
 * A shelf-grey frame with a white label at (300, 200) carrying a Data Matrix of `size` modules,
 * turned a quarter when `turn`; `scratch` redraws the middle half of the symbol at random (a smudge),
 * past what its error correction repairs, and leaves the L and the timing edges whole.
 */
async function frame(size: [number, number], turn: number, scratch: boolean, blur = 0.6): Promise<Buffer> {
  const W = 960;
  const H = 540;
  const img = new Uint8Array(W * H).fill(135);
  const { m, cols, rows } = dataMatrix(TEXT, size, turn);
  const rng = createRng(7);
  const lx = 300;
  const ly = 200;
  const quiet = 4 * MODULE;
  for (let y = ly - quiet; y < ly + rows * MODULE + quiet; y++)
    img.fill(240, y * W + lx - quiet, y * W + lx + cols * MODULE + quiet);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const inMiddle = i >= cols / 4 && i < (3 * cols) / 4 && j >= rows / 4 && j < (3 * rows) / 4;
      if (scratch && inMiddle ? rng() < 0.5 : !m[j * cols + i]) continue;
      for (let y = 0; y < MODULE; y++)
        img.fill(
          25,
          (ly + j * MODULE + y) * W + lx + i * MODULE,
          (ly + j * MODULE + y) * W + lx + (i + 1) * MODULE,
        );
    }
  }
  return sharp(img, { raw: { width: W, height: H, channels: 1 } })
    .blur(blur)
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** The same shelf without a label: a dark bottle, a striped box and a line of print-like bars. */
async function emptyShelf(): Promise<Buffer> {
  const W = 960;
  const H = 540;
  const img = new Uint8Array(W * H).fill(135);
  for (let y = 150; y < 450; y++) img.fill(40, y * W + 200, y * W + 300);
  for (let y = 100; y < 300; y++) for (let x = 500; x < 700; x++) img[y * W + x] = (x >> 3) % 2 ? 230 : 30;
  for (let y = 380; y < 400; y++)
    for (let x = 450; x < 850; x++) img[y * W + x] = (x * 7919) % 13 < 5 ? 20 : 235;
  return sharp(img, { raw: { width: W, height: H, channels: 1 } })
    .blur(0.6)
    .jpeg({ quality: 85 })
    .toBuffer();
}

const inside = (u: { x: number; y: number; w: number; h: number }, x: number, y: number) =>
  x >= u.x && x < u.x + u.w && y >= u.y && y < u.y + u.h;

describe("Data Matrix labels seen but not read", () => {
  const decoder = createLabelDecoder({ workers: 0 });
  afterAll(() => decoder.close());

  it.each([
    ["a square", [16, 16], 0],
    ["a rectangle along the axis", [26, 12], 1],
  ] as const)("reports %s that zxing cannot read as unread, where it is", async (_, size, turn) => {
    const r = await decoder.decode(await frame([...size], turn, true));
    expect(r.codes).toEqual([]);
    expect(r.unread).toHaveLength(1);
    // The symbol's centre lies in the reported region.
    const cols = turn ? size[1] : size[0];
    const rows = turn ? size[0] : size[1];
    expect(inside(r.unread[0]!, 300 + (cols * MODULE) / 2, 200 + (rows * MODULE) / 2)).toBe(true);
  });

  it("reports nothing on a shelf without labels", async () => {
    const r = await decoder.decode(await emptyShelf());
    expect(r.codes).toEqual([]);
    expect(r.unread).toEqual([]);
  });

  it("does not report a Data Matrix it read", async () => {
    const r = await decoder.decode(await frame([26, 12], 1, false));
    expect(r.codes.map((c) => c.text)).toEqual([TEXT]);
    expect(r.unread).toEqual([]);
  });
});
