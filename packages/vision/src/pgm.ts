// Images handed to zxing as binary PGM (P5) files: its loader takes them as raw luminance, with no
// RGBA round trip, and the pixels can be written in place.
import type { GreyImage } from "./types.js";

export interface Pgm {
  /** The whole file, header included, for readBarcodes. */
  file: Uint8Array;
  /** View of the pixel bytes inside `file`. */
  grey: GreyImage;
}

/** A PGM file of the given size; every pixel byte is left for the caller to write (no zero-fill). */
export function allocPgm(width: number, height: number): Pgm {
  const header = `P5\n${width} ${height}\n255\n`;
  const file = Buffer.allocUnsafe(header.length + width * height);
  file.write(header, 0, "latin1");
  return { file, grey: { data: file.subarray(header.length), width, height } };
}
