// Print-ready container labels: the code (QR, Micro QR, rMQR, Data Matrix), chemical name, CAS
// number, GHS pictograms, signal word and the human-readable id, as PDF, ZPL or SVG.
import { type LabelData, type LabelLayout, type LayoutOptions, layoutLabel } from "./layout.js";
import { LABEL_FORMATS, type LabelFormat } from "./options.js";
import { type PdfOptions, renderPdf } from "./pdf.js";
import { renderSvg } from "./svg.js";
import { renderZplBatch, type ZplOptions } from "./zpl.js";

export { GHS_CODES, GHS_NAMES, type GhsCode, normalizeGhs } from "./ghs.js";
export {
  DOTS_PER_MM,
  isLabelSize,
  LABEL_SIZES,
  type LabelData,
  type LabelLayout,
  type LayoutOptions,
  labelSymbol,
  layoutLabel,
  type SymbolChoice,
} from "./layout.js";
export {
  LABEL_FORMATS,
  LABEL_SIZE_NAMES,
  type LabelFormat,
  type LabelSize,
  PAGE_KINDS,
  type PageKind,
  SYMBOLOGIES,
  type Symbology,
} from "./options.js";
export { type PdfOptions, renderPdf, sheetGrid } from "./pdf.js";
export { renderSvg } from "./svg.js";
export { encodeSymbol, isSymbology, type SymbolMatrix, turnClockwise } from "./symbology.js";
export { renderZpl, renderZplBatch, type ZplOptions } from "./zpl.js";

export const isLabelFormat = (s: string): s is LabelFormat =>
  (LABEL_FORMATS as readonly string[]).includes(s);

export interface RenderOptions extends LayoutOptions, PdfOptions, ZplOptions {
  format?: LabelFormat;
}

export interface RenderedLabels {
  format: LabelFormat;
  bytes: Buffer;
  layouts: LabelLayout[];
  mediaType: string;
}

/** Lays out and renders one or more labels in one document (PDF sheets, ZPL batch, or one SVG). */
export async function renderLabels(data: LabelData[], opts: RenderOptions = {}): Promise<RenderedLabels> {
  const format = opts.format ?? "pdf";
  const layouts = data.map((d) => layoutLabel(d, opts));
  if (format === "zpl") {
    return {
      format,
      layouts,
      mediaType: "application/zpl",
      bytes: Buffer.from(renderZplBatch(layouts, opts)),
    };
  }
  if (format === "svg") {
    return {
      format,
      layouts,
      mediaType: "image/svg+xml",
      bytes: Buffer.from(layouts.map(renderSvg).join("")),
    };
  }
  return { format, layouts, mediaType: "application/pdf", bytes: await renderPdf(layouts, opts) };
}
