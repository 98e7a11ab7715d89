// The full-frame zxing pass: one call over the whole grey frame, which reads almost every label.
// Reading it as two overlapping strips side by side (the calling thread one, a worker the other)
// cut the pass's wall time but cost 3-4 ms more CPU a curved frame, both threads slowed by sharing
// the memory bus, so it was not kept (bench/NOTEBOOK.md, 2026-12-07, late morning).
import { type ReaderOptions, readBarcodes } from "zxing-wasm";
import { allocPgm } from "./pgm.js";
import type { DecodedLabel, GreyImage } from "./types.js";
import { LABEL_FORMATS, toCode } from "./zxing-module.js";

export const FULL_FRAME: ReaderOptions = {
  formats: LABEL_FORMATS,
  tryHarder: true,
  // A rectangular Data Matrix printed along a bottle's axis stands at 90° in the frame, and zxing's
  // Data Matrix reader needs the rotation tries for it (QR detection is rotation-invariant). Labels
  // are dark-on-light, so inversion only costs time.
  tryRotate: true,
  tryInvert: false,
  // The downscaled layers (a third and a ninth of the frame) read no code the full-size one missed
  // on any bench (578 flat, 28 curved QR and 17 Data Matrix full-frame reads, with and without
  // them) and cost a fifth of the pass: shelf labels are small, and a big blurred one is the
  // second pass's crop re-reads' (bench/NOTEBOOK.md, 2026-12-07, budget).
  tryDownscale: false,
  maxNumberOfSymbols: 255,
};

/** Every code zxing reads in the whole frame. */
export async function readFullFrame(grey: GreyImage): Promise<DecodedLabel[]> {
  const pgm = allocPgm(grey.width, grey.height);
  pgm.grey.data.set(grey.data);
  const found = await readBarcodes(pgm.file, FULL_FRAME);
  return found.filter((r) => r.isValid && r.text).map((r) => toCode(r, 0, 0, 1, 1, 1));
}
