// ZPL II for 203 dpi thermal printers (Zebra and compatibles). QR codes use the printer's own ^BQ by
// default; Micro QR, rMQR and Data Matrix (and QR on request) are sent as ^GF graphics of the same
// module matrix the PDF draws. Pictograms are ^GF graphics (red prints black), text is ^A0 with ^FD.
// No clocks, no randomness: the same label gives byte-identical ZPL.
import { pictogramShapes, placeShapes } from "./ghs.js";
import type { LabelLayout } from "./layout.js";
import { Bitmap, paintShapes, symbolBitmap, toGfa } from "./raster.js";

export interface ZplOptions {
  /** "native" (default): QR as ^BQ; "graphic": every symbol as ^GF. */
  qr?: "native" | "graphic";
  /** ^PQ: copies of each label. */
  copies?: number;
}

/** Field data with ^FH_ escapes for the characters ZPL reserves (^ ~) and the escape itself (_). */
export function zplEscape(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[_^~\\]/g, (c) => `_${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

const zplField = (text: string) => `^FH_^FD${zplEscape(text)}^FS`;

export function renderZpl(layout: LabelLayout, opts: ZplOptions = {}): string {
  const copies = Math.max(1, Math.floor(opts.copies ?? 1));
  const out: string[] = [
    "^XA",
    "^CI28",
    `^PW${layout.width}`,
    `^LL${layout.height}`,
    "^LH0,0",
    `^FXL.I.L.O. label ${layout.size} ${layout.symbology}^FS`,
  ];
  for (const item of layout.items) {
    if (item.kind === "symbol") {
      if (item.matrix.symbology === "qr" && opts.qr !== "graphic") {
        // ^BQ: model 2, magnification = module dots (1–10), error correction M, automatic input mode.
        const mag = Math.min(10, item.module);
        out.push(`^FO${item.x},${item.y}^BQN,2,${mag}^FH_^FDMA,${zplEscape(layout.data.code)}^FS`);
      } else {
        out.push(`^FO${item.x},${item.y}${toGfa(symbolBitmap(item.matrix, item.module))}^FS`);
      }
    } else if (item.kind === "pictogram") {
      const bmp = new Bitmap(item.size, item.size);
      paintShapes(bmp, placeShapes(pictogramShapes(item.code), 0, 0, item.size));
      out.push(`^FO${item.x},${item.y}${toGfa(bmp)}^FS`);
    } else {
      const font = `^A0N,${item.height},${item.height}`;
      out.push(`^FO${item.x},${item.y}${font}${zplField(item.text)}`);
      // Font 0 has no bold face: strike bold text twice, one dot apart.
      if (item.bold) out.push(`^FO${item.x + 1},${item.y}${font}${zplField(item.text)}`);
    }
  }
  if (copies > 1) out.push(`^PQ${copies}`);
  out.push("^XZ");
  return `${out.join("\n")}\n`;
}

/** Several labels, one ^XA…^XZ block each. */
export function renderZplBatch(layouts: LabelLayout[], opts: ZplOptions = {}): string {
  return layouts.map((l) => renderZpl(l, opts)).join("");
}
