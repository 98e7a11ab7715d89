// Second-pass stage for labels wrapped round bottles: zxing samples a QR symbol on a projective
// grid, which a cylinder's bent, squeezed rows leave by a module or more. Here the three finder
// patterns of a candidate region are found on the grey image, a cylinder is fitted to them (axis
// from the finder column, yaw from the finder row's tilt, curvature swept over a few hypotheses)
// and the region is unwrapped flat before zxing reads it again. When zxing cannot read the window
// but the finders are found again in it, the window's module grid is read directly with soft
// decisions and erasures (qr-grid.ts). Only decodes whose Reed-Solomon check holds are returned,
// so a wrong hypothesis costs time, never a false read.
import { type ReaderOptions, type ReadResult, readBarcodes } from "zxing-wasm";
import {
  type CylinderModel,
  cylinderToImage,
  imageToCylinder,
  perpOf,
  type UnwrapWindow,
  unwrap,
  type Vec2,
} from "./curved-unwrap.js";
import { allocPgm } from "./pgm.js";
import { type GridFinders, readQrGrid } from "./qr-grid.js";
import type { DecodedLabel, GreyImage, Point } from "./types.js";

export interface FinderPattern {
  x: number;
  y: number;
  /** Width and height of the 7-module pattern, px. */
  width: number;
  height: number;
  /** Row scans that confirmed it. */
  hits: number;
}

export interface Region {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const READ: ReaderOptions = {
  formats: ["QRCode"],
  // An unwrapped window holds one flat symbol at 5 px a module: zxing's every-row finder scan
  // (tryHarder) found no symbol there that its usual scan missed, over the benches, for about a
  // tenth of the curved reads' time (bench/NOTEBOOK.md, 2026-12-07, budget).
  tryHarder: false,
  tryRotate: false,
  tryInvert: false,
  tryDownscale: false,
  maxNumberOfSymbols: 2,
  // Failed decodes come back too (with isValid false): a checksum failure tells the version.
  returnErrors: true,
};

type XY = { x: number; y: number };

/** A decoded symbol in window pixels, corners clockwise from its top-left. */
interface Hit {
  text: string;
  corners: [XY, XY, XY, XY];
}

/**
 * (Half-angle between the finder columns as seen from the axis, sine of the viewing angle below
 * the horizontal), tried in this order. On bench:qr-curved the first reads about five in six of
 * the unwrapped labels and the next two most of the rest; three more tried after these added one
 * read in 175 between them, so they were dropped for the time they cost.
 */
const HYPOTHESES: [number, number][] = [
  [0.42, 0.3],
  [0.42, 0.45],
  [0.42, 0.15],
  [0.6, 0.45],
];
/** Pixels per module handed to zxing. */
const OUT_MODULE = 5;

/**
 * Finds QR finder patterns (1:1:3:1:1 dark-light runs both across and down) in a region of the
 * grey image, thresholded against a local mean over `radius` px (by default an eighth of the
 * region's smaller side).
 */
export function findFinderPatterns(grey: GreyImage, region: Region, radius?: number): FinderPattern[] {
  const x0 = Math.max(0, Math.floor(region.x0));
  const y0 = Math.max(0, Math.floor(region.y0));
  const x1 = Math.min(grey.width, Math.ceil(region.x1));
  const y1 = Math.min(grey.height, Math.ceil(region.y1));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 16 || h < 16) return [];
  const rad = radius ?? Math.max(6, Math.round(Math.min(w, h) / 8));
  const dark = localMeanThreshold(grey, x0, y0, w, h, rad);
  const cands: FinderPattern[] = [];
  const runs = new Int32Array(w + 1);
  const starts = new Int32Array(w + 1);
  const r5 = [0, 0, 0, 0, 0];
  for (let y = 0; y < h; y++) {
    let n = 0;
    let x = 0;
    const row = y * w;
    // Skip to the first dark pixel: runs then alternate dark/light, dark at even indices.
    while (x < w && dark[row + x] === 0) x++;
    while (x < w) {
      const c = dark[row + x]!;
      const s = x;
      while (x < w && dark[row + x] === c) x++;
      runs[n] = x - s;
      starts[n++] = s;
    }
    for (let i = 0; i + 4 < n; i += 2) {
      for (let k = 0; k < 5; k++) r5[k] = runs[i + k]!;
      const total = finderSpan(r5);
      if (!total) continue;
      const cx = starts[i + 2]! + runs[i + 2]! / 2;
      const v = crossCheck(dark, w, h, Math.floor(cx), y, total);
      if (!v) continue;
      if (v.height < total * 0.45 || v.height > total * 2.2) continue;
      cands.push({ x: cx + x0, y: v.centre + y0, width: total, height: v.height, hits: 1 });
    }
    // Finders cut at one side (a neighbour standing in front, the label's edge): the core runs into
    // the surround, so only the rings on the other side show across; down through the core the
    // pattern is whole, and that check has to pass.
    for (let i = 0; i + 2 < n; i += 2) {
      for (let side = -1; side <= 1; side += 2) {
        // side -1: cut on the left, runs [core..., light, dark] from i; side 1: cut on the right,
        // runs [dark, light, ...core] from i. Plain locals: this runs for every run of every row.
        const ring = side < 0 ? runs[i + 2]! : runs[i]!;
        const gap = runs[i + 1]!;
        const core = side < 0 ? runs[i]! : runs[i + 2]!;
        const mod = (ring + gap) / 2;
        if (mod < 1 || Math.abs(ring - mod) > mod * 0.5 || Math.abs(gap - mod) > mod * 0.5) continue;
        if (core < 2.5 * mod) continue;
        // The separator beyond the outer ring must be light paper.
        const beyond = side < 0 ? runs[i + 3] : i > 0 ? runs[i - 1] : undefined;
        if (beyond === undefined || beyond < mod * 0.5) continue;
        const cx = side < 0 ? starts[i]! + core - 1.5 * mod : starts[i + 2]! + 1.5 * mod;
        const total = 7 * mod;
        const v = crossCheck(dark, w, h, Math.floor(cx), y, total);
        if (!v || v.height < total * 0.7 || v.height > total * 1.4) continue;
        cands.push({ x: cx + x0, y: v.centre + y0, width: total, height: v.height, hits: 1 });
      }
    }
  }
  // Merge candidates from neighbouring rows into patterns.
  const out: FinderPattern[] = [];
  for (const c of cands) {
    const m = out.find((o) => Math.abs(o.x - c.x) < o.width / 4 && Math.abs(o.y - c.y) < o.height / 4);
    if (m) {
      const k = m.hits;
      m.x = (m.x * k + c.x) / (k + 1);
      m.y = (m.y * k + c.y) / (k + 1);
      m.width = (m.width * k + c.width) / (k + 1);
      m.height = (m.height * k + c.height) / (k + 1);
      m.hits++;
    } else out.push({ ...c });
  }
  return out.filter((p) => p.hits >= 2).sort((a, b) => b.hits - a.hits);
}

/**
 * Marks the pixels of a region darker than the mean of the (2 rad + 1)-square round them less 4,
 * with a sliding window: column sums over the window's rows, then a running sum across them.
 */
export function localMeanThreshold(
  grey: GreyImage,
  x0: number,
  y0: number,
  w: number,
  h: number,
  rad: number,
): Uint8Array {
  const src = grey.data;
  const stride = grey.width;
  const col = new Int32Array(w);
  const dark = new Uint8Array(w * h);
  let top = 0;
  let bottom = 0;
  for (let y = 0; y < h; y++) {
    const end = Math.min(h, y + rad + 1);
    if (bottom < end && top < y - rad) {
      // The window slides a row: its new row in and its old one out in one sweep.
      const a = (y0 + bottom) * stride + x0;
      const b = (y0 + top) * stride + x0;
      for (let x = 0; x < w; x++) col[x]! += src[a + x]! - src[b + x]!;
      bottom++;
      top++;
    }
    for (; bottom < end; bottom++) {
      const s = (y0 + bottom) * stride + x0;
      for (let x = 0; x < w; x++) col[x]! += src[s + x]!;
    }
    for (const start = Math.max(0, y - rad); top < start; top++) {
      const s = (y0 + top) * stride + x0;
      for (let x = 0; x < w; x++) col[x]! -= src[s + x]!;
    }
    const rows = bottom - top;
    let sum = 0;
    let left = 0;
    let right = 0;
    for (const end = Math.min(w, rad + 1); right < end; right++) sum += col[right]!;
    const s = (y0 + y) * stride + x0;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      if (right < w && right <= x + rad) sum += col[right++]!;
      if (x - left > rad) sum -= col[left++]!;
      // v < mean - 4, without the division.
      dark[o + x] = (src[s + x]! + 4) * rows * (right - left) < sum ? 1 : 0;
    }
  }
  return dark;
}

/**
 * Width of a finder pattern from its five dark-light runs (1:1:3:1:1), or 0 when they are not one.
 * The module is taken from the three inner runs; an outer ring may run on into a dark surround
 * (a label printed to the bottle's edge, a neighbour behind it), so only one of the two outer
 * runs has to match, the other just has to be there.
 */
function finderSpan(r: readonly number[]): number {
  const mod = (r[1]! + r[2]! + r[3]!) / 5;
  if (mod < 1) return 0;
  const tol = mod * 0.7;
  if (Math.abs(r[1]! - mod) >= tol || Math.abs(r[3]! - mod) >= tol) return 0;
  if (Math.abs(r[2]! - 3 * mod) >= 3 * tol * 0.7) return 0;
  const fits = (v: number) => Math.abs(v - mod) < tol;
  if (
    !(fits(r[0]!) && fits(r[4]!)) &&
    !(fits(r[0]!) && r[4]! > mod * 0.4) &&
    !(fits(r[4]!) && r[0]! > mod * 0.4)
  )
    return 0;
  return fits(r[0]!) && fits(r[4]!) ? r[0]! + r[1]! + r[2]! + r[3]! + r[4]! : 7 * mod;
}

/** Vertical 1:1:3:1:1 check through (x, y); returns the pattern's vertical centre and height. */
function crossCheck(
  dark: Uint8Array,
  w: number,
  h: number,
  x: number,
  y: number,
  total: number,
): { centre: number; height: number } | null {
  if (!dark[y * w + x]) return null;
  const max = Math.ceil(total * 1.5);
  let up = y;
  while (up > 0 && dark[(up - 1) * w + x] && y - up < max) up--;
  let down = y;
  while (down < h - 1 && dark[(down + 1) * w + x] && down - y < max) down++;
  // Now at the centre's dark run [up, down]; then light, dark on each side.
  const counts = [0, 0, down - up + 1, 0, 0];
  let yy = up - 1;
  while (yy >= 0 && !dark[yy * w + x] && counts[1]! < max) {
    counts[1]!++;
    yy--;
  }
  while (yy >= 0 && dark[yy * w + x] && counts[0]! < max) {
    counts[0]!++;
    yy--;
  }
  yy = down + 1;
  while (yy < h && !dark[yy * w + x] && counts[3]! < max) {
    counts[3]!++;
    yy++;
  }
  while (yy < h && dark[yy * w + x] && counts[4]! < max) {
    counts[4]!++;
    yy++;
  }
  const t = finderSpan(counts);
  if (!t) return null;
  return { centre: (up + down + 1) / 2, height: t };
}

export interface Triple {
  corner: FinderPattern;
  /** The finder along the bottle's axis from the corner, and the one across it. */
  along: FinderPattern;
  across: FinderPattern;
}

/** Picks three finders that form a symbol's L: a near-right angle with legs of similar length. */
export function pickTriple(finders: FinderPattern[]): Triple | null {
  let best: Triple | null = null;
  let bestScore = Number.NEGATIVE_INFINITY;
  const f = finders.slice(0, 8);
  for (let i = 0; i < f.length; i++) {
    for (let j = 0; j < f.length; j++) {
      for (let k = j + 1; k < f.length; k++) {
        if (i === j || i === k) continue;
        const c = f[i]!;
        const a = f[j]!;
        const b = f[k]!;
        const va: Vec2 = [a.x - c.x, a.y - c.y];
        const vb: Vec2 = [b.x - c.x, b.y - c.y];
        const la = Math.hypot(...va);
        const lb = Math.hypot(...vb);
        const mod = (c.width + a.width + b.width) / 21;
        if (la < 8 * mod || lb < 8 * mod || la > 30 * mod || lb > 30 * mod) continue;
        if (Math.max(la, lb) > 1.7 * Math.min(la, lb)) continue;
        const cos = (va[0] * vb[0] + va[1] * vb[1]) / (la * lb);
        if (Math.abs(cos) > 0.5) continue;
        const score = c.hits + a.hits + b.hits - 40 * Math.abs(cos);
        if (score <= bestScore) continue;
        bestScore = score;
        // The leg nearer the image's vertical runs along the (upright) bottle.
        const alongA = Math.abs(va[1]) / la > Math.abs(vb[1]) / lb;
        best = { corner: c, along: alongA ? a : b, across: alongA ? b : a };
      }
    }
  }
  return best;
}

/**
 * Cylinder hypotheses for a finder triple, most likely first: the axis runs from the corner to the
 * finder along it; the two finders across it fix the chord, and their tilt fixes the yaw once a
 * viewing angle is assumed; curvature is swept.
 */
export function cylinderHypotheses(t: Triple): { model: CylinderModel; win: UnwrapWindow }[] {
  let ax = t.along.x - t.corner.x;
  let ay = t.along.y - t.corner.y;
  const len = Math.hypot(ax, ay);
  ax /= len;
  ay /= len;
  // Point the axis down the image.
  if (ay < 0) {
    ax = -ax;
    ay = -ay;
  }
  const axis: Vec2 = [ax, ay];
  const perp = perpOf(axis);
  const proj = (p: FinderPattern): Vec2 => [p.x * perp[0] + p.y * perp[1], p.x * ax + p.y * ay];
  const [left, right] = proj(t.corner)[0] <= proj(t.across)[0] ? [t.corner, t.across] : [t.across, t.corner];
  const D: Vec2 = [right.x - left.x, right.y - left.y];
  // The bottle squeezes modules towards its silhouette: the narrower finder is nearer it.
  const rho = right.width / left.width;
  const modV = (t.corner.height + t.along.height + t.across.height) / 21;
  const pl = proj(left);
  const vs = [pl[1], proj(right)[1], proj(t.along)[1]];
  const vTop = Math.min(...vs) - pl[1];
  const vBottom = Math.max(...vs) - pl[1];
  const out: { model: CylinderModel; win: UnwrapWindow }[] = [];
  for (const [theta, sinE] of HYPOTHESES) {
    const phiM = Math.max(-0.8, Math.min(0.8, Math.atan((1 - rho) / (1 + rho) / Math.tan(theta))));
    const phiL = phiM - theta;
    const phiR = phiM + theta;
    // The finder row's chord, less the sag between its ends, gives the row direction and radius.
    let radius = Math.hypot(...D) / (2 * Math.cos(phiM) * Math.sin(theta));
    let row: Vec2 = [D[0], D[1]];
    for (let k = 0; k < 3; k++) {
      const dyS = radius * sinE * (Math.cos(phiR) - Math.cos(phiL));
      row = [D[0] - ax * dyS, D[1] - ay * dyS];
      radius = Math.hypot(...row) / (2 * Math.cos(phiM) * Math.sin(theta));
    }
    const q = Math.hypot(...row);
    const across: Vec2 = [row[0] / q, row[1] / q];
    const sag = radius * sinE;
    // Origin on the axis, level with the left finder's label row.
    const lift = sag * (1 - Math.cos(phiL));
    const off = radius * Math.sin(phiL);
    const origin: Vec2 = [left.x - across[0] * off + ax * lift, left.y - across[1] * off + ay * lift];
    const model: CylinderModel = { axis, across, origin, radius, sag };
    // Window: the finder columns' arc, plus the finder half-width and a quiet zone.
    const modU = (2 * theta * radius) / Math.max(7, len / modV);
    const margin = 8;
    const u0 = Math.max((-Math.PI / 2) * radius, radius * phiL - margin * modU);
    const u1 = Math.min((Math.PI / 2) * radius, radius * phiR + margin * modU);
    const v0 = vTop - margin * modV;
    const v1 = vBottom + margin * modV;
    const scale = OUT_MODULE / Math.max(1, Math.min(modU, modV));
    out.push({ model, win: { u0, u1, v0, v1, scale } });
  }
  return out;
}

/**
 * Reads a curved QR label in a candidate region: finder patterns, cylinder fit, unwrap, zxing.
 * Returns at most one code (corners mapped back to the frame), or none.
 */
export async function readCurvedRegion(
  grey: GreyImage,
  region: Region,
  confidence = 0.6,
  maxTries = HYPOTHESES.length,
): Promise<DecodedLabel[]> {
  const finders = findFinderPatterns(grey, region);
  if (finders.length < 3) return [];
  const triple = pickTriple(finders);
  if (!triple) return [];
  return readCurvedTriple(grey, triple, confidence, maxTries);
}

/**
 * Groups finder patterns into symbols' triples, best first, each finder used at most once: for
 * regions that may hold several labels side by side.
 */
export function pickTriples(finders: readonly FinderPattern[], max = 4): Triple[] {
  const left = [...finders];
  const out: Triple[] = [];
  while (out.length < max && left.length >= 3) {
    const t = pickTriple(left);
    if (!t) break;
    out.push(t);
    for (const f of [t.corner, t.along, t.across]) left.splice(left.indexOf(f), 1);
  }
  return out;
}

/**
 * Pairs of finders that could be two corners of one symbol whose third finder is hidden: alike in
 * size, 12-28 modules apart, side by side along or across the axis; most confirmed first.
 */
export function pickPairs(finders: readonly FinderPattern[], max = 2): [FinderPattern, FinderPattern][] {
  const out: { pair: [FinderPattern, FinderPattern]; score: number }[] = [];
  const f = finders.slice(0, 8);
  for (let i = 0; i < f.length; i++) {
    for (let j = i + 1; j < f.length; j++) {
      const a = f[i]!;
      const b = f[j]!;
      const sa = (a.width + a.height) / 2;
      const sb = (b.width + b.height) / 2;
      if (Math.max(sa, sb) > 1.3 * Math.min(sa, sb)) continue;
      const mod = (sa + sb) / 14;
      const dx = Math.abs(b.x - a.x);
      const dy = Math.abs(b.y - a.y);
      const d = Math.hypot(dx, dy);
      if (d < 12 * mod || d > 28 * mod) continue;
      // Within ~25 degrees of the image axes: labels stand upright on upright bottles.
      if (Math.min(dx, dy) > 0.47 * Math.max(dx, dy)) continue;
      out.push({ pair: [a, b], score: a.hits + b.hits });
    }
  }
  return out
    .sort((x, y) => y.score - x.score)
    .slice(0, max)
    .map((x) => x.pair);
}

/**
 * True when a triple shows no sign of a bend: finders of one size, equal legs at a right angle.
 * Such a symbol is left to the plain re-reads.
 */
export function looksFlat(t: Triple): boolean {
  const ws = [t.corner, t.along, t.across].map((f) => f.width);
  const hs = [t.corner, t.along, t.across].map((f) => f.height);
  if (Math.max(...ws) > 1.05 * Math.min(...ws) || Math.max(...hs) > 1.05 * Math.min(...hs)) return false;
  const va = [t.along.x - t.corner.x, t.along.y - t.corner.y];
  const vb = [t.across.x - t.corner.x, t.across.y - t.corner.y];
  const la = Math.hypot(va[0]!, va[1]!);
  const lb = Math.hypot(vb[0]!, vb[1]!);
  if (Math.max(la, lb) > 1.03 * Math.min(la, lb)) return false;
  return Math.abs(va[0]! * vb[0]! + va[1]! * vb[1]!) / (la * lb) < 0.03;
}

/** Image-space bounding box of the symbol a triple belongs to, finder extents included. */
export function tripleBounds(t: Triple): Region {
  const fs = [t.corner, t.along, t.across];
  // The fourth corner completes the parallelogram.
  const fx = t.along.x + t.across.x - t.corner.x;
  const fy = t.along.y + t.across.y - t.corner.y;
  const r = Math.max(...fs.map((f) => Math.max(f.width, f.height))) * 0.75;
  const xs = [...fs.map((f) => f.x), fx];
  const ys = [...fs.map((f) => f.y), fy];
  return {
    x0: Math.min(...xs) - r,
    y0: Math.min(...ys) - r,
    x1: Math.max(...xs) + r,
    y1: Math.max(...ys) + r,
  };
}

/** Hypotheses whose unwrap gets its finder patterns redrawn when the plain read fails. */
const MEND_TRIES = 1;
/** Quiet zone added round an unwrapped window, px: a label may end at the code's edge. */
const QUIET = 4 * OUT_MODULE;

/** Unwraps and reads the symbol a finder triple belongs to; see readCurvedRegion. */
export async function readCurvedTriple(
  grey: GreyImage,
  triple: Triple,
  confidence = 0.6,
  maxTries = HYPOTHESES.length,
  /** One of the triple's finders is a guess (see readCurvedPair): skip the plain read. */
  guessed = false,
): Promise<DecodedLabel[]> {
  const hyps = cylinderHypotheses(triple).slice(0, maxTries);
  let tried = 0;
  let onlyLast = false;
  for (const [k, { model, win }] of hyps.entries()) {
    if (onlyLast && k < hyps.length - 1) continue;
    const ow = Math.max(1, Math.round((win.u1 - win.u0) * win.scale));
    const oh = Math.max(1, Math.round((win.v1 - win.v0) * win.scale));
    if (ow * oh > 800 * 800 || ow < 21 || oh < 21) continue;
    tried++;
    const pw = ow + 2 * QUIET;
    const ph = oh + 2 * QUIET;
    const pgm = allocPgm(pw, ph);
    const img = pgm.grey;
    unwrap(grey, model, win, { data: img.data, stride: pw, offset: QUIET * pw + QUIET });
    // The quiet zone gets the label's paper level.
    const light = percentile(img, QUIET, 0.95);
    for (let y = 0; y < ph; y++) {
      if (y < QUIET || y >= QUIET + oh) img.data.fill(light, y * pw, (y + 1) * pw);
      else {
        img.data.fill(light, y * pw, y * pw + QUIET);
        img.data.fill(light, y * pw + QUIET + ow, (y + 1) * pw);
      }
    }
    const expected = [triple.corner, triple.along, triple.across].map((f): Vec2 => {
      const [u, v] = imageToCylinder(model, f.x, f.y);
      return [(u - win.u0) * win.scale + QUIET, (v - win.v0) * win.scale + QUIET];
    });
    // A plain read first (none when a finder is known to be missing). If zxing cannot read the
    // window, the finder patterns are found again in it, where the label is flat; on the first
    // hypothesis they are redrawn clean (a glare stripe, a neighbour or the bottle's edge may have
    // eaten into one) and the window is read again.
    let close = 0;
    const read = async (): Promise<Hit | undefined> => {
      const results = await readBarcodes(pgm.file, READ);
      close ||= nearMiss(results);
      return zxingHit(results);
    };
    let hit = guessed ? undefined : await read();
    const at = hit ? null : relocateFinders(img, expected);
    if (at && k < MEND_TRIES && drawFinders(img, light, at)) hit = await read();
    // Still nothing: read the module grid directly, with soft decisions and the blur modelled,
    // distrusting the least certain codewords and a strip hidden at either edge. The version is
    // zxing's when it got as far as the format (a checksum failure), else the finders' spacing.
    if (!hit && at) {
      const g = readQrGrid(img, gridFinders(at), close || undefined);
      if (g) {
        const [a, b, c, d] = g.corners.map(([x, y]): XY => ({ x, y }));
        hit = { text: g.text, corners: [a!, b!, c!, d!] };
      }
    }
    if (!hit) {
      // The first unwrap is the likeliest geometry, and the next hypotheses only tilt the view
      // of the same bottle. Where zxing got to no symbol's checksum in the first (no near miss),
      // the tilted ones read nothing after it on the benches (curved QR seeds 7100 and 9100, flat
      // 20240: every read on them followed a near miss); only the last, the symbol wrapped
      // further round a narrower bottle, still read one (curved QR 11017). Triples that read
      // nothing cost as much as reads do (bench/NOTEBOOK.md, 2026-12-07, qrcpu2).
      if (tried === 1 && !close && !guessed) onlyLast = true;
      continue;
    }
    const back = (q: { x: number; y: number }): Point => {
      const [x, y] = cylinderToImage(
        model,
        win.u0 + (q.x - QUIET) / win.scale,
        win.v0 + (q.y - QUIET) / win.scale,
      );
      return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    };
    const [tl, tr, br, bl] = hit.corners;
    return [{ text: hit.text, corners: [back(tl), back(tr), back(br), back(bl)], confidence }];
  }
  return [];
}

/** The q-quantile of a window's pixels inside a `border` px margin (every third pixel sampled). */
function percentile(img: GreyImage, border: number, q: number): number {
  const hist = new Uint32Array(256);
  let n = 0;
  for (let y = border; y < img.height - border; y++) {
    for (let x = border + (y % 3); x < img.width - border; x += 3) {
      hist[img.data[y * img.width + x]!]!++;
      n++;
    }
  }
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += hist[v]!;
    if (seen >= n * q) return v;
  }
  return 255;
}

/**
 * Reads a symbol of which only two finder patterns were seen: a neighbour standing in front, the
 * bottle's silhouette or a glare stripe took the third. The third is placed where the symbol's L
 * puts it (across the axis from a pair along it, or down and up the axis from a pair across it),
 * the label is unwrapped on that guess, and a clean finder pattern is painted over the hidden one
 * so zxing can locate the symbol; its error correction then restores the hidden modules. As with
 * every curved read, only a decode with a valid checksum counts.
 */
export async function readCurvedPair(
  grey: GreyImage,
  a: FinderPattern,
  b: FinderPattern,
  confidence = 0.5,
  maxTries = 1,
): Promise<DecodedLabel[]> {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const d = Math.hypot(dx, dy);
  const mod = (a.width + a.height + b.width + b.height) / 28;
  // Neighbouring finders of versions 1-4 sit 14-26 modules apart; a diagonal pair is not used.
  if (d < 12 * mod || d > 28 * mod) return [];
  // A pair along the axis (a symbol's left or right column) has the third finder across it, to
  // the right first; a pair across it (top or bottom row) has it along the axis, below first.
  const alongAxis = Math.abs(dy) > Math.abs(dx);
  const [p, q] = (alongAxis ? dy : dx) > 0 ? [a, b] : [b, a];
  for (const side of alongAxis ? [-1, 1] : [1, -1]) {
    const third: FinderPattern = { ...p, x: p.x - side * (q.y - p.y), y: p.y + side * (q.x - p.x), hits: 0 };
    const t: Triple = alongAxis
      ? { corner: p, along: q, across: third }
      : { corner: p, along: third, across: q };
    const hits = await readCurvedTriple(grey, t, confidence, maxTries, true);
    if (hits.length) return hits;
  }
  return [];
}

interface Located {
  /** Centres of the corner, along and across finders in the window, px. */
  centres: [Vec2, Vec2, Vec2];
  /** Width of a finder pattern (7 modules), px. */
  size: number;
  /** Ink level at the centres of the finders found again. */
  dark: number;
}

/**
 * Finds a symbol's finder patterns again in an unwrapped window, where the label is flat. The
 * three are expected where the image-space finders map to (`expected`, in window pixels); each is
 * taken where it is found again near there, and one that is not found (washed out by glare, cut
 * by the bottle's edge or a neighbour) completes the L of the other two, or failing that sits at
 * its mapped place. Null when fewer than two are found again.
 */
function relocateFinders(img: GreyImage, expected: readonly Vec2[]): Located | null {
  // Search only round the expected places: the unwrapped window is several times their area.
  const reach = 10 * OUT_MODULE;
  const rad = Math.max(6, Math.round(Math.min(img.width, img.height) / 8));
  const found = expected.flatMap((e) =>
    findFinderPatterns(img, { x0: e[0] - reach, y0: e[1] - reach, x1: e[0] + reach, y1: e[1] + reach }, rad),
  );
  const near = expected.map((e) => {
    let best: FinderPattern | null = null;
    for (const f of found) {
      const d = Math.hypot(f.x - e[0], f.y - e[1]);
      if (d < (f.width + f.height) / 4 && (!best || d < Math.hypot(best.x - e[0], best.y - e[1]))) best = f;
    }
    return best;
  });
  const seen = near.filter((f): f is FinderPattern => f !== null);
  if (seen.length < 2) return null;
  const size = seen.reduce((a, f) => a + f.width + f.height, 0) / (2 * seen.length);
  const centres = near.map((f, k): Vec2 => (f ? [f.x, f.y] : expected[k]!)) as [Vec2, Vec2, Vec2];
  const lost = near.indexOf(null);
  if (lost >= 0) {
    // Complete the L of the two seen, on whichever side lies nearer where the lost one should be.
    const [c, a, b] = near;
    const rot = (o: Vec2, v: Vec2, s: number): Vec2 => [o[0] - s * v[1], o[1] + s * v[0]];
    let options: Vec2[];
    if (lost === 0) {
      // The corner: off the midpoint of the two leg ends, by half their rotated difference.
      const mid: Vec2 = [(a!.x + b!.x) / 2, (a!.y + b!.y) / 2];
      const half: Vec2 = [(b!.x - a!.x) / 2, (b!.y - a!.y) / 2];
      options = [rot(mid, half, 1), rot(mid, half, -1)];
    } else {
      // A leg's end: the other leg turned a right angle about the corner.
      const o = lost === 1 ? b! : a!;
      const leg: Vec2 = [o.x - c!.x, o.y - c!.y];
      options = [rot([c!.x, c!.y], leg, 1), rot([c!.x, c!.y], leg, -1)];
    }
    const e = expected[lost]!;
    const dist = (p: Vec2) => Math.hypot(p[0] - e[0], p[1] - e[1]);
    centres[lost] = dist(options[0]!) <= dist(options[1]!) ? options[0]! : options[1]!;
  }
  let dark = 255;
  for (const f of seen) dark = Math.min(dark, img.data[Math.round(f.y) * img.width + Math.round(f.x)]!);
  return { centres, size, dark };
}

/**
 * Paints clean finder patterns at the located places, so zxing can find the symbol whatever ate
 * into them; false (and nothing painted) when ink and paper are too close to tell.
 */
function drawFinders(img: GreyImage, light: number, at: Located): boolean {
  const { dark, size } = at;
  if (light - dark < 30) return false;
  const m = size / 7;
  const { data, width, height } = img;
  for (const [cx, cy] of at.centres) {
    for (
      let y = Math.max(0, Math.floor(cy - 4.5 * m));
      y <= Math.min(height - 1, Math.ceil(cy + 4.5 * m));
      y++
    ) {
      for (
        let x = Math.max(0, Math.floor(cx - 4.5 * m));
        x <= Math.min(width - 1, Math.ceil(cx + 4.5 * m));
        x++
      ) {
        // Rings in modules from the centre: 3x3 dark core, light ring, dark ring, light separator.
        const r = Math.max(Math.abs(x + 0.5 - cx), Math.abs(y + 0.5 - cy)) / m;
        if (r > 4.5) continue;
        data[y * width + x] = r < 1.5 ? dark : r < 2.5 ? light : r < 3.5 ? dark : light;
      }
    }
  }
  return true;
}

/** The grid reader's view of located finders: which leg is the symbol's top, which its left. */
function gridFinders(at: Located): GridFinders {
  const [c, a, b] = at.centres;
  // Seen from the front, the turn from the top edge to the left edge is clockwise on screen (y down).
  const cross = (a[0] - c[0]) * (b[1] - c[1]) - (a[1] - c[1]) * (b[0] - c[0]);
  return cross > 0
    ? { tl: c, tr: a, bl: b, modulePx: at.size / 7 }
    : { tl: c, tr: b, bl: a, modulePx: at.size / 7 };
}

/** zxing's first valid decode, with its corners clockwise from the symbol's top-left. */
function zxingHit(results: readonly ReadResult[]): Hit | undefined {
  const r = results.find((x) => x.isValid && x.text);
  if (!r) return undefined;
  const p = r.position;
  return { text: r.text, corners: [p.topLeft, p.topRight, p.bottomRight, p.bottomLeft] };
}

/**
 * The version of a QR symbol zxing located, and read the format of, but could not correct; the
 * grid read takes it over the finders' spacing. 0 when none.
 */
function nearMiss(results: readonly ReadResult[]): number {
  for (const r of results)
    if (r.format === "QRCode" && !r.isValid && r.error.startsWith("ChecksumError")) {
      const v = Number(r.version);
      if (Number.isInteger(v) && v > 0) return v;
    }
  return 0;
}

/**
 * A copy of a region with each column's paper and ink levels stretched to the full range. A glare
 * stripe runs down a glossy bottle, so it lifts whole columns of a label: the ink under it turns
 * grey and the paper saturates, which defeats a threshold set for the rest of the label.
 */
export function flattenColumns(grey: GreyImage, region: Region): { img: GreyImage; x0: number; y0: number } {
  const x0 = Math.max(0, Math.floor(region.x0));
  const y0 = Math.max(0, Math.floor(region.y0));
  const w = Math.max(0, Math.min(grey.width, Math.ceil(region.x1)) - x0);
  const h = Math.max(0, Math.min(grey.height, Math.ceil(region.y1)) - y0);
  const lo = new Float32Array(w);
  const hi = new Float32Array(w);
  const hist = new Uint32Array(256);
  for (let x = 0; x < w; x++) {
    hist.fill(0);
    for (let y = 0; y < h; y++) hist[grey.data[(y0 + y) * grey.width + x0 + x]!]!++;
    // 8th and 92nd percentiles: ink and paper, clear of noise and of a stray dark neighbour.
    let n = 0;
    let v = 0;
    for (; v < 255 && n + hist[v]! < h * 0.08; v++) n += hist[v]!;
    lo[x] = v;
    for (; v < 255 && n + hist[v]! < h * 0.92; v++) n += hist[v]!;
    hi[x] = v;
  }
  // Glare varies smoothly across columns; a few-pixel mean keeps single columns from jumping.
  const smooth = (a: Float32Array) => {
    const out = new Float32Array(a.length);
    for (let x = 0; x < a.length; x++) {
      let s = 0;
      let k = 0;
      for (let d = -3; d <= 3; d++) {
        if (x + d < 0 || x + d >= a.length) continue;
        s += a[x + d]!;
        k++;
      }
      out[x] = s / k;
    }
    return out;
  };
  const L = smooth(lo);
  const H = smooth(hi);
  const data = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    const range = Math.max(40, H[x]! - L[x]!);
    const gain = 255 / range;
    for (let y = 0; y < h; y++) {
      const v = (grey.data[(y0 + y) * grey.width + x0 + x]! - L[x]!) * gain;
      data[y * w + x] = v < 0 ? 0 : Math.min(v, 255);
    }
  }
  return { img: { data, width: w, height: h }, x0, y0 };
}

/**
 * Last try for a label region nothing else read: flatten glare column by column, find the finder
 * patterns again and read a triple, or failing that a pair. Corners come back in frame pixels.
 */
export async function readFlattened(
  grey: GreyImage,
  region: Region,
  confidence = 0.5,
): Promise<DecodedLabel[]> {
  const { img, x0, y0 } = flattenColumns(grey, region);
  const finders = findFinderPatterns(img, { x0: 0, y0: 0, x1: img.width, y1: img.height });
  if (finders.length < 2) return [];
  const triple = pickTriple(finders);
  let hits = triple ? await readCurvedTriple(img, triple, confidence, 1) : [];
  if (!hits.length)
    for (const [a, b] of pickPairs(finders, 1)) hits = await readCurvedPair(img, a, b, confidence);
  return hits.map((c) => ({
    ...c,
    corners: c.corners.map(([x, y]) => [x + x0, y + y0]) as DecodedLabel["corners"],
  }));
}
