// Reads a Data Matrix symbol on a bent label by its own marks, where zxing's reader needs a flat,
// straight-sided symbol. The finder (datamatrix-finder.ts) gives the symbol's tight rectangle and
// which of its sides are the solid L and which the dotted timing edges. Each side is traced to
// the ink's boundary and fitted with a quadratic (a row wrapped round a bottle bends into an arc);
// the four curves bound a Coons patch over the symbol. The timing edges' dots then count the
// modules along each axis and place them (columns crowd towards the bottle's silhouette, and the
// dots crowd with them). Each module is sampled at its centre, and the symbol is redrawn flat and
// clean, 6 px a module with a quiet zone, for zxing's pure-symbol reader: its error correction is
// the check on every module decision.
import { type ReaderOptions, readBarcodes } from "zxing-wasm";
import { localMeanThreshold } from "./curved-read.js";
import type { Vec2 } from "./curved-unwrap.js";
import { correctModules } from "./datamatrix-codewords.js";
import type { DataMatrixFinder } from "./datamatrix-finder.js";
import { allocPgm } from "./pgm.js";
import { sample } from "./qr-grid.js";
import type { DecodedLabel, GreyImage, Point } from "./types.js";

const PURE: ReaderOptions = {
  formats: ["DataMatrix"],
  isPure: true,
  tryHarder: false,
  tryRotate: false,
  tryInvert: false,
  tryDownscale: false,
  maxNumberOfSymbols: 1,
};

/** ECC200 symbol sizes, rows x columns (ISO/IEC 16022 table 7, up to 48 modules a side). */
export const DATA_MATRIX_SIZES: readonly [number, number][] = [
  ...[10, 12, 14, 16, 18, 20, 22, 24, 26, 32, 36, 40, 44, 48].map((n): [number, number] => [n, n]),
  [8, 18],
  [8, 32],
  [12, 26],
  [12, 36],
  [16, 36],
  [16, 48],
];

/** Every size in both orientations (a rectangle's rows along either axis of the finder). */
const ORIENTED_SIZES: readonly [number, number][] = DATA_MATRIX_SIZES.flatMap(([r, c]): [number, number][] =>
  r === c
    ? [[r, c]]
    : [
        [r, c],
        [c, r],
      ],
);

/** How far (log ratio) a hidden-strip grid's module pitch may differ between its two axes. */
const HIDDEN_MISFIT = 0.2;
/** Hidden-strip grids sampled per finder (sampling is cheap) and read (each costs zxing reads and an erasure correction). */
const MAX_HIDDEN_GRIDS = 16;
const MAX_HIDDEN_READS = 2;
/** Share of the finder and alignment modules a grid must sample right to be read. */
const MIN_PATTERN_AGREEMENT = 0.8;
/**
 * The same for a hidden-strip grid: with a dozen sizes and strips guessed, wrong ones pass 0.8
 * often (each read costs zxing calls and an erasure correction); the right ones came out at 0.98
 * and more on the benches.
 */
const MIN_HIDDEN_AGREEMENT = 0.9;
/** Pixels a module in the redrawn symbol, and its quiet zone in modules. */
const OUT_MODULE = 6;
const OUT_QUIET = 2;

/** One side of the finder's rectangle: where it starts, where it runs, and which way is inward. */
interface Side {
  from: Vec2;
  along: Vec2;
  inward: Vec2;
  /** The rectangle's extent inward from this side, px. */
  across: number;
  /** Depth of the ink's boundary inward from the side, as a quadratic in t (0..1 along it). */
  depth: [number, number, number];
  /** Where the symbol's corners lie along the side (t at either end). */
  span: [number, number];
}

/** A timing edge's dot centres (fractions of the side) from the L's end; incomplete when cut short. */
interface Dots {
  centres: number[];
  complete: boolean;
}

/** Where the symbol's modules lie: the patch's four sides and the module centres along each axis. */
export interface DataMatrixGrid {
  /** Modules along the finder's first solid edge (corner to ends[0]) and along the second. */
  na: number;
  nb: number;
  /** Module centres as fractions of the patch's two axes. */
  ua: Float64Array;
  vb: Float64Array;
  /** The patch between the fitted sides: `patch.at(u, v)` is the image position of a patch point. */
  patch: CoonsPatch;
  /**
   * Modules hidden by a neighbour, outside the patch: rows i in [hiddenA[0], hiddenA[1]), or columns
   * j in hiddenB's range; placed, not seen, and left to the erasure correction.
   */
  hiddenA?: [number, number];
  hiddenB?: [number, number];
}

/**
 * Reads the symbol a finder belongs to through its fitted grid, or null; `hiddenStrips` also
 * tries grids with a strip hidden by a neighbour (hiddenStripGrids, and behindGrids for a finder
 * found behind one), which cost a few ms a finder.
 */
export async function readDataMatrixGrid(
  grey: GreyImage,
  f: DataMatrixFinder,
  confidence: number,
  hiddenStrips = true,
): Promise<DecodedLabel | null> {
  const grids = [...(hiddenStrips ? behindGrids(grey, f) : []), ...dataMatrixGrids(grey, f, hiddenStrips)];
  const sampled = (grid: DataMatrixGrid) => {
    const values = sampleModules(grey, grid);
    const decisions = moduleDecisions(values, grid);
    const agreement = decisions.map((bits) => patternAgreement(bits, grid));
    return { grid, values, decisions, agreement, best: Math.max(...agreement) };
  };
  // A grid whose L and timing edges do not come out as they must is off (or no Data Matrix): the
  // redraw and zxing's reads are spared. Of the hidden-strip guesses, many sizes and strips fit
  // the patterns passably; only the best-fitting few are read.
  const fitting = (g: DataMatrixGrid[], min: number) => g.map(sampled).filter((x) => x.best >= min);
  const plain = fitting(
    grids.filter((g) => !g.hiddenA && !g.hiddenB),
    MIN_PATTERN_AGREEMENT,
  );
  const hidden = fitting(
    grids.filter((g) => (g.hiddenA || g.hiddenB) && borderAgreement(grey, g) >= MIN_HIDDEN_AGREEMENT - 0.1),
    MIN_HIDDEN_AGREEMENT,
  )
    .sort((x, y) => y.best - x.best)
    .slice(0, MAX_HIDDEN_READS);
  for (const s of [...plain, ...hidden]) {
    const hit = await readSampled(s.grid, s.values, s.decisions, s.agreement);
    if (hit) return { ...hit, confidence };
  }
  return null;
}

/** Reads one sampled grid: each decision set redrawn, then the best corrected with erasures. */
async function readSampled(
  grid: DataMatrixGrid,
  values: Float32Array,
  decisions: Uint8Array[],
  agreement: number[],
): Promise<Omit<DecodedLabel, "confidence"> | null> {
  const view = symbolView(grid);
  const asDrawn = <T extends Uint8Array | Float32Array>(perModule: T, out: T): T => {
    for (let r = 0; r < view.rows; r++) {
      for (let c = 0; c < view.cols; c++) {
        const [i, j] = view.toIJ(c, r);
        out[r * view.cols + c] = perModule[i * grid.nb + j]!;
      }
    }
    return out;
  };
  const drawn = decisions.map((bits) => asDrawn(bits, new Uint8Array(bits.length)));
  for (const bits of drawn) {
    const hit = await readRedrawn(bits, grid);
    if (hit) return hit;
  }
  // zxing corrects unknown errors only: a strip hidden by a neighbour, or modules too grey to
  // call, are corrected here as erasures, and the corrected symbol read again. Only the decisions
  // whose fixed patterns come out best: each correction tries dozens of erasure guesses.
  const best = drawn[agreement.indexOf(Math.max(...agreement))]!;
  const sure = asDrawn(moduleConfidence(values, grid, decisions), new Float32Array(values.length));
  const fixed = correctModules(best, sure, view.cols, view.rows);
  if (fixed && fixed.erasures + fixed.errors > 0) return readRedrawn(fixed.bits, grid);
  return null;
}

/** A finder's L: its corner and ends, the edges from the corner, their lengths and unit vectors. */
function finderFrame(f: DataMatrixFinder) {
  const C = f.corner;
  const [A, B] = f.ends;
  const a: Vec2 = [A[0] - C[0], A[1] - C[1]];
  const b: Vec2 = [B[0] - C[0], B[1] - C[1]];
  const la = Math.hypot(...a);
  const lb = Math.hypot(...b);
  const na: Vec2 = [a[0] / la, a[1] / la];
  const nb: Vec2 = [b[0] / lb, b[1] / lb];
  return { C, A, B, a, b, la, lb, na, nb };
}

function neg(v: Vec2): Vec2 {
  return [-v[0], -v[1]];
}

/**
 * The grids a finder may stand for, most likely first: the counts the timing dots give, then the
 * nearest valid symbol sizes with evenly spaced modules where the dots were unclear.
 */
export function dataMatrixGrids(grey: GreyImage, f: DataMatrixFinder, hiddenStrips = true): DataMatrixGrid[] {
  const { C, A, B, a, b, la, lb, na, nb } = finderFrame(f);
  const pad = Math.ceil(0.15 * Math.max(la, lb)) + 4;
  const xs = [C[0], A[0], B[0], A[0] + b[0]];
  const ys = [C[1], A[1], B[1], A[1] + b[1]];
  const x0 = Math.max(0, Math.floor(Math.min(...xs)) - pad);
  const y0 = Math.max(0, Math.floor(Math.min(...ys)) - pad);
  const x1 = Math.min(grey.width, Math.ceil(Math.max(...xs)) + pad);
  const y1 = Math.min(grey.height, Math.ceil(Math.max(...ys)) + pad);
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 8 || h < 8) return [];
  const dark = localMeanThreshold(grey, x0, y0, w, h, Math.max(8, Math.round(Math.min(la, lb) / 6)));
  const isDark = (p: Vec2) => {
    const x = Math.floor(p[0]) - x0;
    const y = Math.floor(p[1]) - y0;
    return x >= 0 && y >= 0 && x < w && y < h && dark[y * w + x] === 1;
  };
  const side = (from: Vec2, along: Vec2, inward: Vec2, across: number, solid: boolean): Side => {
    const s: Side = { from, along, inward, across, depth: [0, 0, 0], span: [0, 1] };
    s.depth = traceSide(grey, s, solid);
    return s;
  };
  // Sides: the solid edges from the corner, the timing edges opposite them.
  const sa = side(C, a, nb, lb, true);
  const sb = side(C, b, na, la, true);
  const ta = side(B, a, neg(nb), lb, false);
  const tb = side(A, b, neg(na), la, false);
  // Each side runs between its corners with the two sides it meets: where the fitted curves cross,
  // not the rectangle's corners (a symbol seen at a slant is no rectangle).
  meet(sa, 1, tb, 0);
  meet(sa, 0, sb, 0);
  meet(sb, 1, ta, 0);
  meet(ta, 1, tb, 1);
  const patch = coonsPatch(sa, ta, sb, tb);
  // The module's size from the L's thickness sets how far in the dots are sampled.
  const modulePx = Math.max(1.5, Math.min(thickness(isDark, sa), thickness(isDark, sb)));
  const dotsA = dotReadings(grey, ta, modulePx);
  const dotsB = dotReadings(grey, tb, modulePx);
  const countsA = completeCounts(dotsA);
  const countsB = completeCounts(dotsB);
  const grids: DataMatrixGrid[] = [];
  const tried = new Set<string>();
  // Every placement the dots give for a count (a reading cut short by glare or a neighbour
  // extrapolated from the dots it has), else evenly spaced modules.
  const placements = (dots: Dots[], count: number) => {
    const fit = dots.filter((d) => fits(d, count)).map((d) => placeModules(d.centres, count));
    return fit.length ? fit : [evenly(count)];
  };
  const add = (ca: number, cb: number) => {
    const key = `${ca}x${cb}`;
    if (tried.has(key)) return;
    tried.add(key);
    for (const ua of placements(dotsA, ca))
      for (const vb of placements(dotsB, cb)) grids.push({ na: ca, nb: cb, ua, vb, patch });
  };
  for (const [p, q] of ORIENTED_SIZES) if (countsA.includes(p) && countsB.includes(q)) add(p, q);
  // One axis counted, the other's dots cut short (or their last dots lost to glare or a
  // neighbour without a break in the spacing): the sizes that pair with the count.
  const short = (dots: Dots[], count: number) =>
    dots.some((d) => fits(d, count) && 2 * d.centres.length < count);
  for (const [p, q] of ORIENTED_SIZES)
    if ((countsA.includes(p) && short(dotsB, q)) || (countsB.includes(q) && short(dotsA, p))) add(p, q);
  // Where the dots gave no valid size, the nearest valid sizes to their counts (or to the L's
  // thickness where the dots were unclear): each grid tried costs three zxing reads.
  const hidden = () => (hiddenStrips ? hiddenStripGrids(dotsA, dotsB, la, lb, patch) : []);
  if (grids.length) return [...grids, ...hidden()];
  const guessA = countsA[0] ?? Math.round(la / modulePx);
  const guessB = countsB[0] ?? Math.round(lb / modulePx);
  const near = ORIENTED_SIZES.map(([p, q]) => ({
    p,
    q,
    cost: Math.abs(p - guessA) + Math.abs(q - guessB),
  })).sort((x, y) => x.cost - y.cost);
  for (const { p, q, cost } of near.slice(0, 3)) if (cost <= 4) add(p, q);
  return [...grids, ...hidden()];
}

/** Hidden-side grids tried per finder found behind a neighbour. */
const MAX_BEHIND_GRIDS = 6;

/**
 * Grids for a finder found behind a neighbour (`f.cut`): the side the neighbour hides is not
 * traced (its trace would follow the neighbour's silhouette) but taken as the rectangle's straight
 * side. The modules along the cut axis are placed by the dots of its visible timing edge, counted
 * from the end the neighbour leaves (the L's corner, or the far corner), their spacing carried on
 * past the silhouette; those beyond it, or on the neighbour, are hidden and left to the erasure
 * correction. The uncut axis is placed by its own timing dots where they are seen whole, else
 * evenly.
 */
export function behindGrids(grey: GreyImage, f: DataMatrixFinder): DataMatrixGrid[] {
  const cut = f.cut;
  if (!cut) return [];
  const { C, A, B, a, b, la, lb, na, nb } = finderFrame(f);
  const side = (
    from: Vec2,
    along: Vec2,
    inward: Vec2,
    across: number,
    solid: boolean,
    hidden: boolean,
  ): Side => {
    const s: Side = { from, along, inward, across, depth: [0, 0, 0], span: [0, 1] };
    if (!hidden) s.depth = traceSide(grey, s, solid);
    return s;
  };
  const cutB = cut.axis === "b";
  // The hidden side: along the uncut axis, at the L (solid) or at the far end (timing).
  const sa = side(C, a, nb, lb, true, cutB && cut.atCorner);
  const sb = side(C, b, na, la, true, !cutB && cut.atCorner);
  const ta = side(B, a, neg(nb), lb, false, cutB && !cut.atCorner);
  const tb = side(A, b, neg(na), la, false, !cutB && !cut.atCorner);
  meet(sa, 1, tb, 0);
  meet(sa, 0, sb, 0);
  meet(sb, 1, ta, 0);
  meet(ta, 1, tb, 1);
  const patch = coonsPatch(sa, ta, sb, tb);
  // The timing edges along the cut axis (partly hidden) and along the uncut one (whole, or hidden).
  const [alongCut, alongFull] = cutB ? [tb, ta] : [ta, tb];
  const modulePx = Math.max(1.5, lThickness(grey, f, cutB === cut.atCorner ? sb : sa));
  const cutLen = cutB ? lb : la;
  const fullLen = cutB ? la : lb;
  const fullDots = cut.atCorner ? dotReadings(grey, alongFull, modulePx) : [];
  const fullCounts = completeCounts(fullDots);
  const out: { grid: DataMatrixGrid; misfit: number }[] = [];
  for (const d of dotReadings(grey, alongCut, modulePx)) {
    // Counted from the far corner, a reading cut short (its dots kept up to a break, from the
    // silhouette's end) would number every dot wrongly.
    if (cut.atCorner && !d.complete) continue;
    const n = d.centres.length;
    for (const [p, q] of ORIENTED_SIZES) {
      const nCut = cutB ? q : p;
      const nFull = cutB ? p : q;
      if (2 * n > nCut + 1) continue;
      // Dot k is module 2k from the L's end; seen from the far end, the last dot is module
      // nCut - 2. The corner the neighbour leaves is where its module starts or ends.
      const xs = cut.atCorner
        ? [nCut, nCut, nCut, ...d.centres.map((_, k) => nCut - 1.5 - 2 * (n - 1 - k))]
        : [0, 0, 0, ...d.centres.map((_, k) => 2 * k + 0.5)];
      // The corner enters the fit three times over: the curve passes close to it.
      const ys = [cut.atCorner ? 1 : 0, cut.atCorner ? 1 : 0, cut.atCorner ? 1 : 0, ...d.centres];
      const fit = fitQuadratic(xs, ys);
      const pos = (x: number) => fit[0] + x * (fit[1] + x * fit[2]);
      // The pitch in px near the corner the neighbour leaves, along the cut axis.
      const pitchPx = (cut.atCorner ? pos(nCut) - pos(nCut - 2) : pos(2) - pos(0)) * 0.5 * cutLen;
      if (!(pitchPx > 1)) continue;
      const centres = Float64Array.from({ length: nCut }, (_, m) => pos(m + 0.5));
      if (!centres.every((c, m) => m === 0 || c > centres[m - 1]!)) continue;
      // The uncut axis's own dots, where whole, count it; and modules are square: its pitch is
      // the cut one's, within a quarter (log).
      if (fullCounts.length && !fullCounts.includes(nFull)) continue;
      const misfit = Math.abs(Math.log(fullLen / nFull / pitchPx));
      if (misfit > 0.25) continue;
      const hidden = hiddenRun(f, patch, cutB, centres, cut.atCorner);
      // The symbol reaches the visible end, and at most a quarter of its modules lie past it or
      // on the neighbour (the erasure correction decides whether that many are too many).
      if (!hidden || hidden[1] - hidden[0] > 0.25 * nCut) continue;
      const range = hidden[1] > hidden[0] ? hidden : undefined;
      const fullAt = fullDots.filter((x) => x.complete && 2 * x.centres.length === nFull);
      const uncut = fullAt.length ? placeModules(fullAt[0]!.centres, nFull) : evenly(nFull);
      const grid: DataMatrixGrid = cutB
        ? { na: p, nb: q, ua: uncut, vb: centres, patch, ...(range ? { hiddenB: range } : {}) }
        : { na: p, nb: q, ua: centres, vb: uncut, patch, ...(range ? { hiddenA: range } : {}) };
      out.push({ grid, misfit });
    }
  }
  return out
    .sort((x, y) => x.misfit - y.misfit)
    .slice(0, MAX_BEHIND_GRIDS)
    .map((c) => c.grid);
}

/**
 * The modules along the cut axis that are not seen (on the neighbour, or outside the region its
 * mask covers) as a range from the end it cuts; null where the symbol stops short of the visible
 * end.
 */
function hiddenRun(
  f: DataMatrixFinder,
  patch: CoonsPatch,
  cutB: boolean,
  centres: Float64Array,
  atCorner: boolean,
): [number, number] | null {
  const n = centres.length;
  const pitch = Math.abs(centres[n - 1]! - centres[n - 2]!);
  // Outward from the middle: the first module on the neighbour, and all beyond it.
  const order = Array.from({ length: n - (n >> 1) }, (_, k) => (atCorner ? (n >> 1) - 1 - k : (n >> 1) + k));
  if (atCorner ? centres[0]! > pitch : centres[n - 1]! < 1 - pitch) return null;
  // Past the patch's end a module may still be seen: the neighbour's margin, cleared from the dark
  // mask, cut the rectangle short.
  for (const m of order) {
    if (behindNeighbour(f, patch, cutB, centres[m]!)) return atCorner ? [0, m + 1] : [m, n];
  }
  return [0, 0];
}

/** The L's thickness along a solid side, px, from a threshold round the finder (0 off the image). */
function lThickness(grey: GreyImage, f: DataMatrixFinder, s: Side): number {
  const { x0: bx0, y0: by0, x1: bx1, y1: by1 } = f.bounds;
  const x0 = Math.floor(bx0) - 4;
  const y0 = Math.floor(by0) - 4;
  const w = Math.ceil(bx1) + 4 - x0;
  const h = Math.ceil(by1) + 4 - y0;
  if (x0 < 0 || y0 < 0 || x0 + w > grey.width || y0 + h > grey.height) return 0;
  const dark = localMeanThreshold(grey, x0, y0, w, h, Math.max(8, Math.round(Math.min(w, h) / 6)));
  return thickness((p) => {
    const x = Math.floor(p[0]) - x0;
    const y = Math.floor(p[1]) - y0;
    return x >= 0 && y >= 0 && x < w && y < h && dark[y * w + x] === 1;
  }, s);
}

/**
 * Whether a row or column of modules (at `t` along the cut axis) lies on the neighbour: at least
 * two of five taps along it on the neighbour's mask or outside the region it covers.
 */
function behindNeighbour(f: DataMatrixFinder, patch: CoonsPatch, cutB: boolean, t: number): boolean {
  const box = f.neighbour;
  if (!box) return false;
  let on = 0;
  for (let k = 0; k < 5; k++) {
    const s = (k + 0.5) / 5;
    const [x, y] = cutB ? patch.at(s, t) : patch.at(t, s);
    const px = Math.floor(x) - box.x0;
    const py = Math.floor(y) - box.y0;
    if (px < 0 || py < 0 || px >= box.w || py >= box.h || box.mask[py * box.w + px]) on++;
  }
  return on >= 2;
}

/**
 * Grids for a symbol with a strip along one side hidden by a neighbour standing in front of it
 * (the finder then took the first visible row or column for that side). A timing edge read whole
 * counts its axis (a dot or two may be lost); each symbol size with that count leaves one or two
 * modules unseen on one axis where the visible extent's proportions allow it. Those modules are
 * placed beyond the patch, at either end, evenly spaced with the visible ones, and left to the
 * erasure correction; the grids whose fixed patterns fit best are tried first.
 */
function hiddenStripGrids(
  dotsA: Dots[],
  dotsB: Dots[],
  la: number,
  lb: number,
  patch: CoonsPatch,
): DataMatrixGrid[] {
  const countsA = completeCounts(dotsA);
  const countsB = completeCounts(dotsB);
  const counted = (counts: number[], n: number) => counts.some((c) => c <= n && n - c <= 4);
  const along = (dots: Dots[], count: number) => {
    const d = dots.find((x) => fits(x, count));
    return d ? placeModules(d.centres, count) : evenly(count);
  };
  const shifted = (n: number, k: number, start: boolean) =>
    Float64Array.from({ length: n }, (_, m) => (m - (start ? k : 0) + 0.5) / (n - k));
  const candidates: { grid: DataMatrixGrid; misfit: number }[] = [];
  for (const [p, q] of ORIENTED_SIZES) {
    if (!counted(countsA, p) && !counted(countsB, q)) continue;
    for (const k of [1, 2]) {
      // Modules seen along a and b with the strip hidden on a, then on b; the pitch may differ
      // between the axes by a fifth (modules crowd towards a bottle's silhouette).
      for (const [seenA, seenB, onA] of [
        [p - k, q, true],
        [p, q - k, false],
      ] as const) {
        const misfit = Math.abs(Math.log(la / seenA / (lb / seenB)));
        if (misfit > HIDDEN_MISFIT) continue;
        for (const start of [true, false]) {
          const range: [number, number] = start ? [0, k] : [(onA ? p : q) - k, onA ? p : q];
          const grid: DataMatrixGrid = onA
            ? { na: p, nb: q, ua: shifted(p, k, start), vb: along(dotsB, q), patch, hiddenA: range }
            : { na: p, nb: q, ua: along(dotsA, p), vb: shifted(q, k, start), patch, hiddenB: range };
          candidates.push({ grid, misfit });
        }
      }
    }
  }
  return candidates
    .sort((x, y) => x.misfit - y.misfit)
    .slice(0, MAX_HIDDEN_GRIDS)
    .map((c) => c.grid);
}

/** Whether module (i, j) lies in a hidden strip, placed but not seen. */
function hiddenModule(g: DataMatrixGrid, i: number, j: number): boolean {
  const inside = (k: number, r?: [number, number]) => !!r && k >= r[0] && k < r[1];
  return inside(i, g.hiddenA) || inside(j, g.hiddenB);
}

/**
 * The Coons patch bounded by the four fitted sides: u along the solid edge sa (and the timing
 * edge ta opposite), v along sb (and tb). A point blends the boundary points at its u and its v,
 * so a grid's samples can share them: `boundaryU` per column of samples, `boundaryV` per row.
 */
export interface CoonsPatch {
  at(u: number, v: number): Vec2;
  boundaryU(u: number): [Vec2, Vec2];
  boundaryV(v: number): [Vec2, Vec2];
  blend(bu: readonly [Vec2, Vec2], bv: readonly [Vec2, Vec2], u: number, v: number): Vec2;
}

function coonsPatch(sa: Side, ta: Side, sb: Side, tb: Side): CoonsPatch {
  const p00 = mid(e0c(sa, 0), e0c(sb, 0));
  const p10 = mid(e0c(sa, 1), e0c(tb, 0));
  const p01 = mid(e0c(ta, 0), e0c(sb, 1));
  const p11 = mid(e0c(ta, 1), e0c(tb, 1));
  const boundaryU = (u: number): [Vec2, Vec2] => [pointAt(sa, u), pointAt(ta, u)];
  const boundaryV = (v: number): [Vec2, Vec2] => [pointAt(sb, v), pointAt(tb, v)];
  const blend = (
    [e0, e1]: readonly [Vec2, Vec2],
    [f0, f1]: readonly [Vec2, Vec2],
    u: number,
    v: number,
  ): Vec2 => {
    const out: Vec2 = [0, 0];
    for (const k of [0, 1] as const) {
      out[k] =
        (1 - v) * e0[k] +
        v * e1[k] +
        (1 - u) * f0[k] +
        u * f1[k] -
        ((1 - u) * (1 - v) * p00[k] + u * (1 - v) * p10[k] + (1 - u) * v * p01[k] + u * v * p11[k]);
    }
    return out;
  };
  return { at: (u, v) => blend(boundaryU(u), boundaryV(v), u, v), boundaryU, boundaryV, blend };
}

/** The point on a side's fitted boundary at t (0..1 along the rectangle's side). */
function point(s: Side, t: number): Vec2 {
  const d = s.depth[0] + t * (s.depth[1] + t * s.depth[2]);
  return [s.from[0] + t * s.along[0] + d * s.inward[0], s.from[1] + t * s.along[1] + d * s.inward[1]];
}

/** The point on a side's boundary at a fraction of the way between its corners. */
function pointAt(s: Side, f: number): Vec2 {
  return point(s, s.span[0] + f * (s.span[1] - s.span[0]));
}

/** A side's corner (end 0 or 1). */
function e0c(s: Side, end: 0 | 1): Vec2 {
  return point(s, s.span[end]);
}

function mid(p: Vec2, q: Vec2): Vec2 {
  return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
}

/** Where two adjacent sides' curves cross, stored as `x`'s end `ex` and `y`'s end `ey`. */
function meet(x: Side, ex: 0 | 1, y: Side, ey: 0 | 1): void {
  const along = (s: Side, p: Vec2) =>
    ((p[0] - s.from[0]) * s.along[0] + (p[1] - s.from[1]) * s.along[1]) / (s.along[0] ** 2 + s.along[1] ** 2);
  let tx: number = ex;
  let ty: number = ey;
  for (let k = 0; k < 6; k++) {
    ty = along(y, point(x, tx));
    tx = along(x, point(y, ty));
  }
  // Curves that do not cross near the rectangle's corner (a side traced onto clutter) keep it.
  const sane = (t: number, end: number) => Number.isFinite(t) && Math.abs(t - end) < 0.3;
  if (sane(tx, ex) && sane(ty, ey)) {
    x.span[ex] = tx;
    y.span[ey] = ty;
  }
}

/**
 * The boundary of the ink inward from a side, as a quadratic in t. A solid edge's ink starts at
 * its boundary all along; a timing edge's only at every other module, so its fit is pulled down
 * onto the lower envelope: points well inside the fit (a light module's depth) are dropped and
 * the fit repeated.
 */
function traceSide(grey: GreyImage, s: Side, solid: boolean): [number, number, number] {
  const len = Math.hypot(...s.along);
  const n = Math.max(24, Math.min(120, Math.round(len / 1.5)));
  const maxDepth = Math.max(4, s.across * 0.3);
  const ts: number[] = [];
  const ds: number[] = [];
  // Walking inward, the boundary is the first paper-to-ink step at least half the ray's largest:
  // a step, unlike a threshold, survives the glare that lifts ink and paper together.
  const steps = Math.ceil((maxDepth + 3) / 0.5);
  const prof = new Float32Array(steps);
  for (let k = 0; k < n; k++) {
    const t = 0.03 + (0.94 * (k + 0.5)) / n;
    const bx = s.from[0] + s.along[0] * t;
    const by = s.from[1] + s.along[1] * t;
    for (let q = 0; q < steps; q++) {
      const d = -3 + q * 0.5;
      prof[q] = sample(grey, bx + s.inward[0] * d, by + s.inward[1] * d);
    }
    let best = 0;
    for (let q = 2; q < steps - 2; q++) best = Math.max(best, prof[q - 2]! - prof[q + 2]!);
    if (best < 12) continue;
    for (let q = 3; q < steps - 3; q++) {
      const step = prof[q - 2]! - prof[q + 2]!;
      if (step >= 0.5 * best && step >= prof[q - 1]! - prof[q + 3]! && step >= prof[q - 3]! - prof[q + 1]!) {
        // A crisp one-pixel step gives the same difference over a pixel and a half of the ray:
        // the boundary is the middle of that plateau, not its outer end (half a pixel outside the
        // ink, where the L would then measure no thickness).
        let e = q;
        while (e + 1 < steps - 3 && prof[e - 1]! - prof[e + 3]! >= step - 0.25) e++;
        ts.push(t);
        ds.push(-3 + (e > q ? (q + e) / 2 : q + peakOffset(prof, q)) * 0.5);
        break;
      }
    }
  }
  let keep = ts.map(() => true);
  let fit: [number, number, number] = [0, 0, 0];
  for (let iter = 0; iter < 6; iter++) {
    const sel = ts.map((_, k) => k).filter((k) => keep[k]);
    if (sel.length < 6) break;
    fit = fitQuadratic(
      sel.map((k) => ts[k]!),
      sel.map((k) => ds[k]!),
    );
    const res = ts.map((t, k) => ds[k]! - (fit[0] + t * (fit[1] + t * fit[2])));
    // A solid edge loses only outliers (a neighbour's ink, a glare gap); a timing edge keeps the
    // points at or above the fit, the dots.
    const next = res.map((r) => (solid ? Math.abs(r) < 1.5 : r < 0.75));
    if (next.every((v, k) => v === keep[k])) break;
    keep = next;
  }
  return fit;
}

/** Where the step at q peaks between the samples either side (a parabola through three steps). */
function peakOffset(prof: Float32Array, q: number): number {
  const before = prof[q - 3]! - prof[q + 1]!;
  const at = prof[q - 2]! - prof[q + 2]!;
  const after = prof[q - 1]! - prof[q + 3]!;
  const curve = before - 2 * at + after;
  return curve < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (before - after)) / curve)) : 0;
}

function fitQuadratic(ts: readonly number[], ds: readonly number[]): [number, number, number] {
  // Normal equations for d = c0 + c1 t + c2 t².
  const m = [0, 0, 0, 0, 0];
  const r = [0, 0, 0];
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]!;
    let p = 1;
    for (let e = 0; e < 5; e++) {
      m[e]! += p;
      if (e < 3) r[e]! += p * ds[k]!;
      p *= t;
    }
  }
  const M = [
    [m[0]!, m[1]!, m[2]!],
    [m[1]!, m[2]!, m[3]!],
    [m[2]!, m[3]!, m[4]!],
  ];
  const sol = solve3(M, r);
  if (!sol) {
    const avg = ds.reduce((x, y) => x + y, 0) / Math.max(1, ds.length);
    return [avg, 0, 0];
  }
  return sol;
}

function solve3(M: number[][], r: number[]): [number, number, number] | null {
  const det = (m: number[][]) =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det(M);
  if (Math.abs(d) < 1e-12) return null;
  const col = (k: number) => M.map((row, i) => row.map((v, j) => (j === k ? r[i]! : v)));
  return [det(col(0)) / d, det(col(1)) / d, det(col(2)) / d];
}

/** The L's thickness inward from a solid side, px: the ink run at its thinnest (a quarter-quantile). */
function thickness(isDark: (p: Vec2) => boolean, s: Side): number {
  const runs: number[] = [];
  for (let k = 0; k < 24; k++) {
    const t = 0.08 + (0.84 * (k + 0.5)) / 24;
    const d0 = s.depth[0] + t * (s.depth[1] + t * s.depth[2]);
    const bx = s.from[0] + s.along[0] * t;
    const by = s.from[1] + s.along[1] * t;
    let d = d0;
    while (d < d0 + s.across * 0.5 && isDark([bx + s.inward[0] * (d + 0.25), by + s.inward[1] * (d + 0.25)]))
      d += 0.5;
    runs.push(d - d0);
  }
  // A run of nothing is the fit's end missing the ink, not a module.
  const ink = runs.filter((r) => r >= 1).sort((x, y) => x - y);
  return ink.length ? ink[ink.length >> 2]! : 0;
}

/** The distinct dot readings of a timing edge (each of timingDots' two tests), most trusted first. */
function dotReadings(grey: GreyImage, s: Side, modulePx: number): Dots[] {
  const out: Dots[] = [];
  for (const against of ["neighbours", "mean"] as const) {
    const d = timingDots(grey, s, modulePx, against);
    const n = d?.centres.length ?? 0;
    const same = (o: Dots) =>
      o.complete === d!.complete &&
      o.centres.length === n &&
      o.centres.every((v, k) => Math.abs(v - d!.centres[k]!) < 0.1 / n);
    if (d && !out.some(same)) out.push(d);
  }
  return out;
}

/** The module counts the timing dots read whole give (two modules a dot). */
function completeCounts(dots: Dots[]): number[] {
  return dots.filter((d) => d.complete).map((d) => 2 * d.centres.length);
}

/** The middle value (the upper one of an even count; 0 for none). */
function median(xs: readonly number[]): number {
  return [...xs].sort((x, y) => x - y)[xs.length >> 1] ?? 0;
}

/**
 * Whether dots can place `count` modules: all of them, or (cut short, or their last dots lost)
 * the first ones, at most two dots missing.
 */
function fits(d: Dots, count: number): boolean {
  const have = 2 * d.centres.length;
  return have === count || (have < count && (!d.complete || count - have <= 4));
}

/**
 * The dots of a timing edge (dark, light, ... from the L's end), as fractions of the way between
 * its corners, read from a profile half a module inside the fitted boundary: each sample against
 * the samples a module either side, or against the mean over one dot-and-gap period round it, so
 * glare's rise does not merge dots. Null when fewer than four dots alternate cleanly.
 */
function timingDots(grey: GreyImage, s: Side, modulePx: number, against: "neighbours" | "mean"): Dots | null {
  const step = 0.25;
  const len = Math.hypot(...s.along) * Math.abs(s.span[1] - s.span[0]);
  const n = Math.max(16, Math.round(len / step));
  const prof = new Float32Array(n);
  const inset = (side: Side, f: number): Vec2 => {
    const t = side.span[0] + f * (side.span[1] - side.span[0]);
    const d = side.depth[0] + t * (side.depth[1] + t * side.depth[2]) + modulePx / 2;
    return [
      side.from[0] + side.along[0] * t + d * side.inward[0],
      side.from[1] + side.along[1] * t + d * side.inward[1],
    ];
  };
  for (let k = 0; k < n; k++) {
    const [x, y] = inset(s, (k + 0.5) / n);
    prof[k] = sample(grey, x, y);
  }
  const win = Math.max(2, Math.round(modulePx / step));
  const isInk = new Uint8Array(n);
  if (against === "neighbours") {
    // A dot is darker than the gaps a module either side; a light module lighter than the dots.
    // Unlike a mean, this holds on glare's steep flank.
    for (let k = 0; k < n; k++) {
      const a = prof[Math.max(0, k - win)]!;
      const b = prof[Math.min(n - 1, k + win)]!;
      const ref = k - win < 0 ? b : k + win >= n ? a : (a + b) / 2;
      isInk[k] = prof[k]! < ref ? 1 : 0;
    }
  } else {
    const sums = new Float64Array(n + 1);
    for (let k = 0; k < n; k++) sums[k + 1] = sums[k]! + prof[k]!;
    for (let k = 0; k < n; k++) {
      const lo = Math.max(0, k - win);
      const hi = Math.min(n, k + win + 1);
      isInk[k] = prof[k]! < (sums[hi]! - sums[lo]!) / (hi - lo) ? 1 : 0;
    }
  }
  // Dark runs, with specks under a third of a module dropped.
  const minRun = Math.max(1, Math.round(modulePx / 3 / step));
  const centres: number[] = [];
  for (let k = 0; k < n; ) {
    if (!isInk[k]) {
      k++;
      continue;
    }
    let e = k;
    while (e < n && isInk[e]) e++;
    if (e - k >= minRun) centres.push((k + e) / 2 / n);
    k = e;
  }
  // The last dot is a module and a half from the far corner, whose module is light: ink right
  // at the corner is the edge beyond (glare's rim, the next label).
  const n0 = centres.length;
  if (n0 >= 2 && 1 - centres[n0 - 1]! < 0.25 * (centres[n0 - 1]! - centres[n0 - 2]!)) centres.pop();
  if (centres.length < 4) return null;
  // The spacing may change slowly (foreshortening), not jump: a missed or split dot breaks it, and
  // the dots from the L's end up to the break are kept.
  for (let k = 2; k < centres.length; k++) {
    const prev = centres[k - 1]! - centres[k - 2]!;
    const cur = centres[k]! - centres[k - 1]!;
    if (cur < 0.6 * prev || cur > 1.6 * prev)
      return k >= 4 ? { centres: centres.slice(0, k), complete: false } : null;
  }
  return { centres, complete: true };
}

/**
 * Module centres for `count` modules along a timing edge, from its dot centres (dot k is module
 * 2k) and its corners (module 0 starts at 0, module count - 1 ends at 1), through a smooth curve:
 * columns crowd towards a bottle's silhouette.
 */
function placeModules(centres: readonly number[], count: number): Float64Array {
  const xs = [0, count, ...centres.map((_, k) => 2 * k + 0.5)];
  const ys = [0, 1, ...centres];
  const ws = [3, 3, ...centres.map(() => 1)];
  const c = fitCubic(xs, ys, ws);
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const x = k + 0.5;
    out[k] = c[0] + x * (c[1] + x * (c[2] + x * c[3]));
  }
  return out;
}

/** Weighted least-squares cubic y = c0 + c1 x + c2 x² + c3 x³. */
function fitCubic(
  xs: readonly number[],
  ys: readonly number[],
  ws: readonly number[],
): [number, number, number, number] {
  const n = 4;
  const M = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let k = 0; k < xs.length; k++) {
    const pw = [1, xs[k]!, xs[k]! ** 2, xs[k]! ** 3];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) M[r]![c]! += ws[k]! * pw[r]! * pw[c]!;
      M[r]![n]! += ws[k]! * pw[r]! * ys[k]!;
    }
  }
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    const d = M[c]![c]!;
    if (Math.abs(d) < 1e-12) return [0, 1 / Math.max(1, xs[1]!), 0, 0];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / d;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const c = M.map((row, r) => row[n]! / row[r]!);
  return [c[0]!, c[1]!, c[2]!, c[3]!];
}

function evenly(count: number): Float64Array {
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) out[k] = (k + 0.5) / count;
  return out;
}

/** Grey level at each module's centre (mean of five taps within a third of a module), row i along a. */
export function sampleModules(grey: GreyImage, g: DataMatrixGrid): Float32Array {
  const { patch } = g;
  // Each module's five taps lie on three u and three v values: the boundary points at each are
  // computed once per column and row, not per tap.
  const step = (c: Float64Array, k: number) => (k + 1 < c.length ? c[k + 1]! - c[k]! : c[k]! - c[k - 1]!) / 4;
  const third = (c: Float64Array, boundary: (t: number) => [Vec2, Vec2]) =>
    Array.from(c, (t, k) => {
      const d = step(c, k);
      return { t, d, mid: boundary(t), lo: boundary(t - d), hi: boundary(t + d) };
    });
  const us = third(g.ua, patch.boundaryU);
  const vs = third(g.vb, patch.boundaryV);
  const out = new Float32Array(g.na * g.nb);
  const tap = (bu: [Vec2, Vec2], bv: [Vec2, Vec2], u: number, v: number) => {
    const [x, y] = patch.blend(bu, bv, u, v);
    return sample(grey, x, y);
  };
  for (let i = 0; i < g.na; i++) {
    const u = us[i]!;
    for (let j = 0; j < g.nb; j++) {
      const v = vs[j]!;
      const sum =
        2 * tap(u.mid, v.mid, u.t, v.t) +
        tap(u.hi, v.mid, u.t + u.d, v.t) +
        tap(u.lo, v.mid, u.t - u.d, v.t) +
        tap(u.mid, v.hi, u.t, v.t + v.d) +
        tap(u.mid, v.lo, u.t, v.t - v.d);
      out[i * g.nb + j] = sum / 6;
    }
  }
  return out;
}

/**
 * Ink decisions for the sampled modules, most trusted first: one threshold between the L's ink
 * and the timing edges' paper; then each module against its neighbourhood, for glare that lifts
 * part of the symbol.
 */
export function moduleDecisions(values: Float32Array, g: DataMatrixGrid): Uint8Array[] {
  const { cut, contrast } = inkAndPaper(values, g);
  const global = Uint8Array.from(values, (v) => (v < cut ? 1 : 0));
  const pa = g.patch.at(1, 0);
  const pb = g.patch.at(0, 1);
  const p0 = g.patch.at(0, 0);
  const aVertical =
    Math.abs(pa[1] - p0[1]) / Math.hypot(pa[0] - p0[0], pa[1] - p0[1]) >
    Math.abs(pb[1] - p0[1]) / Math.hypot(pb[0] - p0[0], pb[1] - p0[1]);
  // A glare stripe runs down the bottle and lifts whole columns: each module is judged against a
  // window long along the stripe and one module either side across it. Then each module against
  // the 7 x 7 modules round it, for light falling off across the label.
  const striped = rangeDecisions(values, g, aVertical ? [5, 1] : [1, 5], 0.3 * contrast, global);
  const local = rangeDecisions(values, g, [3, 3], 0, global);
  return [global, striped, local];
}

/** The threshold between the L's ink and the timing edges' paper, and their contrast. */
function inkAndPaper(values: Float32Array, g: DataMatrixGrid): { cut: number; contrast: number } {
  const { na, nb } = g;
  const ink: number[] = [];
  const paper: number[] = [];
  for (let i = 0; i < na; i++) if (!hiddenModule(g, i, 0)) ink.push(values[i * nb]!);
  for (let j = 1; j < nb; j++) if (!hiddenModule(g, 0, j)) ink.push(values[j]!);
  // Timing edges: j = nb - 1 (opposite the first solid edge) and i = na - 1; odd from the L's end.
  for (let i = 1; i < na; i += 2) if (!hiddenModule(g, i, nb - 1)) paper.push(values[i * nb + nb - 1]!);
  for (let j = 1; j < nb; j += 2) if (!hiddenModule(g, na - 1, j)) paper.push(values[(na - 1) * nb + j]!);
  return { cut: (median(ink) + median(paper)) / 2, contrast: median(paper) - median(ink) };
}

/**
 * How sure each module's decision is: 0 where the decisions (moduleDecisions) disagree, else its
 * distance from the ink-paper threshold over the contrast. Where a symbol's decisions fail, the
 * least sure codewords are the erasures tried first.
 */
function moduleConfidence(
  values: Float32Array,
  g: DataMatrixGrid,
  decisions: readonly Uint8Array[],
): Float32Array {
  const { cut, contrast } = inkAndPaper(values, g);
  return Float32Array.from(values, (v, k) =>
    !hiddenModule(g, Math.floor(k / g.nb), k % g.nb) && decisions.every((d) => d[k] === decisions[0]![k])
      ? Math.abs(v - cut) / Math.max(1, contrast)
      : 0,
  );
}

/**
 * Each module against the middle of the range of the modules within (ri, rj) of it; where that
 * range is under `minRange` (all paper, all ink) the fallback decision stands.
 */
function rangeDecisions(
  values: Float32Array,
  g: DataMatrixGrid,
  [ri, rj]: [number, number],
  minRange: number,
  fallback: Uint8Array,
): Uint8Array {
  const { na, nb } = g;
  const out = new Uint8Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let lo = 255;
      let hi = 0;
      for (let p = Math.max(0, i - ri); p <= Math.min(na - 1, i + ri); p++) {
        for (let q = Math.max(0, j - rj); q <= Math.min(nb - 1, j + rj); q++) {
          const v = values[p * nb + q]!;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      const k = i * nb + j;
      out[k] = hi - lo < minRange ? fallback[k]! : values[k]! < (lo + hi) / 2 ? 1 : 0;
    }
  }
  return out;
}

/**
 * The grid seen as the symbol is drawn, the L at the left and bottom: its columns and rows, and the
 * grid module (i along a, j along b) at each column and row. The finder's corner and two ends fix
 * the L; which way round it turns on screen tells whether the first solid edge is the left column
 * (going up) or the bottom row.
 */
export function symbolView(g: DataMatrixGrid): {
  cols: number;
  rows: number;
  toIJ: (c: number, r: number) => [number, number];
} {
  const p00 = g.patch.at(0, 0);
  const pa = g.patch.at(1, 0);
  const pb = g.patch.at(0, 1);
  const aIsColumn = (pa[0] - p00[0]) * (pb[1] - p00[1]) - (pa[1] - p00[1]) * (pb[0] - p00[0]) > 0;
  return aIsColumn
    ? { cols: g.nb, rows: g.na, toIJ: (c, r) => [g.na - 1 - r, c] }
    : { cols: g.na, rows: g.nb, toIJ: (c, r) => [c, g.nb - 1 - r] };
}

/**
 * A quick look at a grid before it is sampled in full: the share of its outer L and timing modules
 * (those not hidden) that one tap at each centre, against one ink/paper cut, gets right.
 */
function borderAgreement(grey: GreyImage, g: DataMatrixGrid): number {
  const { cols, rows, toIJ } = symbolView(g);
  const fixed = fixedPattern(cols, rows);
  const taps: { v: number; want: 0 | 1 }[] = [];
  const tap = (c: number, r: number) => {
    const [i, j] = toIJ(c, r);
    if (hiddenModule(g, i, j)) return;
    const [x, y] = g.patch.at(g.ua[i]!, g.vb[j]!);
    taps.push({ v: sample(grey, x, y), want: fixed(c, r)! });
  };
  for (let c = 0; c < cols; c++) {
    tap(c, 0);
    tap(c, rows - 1);
  }
  for (let r = 1; r < rows - 1; r++) {
    tap(0, r);
    tap(cols - 1, r);
  }
  const cut =
    (median(taps.filter((t) => t.want).map((t) => t.v)) +
      median(taps.filter((t) => !t.want).map((t) => t.v))) /
    2;
  return taps.filter((t) => (t.v < cut ? 1 : 0) === t.want).length / Math.max(1, taps.length);
}

/** The share of the grid's finder and alignment modules whose decision matches the pattern. */
function patternAgreement(bits: Uint8Array, g: DataMatrixGrid): number {
  const { cols, rows, toIJ } = symbolView(g);
  const fixed = fixedPattern(cols, rows);
  let known = 0;
  let right = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const want = fixed(c, r);
      if (want === undefined) continue;
      const [i, j] = toIJ(c, r);
      if (hiddenModule(g, i, j)) continue;
      known++;
      if (bits[i * g.nb + j] === want) right++;
    }
  }
  return known ? right / known : 0;
}

/**
 * The modules every symbol of a size has, as a function of column and row (from the top-left):
 * each data region's L at its left and bottom and its timing dots along its top and right; 1 or 0
 * there, undefined elsewhere. Squares up to 26 and the 8x18 and 12x26 rectangles are one region;
 * squares up to 48 are 2x2 regions, the other rectangles two side by side.
 */
export function fixedPattern(cols: number, rows: number): (c: number, r: number) => 0 | 1 | undefined {
  const across = cols === rows ? (cols > 26 ? 2 : 1) : cols === 18 || cols === 26 ? 1 : 2;
  const down = cols === rows ? across : 1;
  const bw = cols / across;
  const bh = rows / down;
  return (c, r) => {
    const lc = c % bw;
    const lr = r % bh;
    if (lc === 0 || lr === bh - 1) return 1;
    if (lr === 0) return lc % 2 === 0 ? 1 : 0;
    if (lc === bw - 1) return lr % 2 === 1 ? 1 : 0;
    return undefined;
  };
}

/**
 * Draws module decisions (row-major as drawn, the L at the left and bottom) as a flat symbol and
 * reads it.
 */
async function readRedrawn(
  bits: Uint8Array,
  g: DataMatrixGrid,
): Promise<Omit<DecodedLabel, "confidence"> | null> {
  const { cols, rows, toIJ } = symbolView(g);
  const ow = (cols + 2 * OUT_QUIET) * OUT_MODULE;
  const oh = (rows + 2 * OUT_QUIET) * OUT_MODULE;
  const pgm = allocPgm(ow, oh);
  const out = pgm.grey.data;
  out.fill(255);
  const fixed = fixedPattern(cols, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // The finder and alignment patterns are known: drawn as they must be, whatever was sampled.
      const known = fixed(c, r);
      if (!(known ?? bits[r * cols + c])) continue;
      for (let y = 0; y < OUT_MODULE; y++) {
        const o = ((r + OUT_QUIET) * OUT_MODULE + y) * ow + (c + OUT_QUIET) * OUT_MODULE;
        out.fill(0, o, o + OUT_MODULE);
      }
    }
  }
  const hit = (await readBarcodes(pgm.file, PURE)).find((x) => x.isValid && x.text);
  if (!hit) return null;
  // Corners of the symbol itself, clockwise from its top-left, mapped back through the patch.
  const corner = (c: number, r: number): Point => {
    const [i, j] = toIJ(c, r);
    const u = i / (g.na - 1);
    const v = j / (g.nb - 1);
    const [x, y] = g.patch.at(u, v);
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  };
  return {
    text: hit.text,
    corners: [corner(0, 0), corner(cols - 1, 0), corner(cols - 1, rows - 1), corner(0, rows - 1)],
  };
}
