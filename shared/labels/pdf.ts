// PDF labels with pdfkit: either sheets (A4 / Letter, as many labels per page as fit, for office
// printers and die-cut sheet stock) or one page per label at the label's own size (for label printers
// driven through a PDF driver). Fixed creation dates and a file id derived from them keep the output
// identical from run to run.
import PDFDocument from "pdfkit";
import { AppError } from "../errors.js";
import { pictogramShapes, placeShapes } from "./ghs.js";
import { DOTS_PER_MM, type LabelLayout } from "./layout.js";
import type { PageKind } from "./options.js";
import { PAINT_RGB } from "./svg.js";
import { isDark } from "./symbology.js";

export const PAGE_SIZES = { a4: [595.28, 841.89], letter: [612, 792] } as const satisfies Record<
  Exclude<PageKind, "label">,
  readonly [number, number]
>;

export interface PdfOptions {
  /** "a4" (default) or "letter": sheets of labels; "label": one page per label at its own size. */
  page?: PageKind;
  /** Copies of each label (default 1). */
  copies?: number;
  /** Sheet positions to leave empty at the start (a partly used sheet). */
  skip?: number;
  /** Thin grey cut outline around each label on sheets (default true). */
  outline?: boolean;
}

const PT_PER_MM = 72 / 25.4;
const PT_PER_DOT = PT_PER_MM / DOTS_PER_MM;
const SHEET_MARGIN = 10 * PT_PER_MM;
const SHEET_GAP = 3 * PT_PER_MM;
/** Every PDF claims this date: the same labels give the same bytes. */
export const FIXED_PDF_DATE = new Date(Date.UTC(2024, 0, 1, 0, 0, 0));

export interface SheetGrid {
  cols: number;
  rows: number;
  perPage: number;
}

export function sheetGrid(page: keyof typeof PAGE_SIZES, layout: LabelLayout): SheetGrid {
  const [pw, ph] = PAGE_SIZES[page];
  const lw = layout.width * PT_PER_DOT;
  const lh = layout.height * PT_PER_DOT;
  const cols = Math.floor((pw - 2 * SHEET_MARGIN + SHEET_GAP) / (lw + SHEET_GAP));
  const rows = Math.floor((ph - 2 * SHEET_MARGIN + SHEET_GAP) / (lh + SHEET_GAP));
  return { cols, rows, perPage: cols * rows };
}

export async function renderPdf(layouts: LabelLayout[], opts: PdfOptions = {}): Promise<Buffer> {
  const first = layouts[0];
  if (!first) throw new AppError("validation_failed", "no labels to print");
  const page = opts.page ?? "a4";
  const copies = Math.max(1, Math.floor(opts.copies ?? 1));
  const labels = layouts.flatMap((l) => Array.from({ length: copies }, () => l));
  const title =
    layouts.length === 1 ? `L.I.L.O. label ${first.data.code} ${first.data.chemicalName}` : "L.I.L.O. labels";
  const doc = new PDFDocument({
    autoFirstPage: false,
    compress: true,
    margin: 0,
    info: {
      Title: title,
      Subject: layouts.map((l) => `${l.data.code} ${l.data.chemicalName}`).join("; "),
      Author: "L.I.L.O.",
      Creator: "lilo label",
      Producer: "L.I.L.O. (pdfkit)",
      CreationDate: FIXED_PDF_DATE,
      ModDate: FIXED_PDF_DATE,
    },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  if (page === "label") {
    for (const l of labels) {
      doc.addPage({ size: [l.width * PT_PER_DOT, l.height * PT_PER_DOT], margin: 0 });
      drawLabel(doc, l, 0, 0);
    }
  } else {
    if (layouts.some((l) => l.size !== first.size)) {
      throw new AppError("validation_failed", "labels on one sheet must all have the same size");
    }
    const grid = sheetGrid(page, first);
    if (grid.perPage < 1)
      throw new AppError("validation_failed", `a ${first.size} label does not fit a ${page} page`);
    const skip = Math.max(0, Math.floor(opts.skip ?? 0)) % grid.perPage;
    const lw = first.width * PT_PER_DOT;
    const lh = first.height * PT_PER_DOT;
    labels.forEach((l, i) => {
      const slot = (skip + i) % grid.perPage;
      if (i === 0 || slot === 0) doc.addPage({ size: [...PAGE_SIZES[page]], margin: 0 });
      const ox = SHEET_MARGIN + (slot % grid.cols) * (lw + SHEET_GAP);
      const oy = SHEET_MARGIN + Math.floor(slot / grid.cols) * (lh + SHEET_GAP);
      if (opts.outline !== false) {
        doc
          .save()
          .lineWidth(0.3)
          .strokeColor("#9a9a9a")
          .roundedRect(ox, oy, lw, lh, 1.5 * PT_PER_MM)
          .stroke()
          .restore();
      }
      drawLabel(doc, l, ox, oy);
    });
  }
  doc.end();
  return done;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

function drawLabel(doc: PDFKit.PDFDocument, layout: LabelLayout, ox: number, oy: number): void {
  const X = (d: number) => r3(ox + d * PT_PER_DOT);
  const Y = (d: number) => r3(oy + d * PT_PER_DOT);
  for (const item of layout.items) {
    if (item.kind === "symbol") {
      const { matrix: mx, module: mod } = item;
      doc.save();
      // One rectangle per horizontal run of dark modules: no hairline seams between modules.
      for (let y = 0; y < mx.rows; y++) {
        let x = 0;
        while (x < mx.cols) {
          if (!isDark(mx, x, y)) {
            x++;
            continue;
          }
          let end = x;
          while (end < mx.cols && isDark(mx, end, y)) end++;
          const x0 = item.x + x * mod;
          const y0 = item.y + y * mod;
          doc.rect(X(x0), Y(y0), r3((end - x) * mod * PT_PER_DOT), r3(mod * PT_PER_DOT));
          x = end;
        }
      }
      doc.fill("#000000").restore();
    } else if (item.kind === "pictogram") {
      for (const shape of placeShapes(pictogramShapes(item.code), item.x, item.y, item.size)) {
        const d = shape.rings
          .map((ring) => `M${ring.map(([x, y]) => `${X(x)} ${Y(y)}`).join(" L")} Z`)
          .join(" ");
        doc.save().path(d).fill(PAINT_RGB[shape.fill], "even-odd").restore();
      }
    } else {
      const font = item.mono ? "Courier" : item.bold ? "Helvetica-Bold" : "Helvetica";
      doc
        .font(font)
        .fontSize(r3(item.height * PT_PER_DOT))
        .fillColor("#000000")
        .text(item.text, X(item.x), Y(item.y + Math.round(item.height * 0.8)), {
          lineBreak: false,
          baseline: "alphabetic",
        });
    }
  }
}
