// Where everything goes on a label, in printer dots (203 dpi ≈ 8 dots/mm), independent of the output
// format: PDF, SVG and ZPL all draw this one layout. Module sizes are whole dots so a thermal printer
// reproduces the symbol exactly; the PDF scales the same geometry to points.
import { AppError } from "../errors.js";
import { type GhsCode, normalizeGhs } from "./ghs.js";
import type { LabelSize, Symbology } from "./options.js";
import { encodeSymbol, type SymbolMatrix, turnClockwise } from "./symbology.js";

export const DOTS_PER_MM = 8;

export interface LabelData {
  /** The container's printed id (`qr_code`), e.g. LILO:C:000001: encoded and printed as text. */
  code: string;
  chemicalName: string;
  casNumber?: string | null;
  /** GHS01 … GHS09; unknown entries are ignored. */
  ghsPictograms?: readonly string[] | null;
  /** "Danger" | "Warning" | null */
  signalWord?: string | null;
}

/**
 * A label is stuck on with its width round the bottle and its height along the bottle's axis; a
 * rectangular symbol is printed turned so that its long side runs along the height (see layoutLabel).
 */
export interface LabelSizeSpec {
  /** Round the bottle. */
  widthMm: number;
  /** Along the bottle's axis. */
  heightMm: number;
  /** Clear border, dots. */
  margin: number;
  /** Largest module, dots. */
  maxModule: number;
  /** Largest share of the label width the symbol may take. */
  codeWidthShare: number;
  nameHeight: number;
  textHeight: number;
  pictogramMax: number;
  /** Lines the chemical name may wrap to. */
  nameLines: number;
  /** Small labels put CAS and signal word on one line. */
  compact: boolean;
  /**
   * Measured by `npm run bench:labels` (docs/labels.md): Data Matrix reads best at every bottle size;
   * on a vial the rectangular 12×26 runs along the axis, where the surface does not curve.
   */
  defaultSymbology: Symbology;
  /** The default symbology's version on this size; another symbology gets its smallest that fits. */
  defaultVersion?: string;
}

export const LABEL_SIZES = {
  // 32 mm along the axis: the turned 12×26 at 1 mm modules takes 30 mm with its quiet zone, the
  // bench's best cell on a 10 mL vial (15 × 27 mm, 0.91 mm modules) or a little more.
  vial: {
    widthMm: 40,
    heightMm: 32,
    margin: 8,
    maxModule: 8,
    codeWidthShare: 0.48,
    nameHeight: 20,
    textHeight: 14,
    pictogramMax: 48,
    nameLines: 2,
    compact: true,
    defaultSymbology: "datamatrix",
    defaultVersion: "12x26",
  },
  small: {
    widthMm: 50,
    heightMm: 25,
    margin: 12,
    maxModule: 6,
    codeWidthShare: 0.45,
    nameHeight: 28,
    textHeight: 20,
    pictogramMax: 64,
    nameLines: 1,
    compact: false,
    defaultSymbology: "datamatrix",
  },
  bottle: {
    widthMm: 70,
    heightMm: 40,
    margin: 16,
    maxModule: 8,
    codeWidthShare: 0.42,
    nameHeight: 36,
    textHeight: 26,
    pictogramMax: 96,
    nameLines: 2,
    compact: false,
    defaultSymbology: "datamatrix",
  },
  large: {
    widthMm: 100,
    heightMm: 60,
    margin: 24,
    maxModule: 12,
    codeWidthShare: 0.4,
    nameHeight: 48,
    textHeight: 32,
    pictogramMax: 136,
    nameLines: 2,
    compact: false,
    defaultSymbology: "datamatrix",
  },
} as const satisfies Record<LabelSize, LabelSizeSpec>;

export const isLabelSize = (s: string): s is LabelSize => Object.hasOwn(LABEL_SIZES, s);

export interface SymbolChoice {
  symbology: Symbology;
  /** Encoder version, e.g. "12x26"; absent: the smallest that holds the code. */
  version?: string;
}

/**
 * Which symbol a label of `size` carries: the one rule for the layout, `lilo label` and the API. The
 * size's measured default unless a symbology is asked for; asking for the default symbology by name
 * still gets the default version (`--symbology datamatrix` on a vial is the 12×26 of no option).
 */
export function labelSymbol(
  size: LabelSize,
  opts: { symbology?: Symbology; version?: string } = {},
): SymbolChoice {
  const spec: LabelSizeSpec = LABEL_SIZES[size];
  const symbology = opts.symbology ?? spec.defaultSymbology;
  const version = opts.version ?? (symbology === spec.defaultSymbology ? spec.defaultVersion : undefined);
  return version ? { symbology, version } : { symbology };
}

export type LayoutItem =
  | { kind: "symbol"; x: number; y: number; module: number; matrix: SymbolMatrix }
  | { kind: "text"; x: number; y: number; height: number; text: string; bold: boolean; mono: boolean }
  | { kind: "pictogram"; code: GhsCode; x: number; y: number; size: number };

export interface LabelLayout {
  size: LabelSize;
  symbology: Symbology;
  /** The version asked of the encoder, when the size or the caller fixed one. */
  version?: string;
  width: number;
  height: number;
  items: LayoutItem[];
  data: LabelData;
}

export interface LayoutOptions {
  size?: LabelSize;
  /** Default: see labelSymbol. */
  symbology?: Symbology;
  /** Symbol version passed to the encoder, e.g. "R11x43"; default: see labelSymbol. */
  version?: string;
}

// Approximate Helvetica advance widths (em) by character class: enough to fit text to a column; the
// PDF and ZPL fonts are both close to it.
function charWidth(c: string, bold: boolean, mono: boolean): number {
  if (mono) return 0.6;
  let w: number;
  if ("iljI.,:;'|!()[]".includes(c)) w = 0.28;
  else if ("ftr- ".includes(c)) w = 0.33;
  else if ("mwMW".includes(c)) w = 0.86;
  else if (/[A-Z]/.test(c)) w = 0.7;
  else if (/[0-9]/.test(c)) w = 0.56;
  else w = 0.56;
  return bold ? w * 1.07 : w;
}

export function textWidth(text: string, height: number, bold = false, mono = false): number {
  let em = 0;
  for (const c of text) em += charWidth(c, bold, mono);
  // 10 % headroom: renderers substitute fonts a little wider than Helvetica (e.g. DejaVu Sans).
  return em * height * 1.1;
}

/** Cuts text to fit `width`, ending in "..." when cut. */
function ellipsize(text: string, height: number, width: number, bold: boolean, mono: boolean): string {
  if (textWidth(text, height, bold, mono) <= width) return text;
  let t = text;
  while (t.length > 1 && textWidth(`${t}...`, height, bold, mono) > width) t = t.slice(0, -1);
  return `${t.trimEnd()}...`;
}

/** One or more lines of text fitted to a column: shrinks to 70 %, then wraps, then truncates. */
function fitLines(
  text: string,
  maxHeight: number,
  width: number,
  maxLines: number,
  bold: boolean,
): { lines: string[]; height: number } {
  for (let h = maxHeight; h >= Math.ceil(maxHeight * 0.7); h--) {
    if (textWidth(text, h, bold) <= width) return { lines: [text], height: h };
  }
  const h = Math.ceil(maxHeight * 0.8);
  if (maxLines >= 2) {
    const words = text.split(/\s+/);
    let first = "";
    let i = 0;
    for (; i < words.length; i++) {
      const next = first ? `${first} ${words[i]}` : words[i]!;
      if (textWidth(next, h, bold) > width) break;
      first = next;
    }
    if (first && i < words.length) {
      return { lines: [first, ellipsize(words.slice(i).join(" "), h, width, bold, false)], height: h };
    }
  }
  const hh = Math.ceil(maxHeight * 0.7);
  return { lines: [ellipsize(text, hh, width, bold, false)], height: hh };
}

function pictogramsOf(data: LabelData): GhsCode[] {
  const out: GhsCode[] = [];
  for (const p of data.ghsPictograms ?? []) {
    const code = normalizeGhs(p);
    if (code && !out.includes(code)) out.push(code);
  }
  return out;
}

/** Largest whole-dot module at which the symbol plus its quiet zone fits `w` × `h` (margin shared). */
function fitModule(m: SymbolMatrix, margin: number, w: number, h: number, maxModule: number): number {
  for (let mod = maxModule; mod >= 1; mod--) {
    const pad = 2 * Math.max(m.quietZone * mod, margin);
    if (m.cols * mod + pad <= w && m.rows * mod + pad <= h) return mod;
  }
  return 0;
}

export function layoutLabel(data: LabelData, opts: LayoutOptions = {}): LabelLayout {
  const size = opts.size ?? "bottle";
  if (!isLabelSize(size)) throw new AppError("validation_failed", `unknown label size "${size}"`);
  const spec: LabelSizeSpec = LABEL_SIZES[size];
  if (!data.chemicalName?.trim()) throw new AppError("validation_failed", "label needs a chemical name");
  const { symbology, version } = labelSymbol(size, opts);
  const encoded = encodeSymbol(data.code, symbology, { version });
  // A rectangular symbol (Data Matrix 12×26, rMQR) is turned so that its long side runs along the
  // label's height, which is the bottle's axis: its rows then stay straight on the curved surface.
  const matrix = encoded.cols > encoded.rows ? turnClockwise(encoded) : encoded;
  const W = Math.round(spec.widthMm * DOTS_PER_MM);
  const H = Math.round(spec.heightMm * DOTS_PER_MM);
  const m = spec.margin;
  const items: LayoutItem[] = [];
  const pictos = pictogramsOf(data);
  // The symbol at the left, centred on the height; text, then pictograms, in the column to its right.
  const mod = fitModule(matrix, m, Math.floor(W * spec.codeWidthShare), H, spec.maxModule);
  if (!mod) throw tooSmall(symbology, size);
  const pad = Math.max(matrix.quietZone * mod, m);
  items.push({ kind: "symbol", x: pad, y: Math.floor((H - matrix.rows * mod) / 2), module: mod, matrix });
  const text = { x0: pad + matrix.cols * mod + pad, y0: m, x1: W - m, y1: H - m };

  // Text lines, top to bottom.
  const colW = text.x1 - text.x0;
  const gap = Math.max(2, Math.round(spec.textHeight / 5));
  let y = text.y0;
  const name = fitLines(data.chemicalName.trim(), spec.nameHeight, colW, spec.nameLines, true);
  for (const line of name.lines) {
    items.push({ kind: "text", x: text.x0, y, height: name.height, text: line, bold: true, mono: false });
    y += name.height + gap;
  }
  const th = spec.textHeight;
  const cas = data.casNumber?.trim() ? `CAS ${data.casNumber.trim()}` : "";
  const signal = data.signalWord?.trim() ? data.signalWord.trim().toUpperCase() : "";
  const lines: { text: string; bold: boolean; mono: boolean }[] = [];
  if (spec.compact) {
    const both = [cas, signal].filter(Boolean).join("  ");
    if (both) lines.push({ text: both, bold: false, mono: false });
  } else {
    if (cas) lines.push({ text: cas, bold: false, mono: false });
    if (signal) lines.push({ text: signal, bold: true, mono: false });
  }
  lines.push({ text: data.code, bold: false, mono: true });
  for (const l of lines) {
    const h = shrinkToFit(l.text, th, colW, l.bold, l.mono);
    const fitted = ellipsize(l.text, h, colW, l.bold, l.mono);
    items.push({ kind: "text", x: text.x0, y, height: h, text: fitted, bold: l.bold, mono: l.mono });
    y += h + gap;
  }

  if (pictos.length) {
    const picRegion = { x0: text.x0, y0: y, x1: text.x1, y1: text.y1 };
    const rw = picRegion.x1 - picRegion.x0;
    const rh = picRegion.y1 - picRegion.y0;
    const s = Math.min(spec.pictogramMax, rh, Math.floor(rw / pictos.length));
    if (s >= 12) {
      pictos.forEach((code, i) => {
        items.push({ kind: "pictogram", code, x: picRegion.x0 + i * s, y: picRegion.y1 - s, size: s });
      });
    } else {
      // No room for diamonds: name them in text so the hazard is still on the label.
      const t = pictos.join(" ");
      const h = shrinkToFit(t, th, colW, false, false);
      items.push({
        kind: "text",
        x: text.x0,
        y: Math.min(y, H - m - h),
        height: h,
        text: t,
        bold: false,
        mono: false,
      });
    }
  }
  return { size, symbology, ...(version && { version }), width: W, height: H, items, data };
}

function shrinkToFit(text: string, maxH: number, width: number, bold: boolean, mono: boolean): number {
  let h = maxH;
  while (h > Math.ceil(maxH * 0.7) && textWidth(text, h, bold, mono) > width) h--;
  return h;
}

function tooSmall(symbology: Symbology, size: LabelSize): AppError {
  return new AppError("validation_failed", `the ${symbology} symbol does not fit a ${size} label`);
}
