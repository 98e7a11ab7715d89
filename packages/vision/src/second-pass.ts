// The second pass, region by region: an ordered list of named steps, each a small function of one
// shared context. A candidate region runs its steps in order until one reads a code; an oversized
// blob (labels chained side by side) runs all of its steps. Each step's time and reads are
// counted, so the order can follow measured yield (bench:qr-curved --steps). The steps touch no
// decoder state: a region is self-contained work that a worker thread can run.

import { type ReaderOptions, type ReadResult, readBarcodes } from "zxing-wasm";
import { type Box, insideCode, padBox } from "./candidate-regions.js";
import {
  type FinderPattern,
  findFinderPatterns,
  looksFlat,
  pickPairs,
  pickTriples,
  type Region,
  readCurvedPair,
  readCurvedTriple,
  readFlattened,
  type Triple,
  tripleBounds,
} from "./curved-read.js";
import { type DataMatrixFinder, findDataMatrixFinders } from "./datamatrix-finder.js";
import { readDataMatrixRegion } from "./datamatrix-read.js";
import { allocPgm } from "./pgm.js";
import type { DecodedLabel, GreyImage, Point, StepReport, UnreadLabel } from "./types.js";
import { LABEL_FORMATS } from "./zxing-module.js";

const CROP: ReaderOptions = {
  formats: LABEL_FORMATS,
  tryHarder: true,
  tryRotate: false,
  tryInvert: false,
  // The crops are upscaled on purpose; zxing's downscaled layers of a 2-3x crop only read it again
  // at about its own size, which crop-1x does. Without them the re-reads cost about a tenth less
  // and read the same codes on every bench (bench/NOTEBOOK.md, 2026-12-07, budget).
  tryDownscale: false,
  maxNumberOfSymbols: 4,
};

/** Threshold window (px each way) for the second finder search, the one for blurred small symbols. */
const FINE_RADIUS = 4;
/**
 * Module size (px, from the finders) from which the small-symbol rescues stop paying: over
 * bench:qr-curved and bench:qr, `curved-fine-triple` read 0 of 19 regions at or above it and
 * `flattened` 0 of 24, for about a sixth of the second pass's time; all their reads were below it.
 */
const SMALL_MODULE_PX = 2.5;
/**
 * Share of a finder pattern's height (rows) in which its 1:1:3:1:1 runs were confirmed, from which
 * a triple is a QR symbol's and not a Data Matrix's marks passing for one: a real finder's core
 * crosses 3/7 of its rows and the search confirms it in most (0.6-1.3 over bench:qr-curved's
 * unread QR regions); the L and timing edges of a Data Matrix pass in a few rows by chance (at most
 * 0.43 over 36 bench:datamatrix frames, seeds 9000 and 9100).
 */
const QR_CONFIRMED_ROWS = 0.6;
/** Share of the candidate box a confirmed QR triple's symbol must cover to explain the region. */
const QR_COVER = 0.5;
/**
 * Share of its rows in which one finder pattern inside the box must pass for the box to be a QR
 * label's on that finder alone, triple or not: on the unread regions of bench:qr-curved (seed 7100)
 * that reached the Data Matrix search, two in three show one at 0.88-1.33; a Data Matrix's marks
 * pass for a single finder in at most 0.64 of its rows (every region of bench:datamatrix seeds 9000
 * and 9100). The Data Matrix search was a third of those QR regions' second pass, and a false Data
 * Matrix finder on a QR symbol's modules the dearest read of all (up to 50-100 ms).
 */
const QR_CERTAIN_ROWS = 0.8;
/** Data Matrix finders read per oversized blob: a chain of labels holds a few symbols. */
const BLOB_FINDERS = 6;

/** One region's work, as handed to a worker. */
export interface RegionTask {
  kind: "candidate" | "blob";
  box: Box;
  /** Codes read so far; a blob skips finders inside them. */
  codes: DecodedLabel[];
  /**
   * Every code the caller expects is read already: a candidate region is then only searched when
   * it holds a label's finder patterns (a label nobody expected), not re-read on the off chance.
   */
  settled: boolean;
  /** For a blob: the candidate regions already searched, whose Data Matrix symbols it leaves. */
  tried?: Box[];
}

export interface RegionResult {
  /** Codes read in the region, each with the step that read it. */
  hits: (DecodedLabel & { step: string })[];
  /** The region, when it holds finder patterns but no code could be read. */
  unread?: UnreadLabel;
  steps: StepReport[];
}

/** What a candidate region's steps share; later steps see what earlier ones found. */
export interface RegionContext {
  readonly grey: GreyImage;
  readonly task: RegionTask;
  /** The box grown by a quiet zone: where finder patterns are searched. */
  readonly padded: Region;
  finders: FinderPattern[];
  /** The best-looking symbol's three finders, if any. */
  triple?: Triple;
  /** True when the triple shows a bend: plain re-reads then rarely help. */
  bent: boolean;
  /** Module size the finders tell (0 when none were found). */
  modulePx: number;
  /**
   * Set by a locator step when the region shows a label's own marks (for QR, two finder patterns
   * inside the box), not just print-like texture.
   */
  labelLike: boolean;
  /** Set by a step to end the list early: the region is explained without a read. */
  done: boolean;
  /** Finders found with the fine threshold window, searched at most once. */
  fine?: FinderPattern[];
  /** Data Matrix finders (the solid L with its timing edges), searched at most once. */
  dataMatrix?: DataMatrixFinder[];
  /**
   * The region is a QR label's: a confirmed finder triple whose symbol covers most of the box, or
   * one finder beyond doubt. Its Data Matrix search, the second pass's dearest on QR shelves, is
   * then skipped.
   */
  qrExplained: boolean;
  /** Data Matrix finders in the region that gave no code. */
  dataMatrixUnread: number;
  crop?: Crop;
}

export interface Step<C> {
  readonly name: string;
  /** Whether the step has anything to try on this context; a step that does not apply costs nothing. */
  applies(ctx: C): boolean;
  run(ctx: C): Promise<DecodedLabel[]>;
}

interface CropAttempt {
  scale: number;
  sharpen: boolean;
  confidence: number;
}

/**
 * Re-reads of a candidate region, cheapest and most often successful first; later ones only run
 * where the earlier ones failed. Measured on the bench's shelves, sharpening before a 1.5x upscale
 * wins most often, plain 1.5x catches a few that sharpening breaks, and the tiniest blurred
 * symbols (~2.2 px/module) need 2-3x. zxing's tryDenoise never added a read over these.
 */
function cropStep(attempt: CropAttempt): Step<RegionContext> {
  return {
    name: `crop-${attempt.scale}x${attempt.sharpen ? "-sharp" : ""}`,
    applies: (ctx) =>
      // A bent label read neither unwrapped nor as a grid gets only the sharpened re-reads: over
      // both benches the plain ones never read one. The symbol's own finder patterns tell its
      // module size: upscaling past ~8 px per module only costs time.
      !(ctx.bent && !attempt.sharpen) && !(attempt.scale > 1.5 && ctx.modulePx * attempt.scale > 8),
    run: (ctx) => {
      ctx.crop ??= new Crop(ctx.grey, ctx.task.box);
      return readCrop(ctx.crop, attempt);
    },
  };
}

/** The fine-window finder search's best triple, searched once per region. */
function fineTriple(ctx: RegionContext): Triple | undefined {
  ctx.fine ??= findFinderPatterns(ctx.grey, ctx.padded, FINE_RADIUS);
  return pickTriples(ctx.fine, 1)[0];
}

/**
 * A candidate region's steps, in order. Another symbology's steps go in this list where their
 * measured yield puts them; a step that needs its own locator adds it as a step of its own.
 */
export const REGION_STEPS: readonly Step<RegionContext>[] = [
  {
    // One threshold pass per region serves the curved reads, the choice of re-reads and the
    // unread-label check. Blur merges a small finder's one-module rings with its core and
    // separator against the default threshold window (an eighth of the region); a window of a few
    // pixels keeps them apart, so it is searched when the default search gives no symbol.
    name: "find-finders",
    applies: () => true,
    run: async (ctx) => {
      ctx.finders = findFinderPatterns(ctx.grey, ctx.padded);
      ctx.triple = pickTriples(ctx.finders, 1)[0];
      if (!ctx.triple) {
        ctx.triple = fineTriple(ctx);
        if (ctx.triple) ctx.finders = ctx.fine!;
      }
      ctx.bent = !!ctx.triple && !looksFlat(ctx.triple);
      const t = ctx.triple;
      const sized = t ? [t.corner, t.along, t.across] : ctx.finders;
      ctx.modulePx = sized.length ? Math.min(...sized.map((f) => Math.min(f.width, f.height))) / 7 : 0;
      ctx.labelLike ||= holdsLabel(ctx);
      ctx.qrExplained = (!!t && explainsBox(t, ctx.task.box)) || showsQrFinder(ctx);
      return [];
    },
  },
  {
    // With every expected code read, the settled exit below needs to know whether a Data Matrix
    // label is here: an unexpected label is reported, read or not, never skipped.
    name: "datamatrix-locate",
    applies: (ctx) => ctx.task.settled && !ctx.labelLike,
    run: async (ctx) => {
      ctx.labelLike ||= dataMatrixFinders(ctx).length > 0;
      return [];
    },
  },
  {
    // Every expected code is read: a region with no label's marks is print or texture, and the
    // re-reads below rarely find anything there (bench:qr-curved --steps), so it is left. Locator
    // steps for other symbologies go before this one.
    name: "settled-exit",
    applies: (ctx) => ctx.task.settled && !ctx.labelLike,
    run: async (ctx) => {
      ctx.done = true;
      return [];
    },
  },
  {
    // A label wrapped round a bottle: its bent rows defeat every plain re-read, so unwrap it first.
    name: "curved-triple",
    applies: (ctx) => ctx.bent,
    run: (ctx) => readCurvedTriple(ctx.grey, ctx.triple!, 0.6),
  },
  {
    // The fine window may pick a different (the right) triple where the default one misled: blur
    // merges the rings of small modules only.
    name: "curved-fine-triple",
    applies: (ctx) => !!ctx.triple && ctx.modulePx < SMALL_MODULE_PX,
    run: async (ctx) => {
      const other = fineTriple(ctx);
      if (!other || looksFlat(other) || sameTriple(other, ctx.triple!)) return [];
      return readCurvedTriple(ctx.grey, other, 0.6);
    },
  },
  {
    // A Data Matrix's L with its timing edges: the module grid fitted to them follows a bend
    // (datamatrix-read.ts). Before the crop re-reads, which cost more and rarely read a bent symbol;
    // a Data Matrix that still does not read is reported as a label not read.
    name: "datamatrix",
    applies: (ctx) => !ctx.qrExplained && (ctx.dataMatrix === undefined || ctx.dataMatrix.length > 0),
    run: async (ctx) => {
      const finders = dataMatrixFinders(ctx);
      if (!finders.length) return [];
      const dm = await readDataMatrixRegion(ctx.grey, ctx.padded, 0.6, finders);
      ctx.dataMatrixUnread = dm.unread;
      return dm.codes;
    },
  },
  cropStep({ scale: 1.5, sharpen: true, confidence: 0.9 }),
  cropStep({ scale: 1.5, sharpen: false, confidence: 0.85 }),
  cropStep({ scale: 2, sharpen: true, confidence: 0.8 }),
  cropStep({ scale: 3, sharpen: true, confidence: 0.75 }),
  // The full-frame pass reads zxing's own decode of the JPEG, not this green channel; the odd
  // glare-washed label reads only here, unscaled and unsharpened, and it is the cheapest attempt.
  cropStep({ scale: 1, sharpen: false, confidence: 0.7 }),
  {
    // Two finders and no read: the third may be hidden behind a neighbour or cut by the bottle's edge.
    name: "curved-pair",
    applies: (ctx) => ctx.finders.length >= 2,
    run: async (ctx) => {
      // A Data Matrix's L and timing edges can pass for two finder patterns, and a QR symbol
      // guessed round them has read as garbage that passed QR's checks: pairs on one are left.
      for (const [a, b] of pickPairs(ctx.finders, 1)) {
        if (onDataMatrix(ctx, a) || onDataMatrix(ctx, b)) continue;
        const hits = await readCurvedPair(ctx.grey, a, b);
        if (hits.length) return hits;
      }
      return [];
    },
  },
  {
    // Failing that, a glare stripe may have washed the symbol out. Larger modules keep ink and
    // paper apart under glare well enough for the curved reads' own grid reader.
    name: "flattened",
    applies: (ctx) => ctx.finders.length >= 2 && ctx.modulePx < SMALL_MODULE_PX,
    run: async (ctx) =>
      // The same guess as the pair's, on a Data Matrix's marks, reads garbage too.
      ctx.finders.filter((f) => !onDataMatrix(ctx, f)).length < 2 ? [] : readFlattened(ctx.grey, ctx.padded),
  },
];

/** The region's Data Matrix finders, searched once; none in a region a QR symbol explains. */
function dataMatrixFinders(ctx: RegionContext): DataMatrixFinder[] {
  ctx.dataMatrix ??= ctx.qrExplained ? [] : findDataMatrixFinders(ctx.grey, ctx.padded);
  return ctx.dataMatrix;
}

/**
 * True when a triple is a QR symbol's (one of its finders confirmed in most of its rows) and its
 * symbol covers most of the box: no room for a Data Matrix label beside it.
 */
function explainsBox(t: Triple, box: Box): boolean {
  if (!confirmedTriple(t)) return false;
  const b = tripleBounds(t);
  const ix = Math.max(0, Math.min(b.x1, box.x1) - Math.max(b.x0, box.x0));
  const iy = Math.max(0, Math.min(b.y1, box.y1) - Math.max(b.y0, box.y0));
  return ix * iy >= QR_COVER * (box.x1 - box.x0) * (box.y1 - box.y0);
}

/** True when a finder pattern inside the box is a QR symbol's beyond doubt (see QR_CERTAIN_ROWS). */
function showsQrFinder(ctx: RegionContext): boolean {
  const { box } = ctx.task;
  return ctx.finders.some(
    (f) =>
      f.x >= box.x0 && f.x < box.x1 && f.y >= box.y0 && f.y < box.y1 && confirmedRows(f) >= QR_CERTAIN_ROWS,
  );
}

/** True when one of the triple's finders passes in enough of its rows to be a QR symbol's. */
function confirmedTriple(t: Triple): boolean {
  return [t.corner, t.along, t.across].some((f) => confirmedRows(f) >= QR_CONFIRMED_ROWS);
}

/** The share of a finder pattern's height (rows) in which its 1:1:3:1:1 runs were confirmed. */
function confirmedRows(f: FinderPattern): number {
  return f.hits / Math.max(f.width, f.height);
}

/** What an oversized blob's steps share. */
export interface BlobContext {
  readonly grey: GreyImage;
  readonly task: RegionTask;
  /** Codes read so far, this blob's included: their finders are not read again. */
  readonly codes: DecodedLabel[];
  finders: FinderPattern[];
  /** Data Matrix finders in the blob. */
  dataMatrix?: DataMatrixFinder[];
}

/** An oversized blob's steps: all run, each reading every symbol it can. */
export const BLOB_STEPS: readonly Step<BlobContext>[] = [
  {
    name: "blob-find-finders",
    applies: () => true,
    run: async (ctx) => {
      ctx.finders = findFinderPatterns(ctx.grey, padBox(ctx.task.box)).filter(
        (f) => !insideCode(ctx.codes, f.x, f.y),
      );
      return [];
    },
  },
  {
    // Labels side by side, or one printed to a bottle's edge, chain into a blob: its Data Matrix
    // symbols are found and read there, those in a candidate region already tried left out. Before
    // the QR reads, which then leave finder-like marks on a Data Matrix alone.
    name: "blob-datamatrix",
    // A blob with a QR symbol's three confirmed finders is a chain of QR labels; the Data Matrix
    // search of a blob is the second pass's dearest step, so it is left to blobs without. A triple
    // no finder of which is confirmed is often a Data Matrix's L and timing edges passing for one.
    applies: (ctx) => !pickTriples(ctx.finders).some(confirmedTriple),
    run: async (ctx) => {
      // A Data Matrix finder round a QR finder pattern beyond doubt (QR_CERTAIN_ROWS) is a QR
      // symbol's modules passing for an L: reading it was most of this step's cost on QR shelves.
      const qr = ctx.finders.filter((f) => confirmedRows(f) >= QR_CERTAIN_ROWS);
      ctx.dataMatrix = findDataMatrixFinders(ctx.grey, padBox(ctx.task.box)).filter(
        (d) => !qr.some((f) => onSymbol(d, f)),
      );
      const centre = (f: DataMatrixFinder): [number, number] => [
        (f.bounds.x0 + f.bounds.x1) / 2,
        (f.bounds.y0 + f.bounds.y1) / 2,
      ];
      const fresh = ctx.dataMatrix.filter((f) => {
        const [x, y] = centre(f);
        return (
          !insideCode(ctx.codes, x, y) &&
          !(ctx.task.tried ?? []).some((b) => x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1)
        );
      });
      const { codes } = await readDataMatrixRegion(ctx.grey, padBox(ctx.task.box), 0.6, fresh, BLOB_FINDERS);
      ctx.codes.push(...codes);
      ctx.finders = ctx.finders.filter((f) => !ctx.dataMatrix!.some((d) => onSymbol(d, f)));
      return codes;
    },
  },
  {
    name: "blob-triples",
    applies: (ctx) => ctx.finders.length >= 3,
    run: async (ctx) => {
      const out: DecodedLabel[] = [];
      for (const t of pickTriples(ctx.finders)) {
        const b = tripleBounds(t);
        if (insideCode(ctx.codes, (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)) continue;
        const hits = await readCurvedTriple(ctx.grey, t, 0.6);
        out.push(...hits);
        ctx.codes.push(...hits);
      }
      return out;
    },
  },
  {
    name: "blob-pairs",
    applies: (ctx) => ctx.finders.length >= 2,
    run: async (ctx) => {
      const out: DecodedLabel[] = [];
      const left = ctx.finders.filter((f) => !insideCode(ctx.codes, f.x, f.y));
      for (const [a, b] of pickPairs(left, 2)) out.push(...(await readCurvedPair(ctx.grey, a, b)));
      return out;
    },
  },
];

/** Runs one region's steps and reports what each cost and read. */
export async function runRegion(grey: GreyImage, task: RegionTask): Promise<RegionResult> {
  const steps: StepReport[] = [];
  const hits: RegionResult["hits"] = [];
  const timed = async <C>(step: Step<C>, ctx: C) => {
    const t0 = performance.now();
    const read = await step.run(ctx);
    steps.push({ name: step.name, regions: 1, ms: performance.now() - t0, reads: 0 });
    for (const c of read) hits.push({ ...c, step: step.name });
    return read;
  };
  if (task.kind === "blob") {
    const ctx: BlobContext = { grey, task, codes: [...task.codes], finders: [] };
    for (const step of BLOB_STEPS) if (step.applies(ctx)) await timed(step, ctx);
    return { hits, steps };
  }
  const ctx: RegionContext = {
    grey,
    task,
    padded: padBox(task.box),
    finders: [],
    bent: false,
    modulePx: 0,
    labelLike: false,
    done: false,
    dataMatrixUnread: 0,
    qrExplained: false,
  };
  for (const step of REGION_STEPS) {
    if (!step.applies(ctx)) continue;
    if ((await timed(step, ctx)).length || ctx.done) break;
  }
  // Two finder patterns, or a Data Matrix's L, and no code: a label is there but could not be read
  // (turned away, bent, glared). Text and other clutter rarely show two 1:1:3:1:1 patterns.
  const { box } = task;
  const unread =
    hits.length === 0 && (holdsLabel(ctx) || ctx.dataMatrixUnread > 0)
      ? { x: box.x0, y: box.y0, w: box.x1 - box.x0, h: box.y1 - box.y0 }
      : undefined;
  return { hits, unread, steps };
}

/** True when a QR finder pattern lies on a Data Matrix symbol found in the region. */
function onDataMatrix(ctx: RegionContext, f: FinderPattern): boolean {
  return dataMatrixFinders(ctx).some((d) => onSymbol(d, f));
}

function onSymbol({ bounds: b }: DataMatrixFinder, f: FinderPattern): boolean {
  return f.x >= b.x0 && f.x <= b.x1 && f.y >= b.y0 && f.y <= b.y1;
}

/** True when at least two of the region's finder patterns lie inside its box. */
function holdsLabel(ctx: RegionContext): boolean {
  const { box } = ctx.task;
  const inBox = (f: FinderPattern) => f.x >= box.x0 && f.x < box.x1 && f.y >= box.y0 && f.y < box.y1;
  return ctx.finders.filter(inBox).length >= 2;
}

/** True when two triples are the same three finders (within 3 px each). */
function sameTriple(a: Triple, b: Triple): boolean {
  const near = (p: FinderPattern, q: FinderPattern) => Math.hypot(p.x - q.x, p.y - q.y) < 3;
  return near(a.corner, b.corner) && near(a.along, b.along) && near(a.across, b.across);
}

/** Maps a read from crop coordinates (offset, scaled) back to the full frame. */
export function toCode(
  r: ReadResult,
  offX: number,
  offY: number,
  scaleX: number,
  scaleY: number,
  confidence: number,
): DecodedLabel {
  const p = r.position;
  const map = (q: { x: number; y: number }): Point => [
    round1(q.x / scaleX + offX),
    round1(q.y / scaleY + offY),
  ];
  return {
    text: r.text,
    corners: [map(p.topLeft), map(p.topRight), map(p.bottomRight), map(p.bottomLeft)],
    confidence,
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** A candidate region cut out once for all its re-reads, plain and (lazily) sharpened. */
class Crop {
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  readonly plain: Uint8Array;
  private sharp?: Uint8Array;

  constructor(grey: GreyImage, box: Box) {
    const p = padBox(box);
    this.x0 = Math.max(0, p.x0);
    this.y0 = Math.max(0, p.y0);
    this.w = Math.min(grey.width, p.x1) - this.x0;
    this.h = Math.min(grey.height, p.y1) - this.y0;
    this.plain = new Uint8Array(this.w * this.h);
    for (let y = 0; y < this.h; y++) {
      const from = (this.y0 + y) * grey.width + this.x0;
      this.plain.set(grey.data.subarray(from, from + this.w), y * this.w);
    }
  }

  pixels(sharpen: boolean): Uint8Array {
    if (!sharpen) return this.plain;
    this.sharp ??= unsharp(this.plain, this.w, this.h);
    return this.sharp;
  }
}

async function readCrop(crop: Crop, attempt: CropAttempt): Promise<DecodedLabel[]> {
  const { w: sw, h: sh } = crop;
  const src = crop.pixels(attempt.sharpen);
  const ow = Math.round(sw * attempt.scale);
  const oh = Math.round(sh * attempt.scale);
  const pgm = allocPgm(ow, oh);
  const out = pgm.grey.data;
  if (ow === sw && oh === sh) out.set(src);
  else {
    // Bilinear upscale in JS: a sharp resize per attempt cost as much as the re-read itself, and
    // over the bench it recovered no more symbols than cubic did. Column taps are the same for
    // every row, so they are worked out once.
    const ix = new Int32Array(ow);
    const ax = new Float32Array(ow);
    for (let x = 0; x < ow; x++) {
      const fx = Math.min(sw - 1.001, Math.max(0, (x + 0.5) / attempt.scale - 0.5));
      ix[x] = fx | 0;
      ax[x] = fx - ix[x]!;
    }
    for (let y = 0; y < oh; y++) {
      const fy = Math.min(sh - 1.001, Math.max(0, (y + 0.5) / attempt.scale - 0.5));
      const iy = fy | 0;
      const ay = fy - iy;
      const r0 = iy * sw;
      const r1 = r0 + sw;
      const o = y * ow;
      for (let x = 0; x < ow; x++) {
        const i = ix[x]!;
        const a = ax[x]!;
        const top = src[r0 + i]! + (src[r0 + i + 1]! - src[r0 + i]!) * a;
        const bot = src[r1 + i]! + (src[r1 + i + 1]! - src[r1 + i]!) * a;
        out[o + x] = top + (bot - top) * ay + 0.5;
      }
    }
  }
  const res = await readBarcodes(pgm.file, CROP);
  return res
    .filter((r) => r.isValid && r.text)
    .map((r) => toCode(r, crop.x0, crop.y0, ow / sw, oh / sh, attempt.confidence));
}

/**
 * Unsharp mask with a 3x3 binomial blur, amount 1: undoes part of the optical blur that merges
 * 2 px modules. Done here because sharp's sharpen() works in LAB and costs more than the decode.
 */
function unsharp(src: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(src);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const blur =
        (src[i - w - 1]! +
          2 * src[i - w]! +
          src[i - w + 1]! +
          2 * src[i - 1]! +
          4 * src[i]! +
          2 * src[i + 1]! +
          src[i + w - 1]! +
          2 * src[i + w]! +
          src[i + w + 1]!) >>
        4;
      const v = 2 * src[i]! - blur;
      out[i] = Math.max(0, Math.min(255, v));
    }
  }
  return out;
}
