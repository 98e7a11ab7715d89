// Second-pass stage for labels wrapped round bottles: zxing samples a QR symbol on a projective
// grid, which a cylinder's bent, squeezed rows leave by a module or more. Here the three finder
// patterns of a candidate region are found on the grey image, a cylinder is fitted to them (axis
// from the finder column, yaw from the finder row's tilt, curvature swept over a few hypotheses)
// and the region is unwrapped flat before zxing reads it again. Only zxing's own decodes with a
// valid checksum are returned, so a wrong hypothesis costs time, never a false read.
import { type ReaderOptions, readBarcodes } from "zxing-wasm";
import {
  type CylinderModel,
  cylinderToImage,
  perpOf,
  type UnwrapWindow,
  unwrap,
  type Vec2,
} from "./curved-unwrap.js";
import type { GreyImage, Point, QrCode } from "./qr-decoder.js";

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
  tryHarder: true,
  tryRotate: false,
  tryInvert: false,
  tryDownscale: false,
  maxNumberOfSymbols: 1,
};

/**
 * (Half-angle between the finder columns as seen from the axis, sine of the viewing angle below
 * the horizontal), tried in this order: on the bench the first fits about four reads in five and
 * the next two most of the rest; the last two catch strongly bent or steeply viewed labels.
 */
const HYPOTHESES: [number, number][] = [
  [0.42, 0.3],
  [0.42, 0.45],
  [0.42, 0.15],
  [0.6, 0.3],
  [0.25, 0.3],
  [0.6, 0.45],
  [0.25, 0.6],
];
/** Pixels per module handed to zxing. */
const OUT_MODULE = 5;

/**
 * Finds QR finder patterns (1:1:3:1:1 dark-light runs both across and down) in a region of the
 * grey image, thresholded against a local mean.
 */
export function findFinderPatterns(grey: GreyImage, region: Region): FinderPattern[] {
  const x0 = Math.max(0, Math.floor(region.x0));
  const y0 = Math.max(0, Math.floor(region.y0));
  const x1 = Math.min(grey.width, Math.ceil(region.x1));
  const y1 = Math.min(grey.height, Math.ceil(region.y1));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 16 || h < 16) return [];
  // Integral image for the local-mean threshold.
  const integ = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    const src = (y0 + y) * grey.width + x0;
    for (let x = 0; x < w; x++) {
      row += grey.data[src + x]!;
      integ[(y + 1) * (w + 1) + x + 1] = integ[y * (w + 1) + x + 1]! + row;
    }
  }
  const rad = Math.max(6, Math.round(Math.min(w, h) / 8));
  const dark = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const ya = Math.max(0, y - rad);
    const yb = Math.min(h, y + rad + 1);
    for (let x = 0; x < w; x++) {
      const xa = Math.max(0, x - rad);
      const xb = Math.min(w, x + rad + 1);
      const sum =
        integ[yb * (w + 1) + xb]! -
        integ[ya * (w + 1) + xb]! -
        integ[yb * (w + 1) + xa]! +
        integ[ya * (w + 1) + xa]!;
      const mean = sum / ((yb - ya) * (xb - xa));
      dark[y * w + x] = grey.data[(y0 + y) * grey.width + x0 + x]! < mean - 4 ? 1 : 0;
    }
  }
  const cands: FinderPattern[] = [];
  const runs: number[] = [];
  const starts: number[] = [];
  for (let y = 0; y < h; y++) {
    runs.length = 0;
    starts.length = 0;
    let x = 0;
    while (x < w) {
      const c = dark[y * w + x]!;
      const s = x;
      while (x < w && dark[y * w + x] === c) x++;
      if (runs.length === 0 && c === 0) continue;
      runs.push(x - s);
      starts.push(s);
    }
    // Runs alternate dark/light starting with dark at even indices.
    for (let i = 0; i + 4 < runs.length; i += 2) {
      const r = runs.slice(i, i + 5);
      const total = r.reduce((a, b) => a + b, 0);
      if (!ratioOk(r, total)) continue;
      const cx = starts[i + 2]! + runs[i + 2]! / 2;
      const v = crossCheck(dark, w, h, Math.floor(cx), y, total);
      if (!v) continue;
      if (v.height < total * 0.45 || v.height > total * 2.2) continue;
      cands.push({ x: cx + x0, y: v.centre + y0, width: total, height: v.height, hits: 1 });
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

function ratioOk(r: number[], total: number): boolean {
  if (total < 7) return false;
  const mod = total / 7;
  const tol = mod * 0.7;
  return (
    Math.abs(r[0]! - mod) < tol &&
    Math.abs(r[1]! - mod) < tol &&
    Math.abs(r[2]! - 3 * mod) < 3 * tol * 0.7 &&
    Math.abs(r[3]! - mod) < tol &&
    Math.abs(r[4]! - mod) < tol
  );
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
  const t = counts.reduce((a, b) => a + b, 0);
  if (!ratioOk(counts, t)) return null;
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

function pgmOf(width: number, height: number): { file: Uint8Array; pixels: Uint8Array } {
  const header = `P5\n${width} ${height}\n255\n`;
  const file = Buffer.allocUnsafe(header.length + width * height);
  file.write(header, 0, "latin1");
  return { file, pixels: file.subarray(header.length) };
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
  /** The region's finder patterns when the caller already has them. */
  found?: FinderPattern[],
): Promise<QrCode[]> {
  const finders = found ?? findFinderPatterns(grey, region);
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

/** Unwraps and reads the symbol a finder triple belongs to; see readCurvedRegion. */
export async function readCurvedTriple(
  grey: GreyImage,
  triple: Triple,
  confidence = 0.6,
  maxTries = HYPOTHESES.length,
): Promise<QrCode[]> {
  const hyps = cylinderHypotheses(triple).slice(0, maxTries);
  for (const { model, win } of hyps) {
    const ow = Math.max(1, Math.round((win.u1 - win.u0) * win.scale));
    const oh = Math.max(1, Math.round((win.v1 - win.v0) * win.scale));
    if (ow * oh > 800 * 800 || ow < 21 || oh < 21) continue;
    const pgm = pgmOf(ow, oh);
    unwrap(grey, model, win, pgm.pixels);
    const res = await readBarcodes(pgm.file, READ);
    const hit = res.find((r) => r.isValid && r.text);
    if (!hit) continue;
    const back = (q: { x: number; y: number }): Point => {
      const [x, y] = cylinderToImage(model, win.u0 + q.x / win.scale, win.v0 + q.y / win.scale);
      return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    };
    const p = hit.position;
    return [
      {
        text: hit.text,
        corners: [back(p.topLeft), back(p.topRight), back(p.bottomRight), back(p.bottomLeft)],
        confidence,
      },
    ];
  }
  return [];
}
