// A 1-bit bitmap and a small scanline rasteriser: pictograms and 2D symbols become `^GF` graphics for
// thermal printers. Pure arithmetic on the shapes' coordinates, so the same input always gives the
// same bits.
import type { Shape } from "./ghs.js";
import { isDark, type SymbolMatrix } from "./symbology.js";

export class Bitmap {
  /** One byte per dot, 1 = black. */
  readonly dots: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.dots = new Uint8Array(width * height);
  }
  get(x: number, y: number): number {
    return this.dots[y * this.width + x] ?? 0;
  }
  set(x: number, y: number, v: number): void {
    if (x >= 0 && y >= 0 && x < this.width && y < this.height) this.dots[y * this.width + x] = v;
  }
  fillRect(x: number, y: number, w: number, h: number, v = 1): void {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) this.set(i, j, v);
  }
}

/**
 * Paints shapes (in paint order) into the bitmap: red and black print black, white clears. A dot is
 * inside when its centre is, by the even-odd rule over all of the shape's rings.
 */
export function paintShapes(bmp: Bitmap, shapes: Shape[]): void {
  for (const shape of shapes) {
    const v = shape.fill === "white" ? 0 : 1;
    for (let y = 0; y < bmp.height; y++) {
      const cy = y + 0.5;
      const xs: number[] = [];
      for (const ring of shape.rings) {
        for (let i = 0; i < ring.length; i++) {
          const [x1, y1] = ring[i]!;
          const [x2, y2] = ring[(i + 1) % ring.length]!;
          if (y1 <= cy === y2 <= cy) continue;
          xs.push(x1 + ((cy - y1) * (x2 - x1)) / (y2 - y1));
        }
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
        const to = Math.min(bmp.width - 1, Math.floor(xs[k + 1]! - 0.5));
        for (let x = from; x <= to; x++) bmp.set(x, y, v);
      }
    }
  }
}

/** The symbol without its quiet zone, `module` dots per module. */
export function symbolBitmap(m: SymbolMatrix, module: number): Bitmap {
  const bmp = new Bitmap(m.cols * module, m.rows * module);
  for (let y = 0; y < m.rows; y++)
    for (let x = 0; x < m.cols; x++)
      if (isDark(m, x, y)) bmp.fillRect(x * module, y * module, module, module);
  return bmp;
}

/** ZPL `^GFA` field for a bitmap: rows padded to whole bytes, uncompressed uppercase hex. */
export function toGfa(bmp: Bitmap): string {
  const bytesPerRow = Math.ceil(bmp.width / 8);
  const total = bytesPerRow * bmp.height;
  let hex = "";
  for (let y = 0; y < bmp.height; y++) {
    for (let b = 0; b < bytesPerRow; b++) {
      let byte = 0;
      for (let bit = 0; bit < 8; bit++) {
        const x = b * 8 + bit;
        if (x < bmp.width && bmp.get(x, y)) byte |= 0x80 >> bit;
      }
      hex += byte.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return `^GFA,${total},${total},${bytesPerRow},${hex}`;
}
