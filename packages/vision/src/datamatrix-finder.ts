// Finds Data Matrix symbols by their finder: two solid dark edges meeting at a corner (the L) and,
// opposite them, two edges of alternating modules (the timing pattern). A symbol's dark modules are
// one blob once gaps of a pixel or two are bridged; the blob's tightest rectangle gives its four
// edges, and walking in from each edge to the first ink tells a solid edge (ink all along) from a
// timing edge (ink, then a module-deep gap, in turn). Text, wood grain and QR symbols do not show
// two solid edges at a right angle with two dotted ones opposite.
import { localMeanThreshold, type Region } from "./curved-read.js";
import type { Vec2 } from "./curved-unwrap.js";
import type { GreyImage } from "./types.js";

export interface DataMatrixFinder {
  /** The L's corner, then the far ends of its two solid edges, image px. */
  corner: Vec2;
  ends: [Vec2, Vec2];
  /** The symbol's tight bounding box, image px. */
  bounds: Region;
  /** Found once a neighbour standing in front was taken out of the dark mask (withoutOccluder). */
  behind?: boolean;
  /**
   * Where the neighbour cuts the symbol, where it does: the axis it cuts (a: from the corner to
   * ends[0], b: to ends[1]) and at which end, the L's (its solid edge along the other axis hidden)
   * or the far one (the timing edge there hidden).
   */
  cut?: { axis: "a" | "b"; atCorner: boolean };
  /** Where the neighbour lies (with a margin), image px: 1 in `mask` over the box's pixels. */
  neighbour?: { x0: number; y0: number; w: number; h: number; mask: Uint8Array };
}

/** Smallest symbol side, px: 10 modules of 2 px, less blur. */
const MIN_SIDE = 16;
/** Rectangles run to 16x48; a blob longer than 4.5:1 is a bar, an edge or a line of text. */
const MAX_ASPECT = 4.5;
/** Samples along each edge of the fitted rectangle. */
const EDGE_SAMPLES = 48;

/** The Data Matrix finders in a region of the grey image, largest first. */
export function findDataMatrixFinders(
  grey: GreyImage,
  region: Region,
  behindNeighbours = true,
): DataMatrixFinder[] {
  const x0 = Math.max(0, Math.floor(region.x0));
  const y0 = Math.max(0, Math.floor(region.y0));
  const w = Math.min(grey.width, Math.ceil(region.x1)) - x0;
  const h = Math.min(grey.height, Math.ceil(region.y1)) - y0;
  if (w < MIN_SIDE || h < MIN_SIDE) return [];
  const dark = localMeanThreshold(grey, x0, y0, w, h, Math.max(8, Math.round(Math.min(w, h) / 6)));
  const first = darkBlobs(dark, w, h);
  let out = first.blobs.flatMap((blob) => classify(dark, w, h, blob));
  // Finders far smaller than the region are clutter beside the symbol the merged blob holds.
  const area = (f: DataMatrixFinder) => (f.bounds.x1 - f.bounds.x0) * (f.bounds.y1 - f.bounds.y0);
  const behindWanted = behindNeighbours && first.mergedCentre && Math.max(0, ...out.map(area)) < 0.1 * w * h;
  if (!out.length && first.mergedCentre) {
    // A symbol printed close to its label's edge, or beside a neighbour's silhouette, joins the dark
    // beyond it into one blob that reaches the region's border from its middle. Solid dark areas
    // wider than a couple of modules are cut away and the search repeated; the L, one module
    // thick, stays. The region's short side only guesses the module's size: a narrow region round
    // a symbol of large modules (a rectangle along a small bottle) cuts the symbol's own 2x2
    // blocks away, so there twice the width is tried as well.
    const r = Math.max(3, Math.round(Math.min(w, h) / 30));
    const narrow = Math.max(w, h) >= 2 * Math.min(w, h);
    for (const radius of narrow ? [r, 2 * r] : [r]) {
      const cut = dark.slice();
      openSolid(cut, w, h, radius);
      out = darkBlobs(cut, w, h).blobs.flatMap((blob) => classify(cut, w, h, blob));
      if (out.length) break;
    }
  }
  if (behindWanted) {
    // A neighbour standing in front joins the symbol's blob, and the cut leaves pieces of it (or
    // nothing, or the symbol with the neighbour's rim); with the neighbour taken out the symbol is
    // one blob again, and its finders are tried first.
    const clear = withoutOccluder(grey, dark, x0, y0, w, h);
    const behind = clear
      ? darkBlobs(clear.dark, w, h)
          .blobs.flatMap((blob) => classify(clear.dark, w, h, blob, undefined, clear.near))
          .map((f) => ({ ...f, behind: true, neighbour: { x0: 0, y0: 0, w, h, mask: clear.on } }))
      : [];
    // No finder is read twice: one the neighbour does not cut, found as before, is left out, and
    // one found as before that the neighbour cuts keeps every read and gains the grids behind it.
    const same = (f: DataMatrixFinder, g: DataMatrixFinder) => {
      const q = [g.corner, ...g.ends];
      return [f.corner, ...f.ends].every((p, k) => Math.hypot(p[0] - q[k]![0], p[1] - q[k]![1]) < 2);
    };
    const cutOf = (g: DataMatrixFinder) => behind.find((f) => f.cut && same(f, g));
    const kept = behind.filter((f) => !out.some((g) => same(f, g)));
    out = [
      ...kept,
      ...out.map((g) => {
        const f = cutOf(g);
        return f ? { ...g, cut: f.cut, neighbour: f.neighbour } : g;
      }),
    ];
  }
  return out.map((f) => shift(f, x0, y0));
}

/**
 * The dark mask with a neighbour standing in front of the symbol taken out: a smooth area (grey
 * varying by less than 0.08 of the ink-paper contrast over about a module) darker than paper by a
 * quarter of that contrast, in pieces far larger than a 2x2 block of ink modules, and a margin
 * round it (`near`, also the mask an edge is tested against); `on`, the area grown by the band the
 * smoothness window misses, is where modules count as hidden. Null where there is no such area, or
 * the region has too little contrast (under 40 grey levels) to tell.
 */
function withoutOccluder(
  grey: GreyImage,
  dark: Uint8Array,
  x0: number,
  y0: number,
  w: number,
  h: number,
): { dark: Uint8Array; near: Uint8Array; on: Uint8Array } | null {
  // The smoothness window, about a module on the regions round a label; no wider on a larger
  // region, whose margin would reach past a label's quiet zone from the bottle round it.
  const r = Math.min(4, Math.max(2, Math.round(Math.min(w, h) / 40)));
  // Ink and paper: the 5th and 95th percentiles of the region's grey levels.
  const hist = new Int32Array(256);
  for (let y = 0; y < h; y++) {
    const o = (y0 + y) * grey.width + x0;
    for (let x = 0; x < w; x++) hist[grey.data[o + x]!]!++;
  }
  const level = (q: number) => {
    let k = 0;
    for (let n = 0, want = q * w * h; k < 255 && n + hist[k]! <= want; k++) n += hist[k]!;
    return k;
  };
  const ink = level(0.05);
  const paper = level(0.95);
  const contrast = paper - ink;
  if (contrast < 40) return null;
  // Mean and variance over a (2r + 1) square from running sums.
  const W = w + 1;
  const s1 = new Float64Array(W * (h + 1));
  const s2 = new Float64Array(W * (h + 1));
  for (let y = 0; y < h; y++) {
    let a = 0;
    let b = 0;
    const o = (y0 + y) * grey.width + x0;
    for (let x = 0; x < w; x++) {
      const v = grey.data[o + x]!;
      a += v;
      b += v * v;
      s1[(y + 1) * W + x + 1] = s1[y * W + x + 1]! + a;
      s2[(y + 1) * W + x + 1] = s2[y * W + x + 1]! + b;
    }
  }
  const maxVar = (0.08 * contrast) ** 2;
  const n = (2 * r + 1) ** 2;
  const below = paper - 0.25 * contrast;
  const smooth = new Uint8Array(w * h);
  for (let y = r; y < h - r; y++) {
    const ya = (y - r) * W;
    const yb = (y + r + 1) * W;
    for (let x = r; x < w - r; x++) {
      const xa = x - r;
      const xb = x + r + 1;
      const m = (s1[yb + xb]! - s1[ya + xb]! - s1[yb + xa]! + s1[ya + xa]!) / n;
      const v = (s2[yb + xb]! - s2[ya + xb]! - s2[yb + xa]! + s2[ya + xa]!) / n - m * m;
      smooth[y * w + x] = v < maxVar && m < below ? 1 : 0;
    }
  }
  // Components of the smooth area far larger than a 2x2 block of ink modules are the neighbour.
  const minArea = (8 * r) ** 2;
  const occ = new Uint8Array(w * h);
  const { stack, members } = fillScratch(w * h);
  let any = false;
  for (let s0 = 0; s0 < w * h; s0++) {
    if (smooth[s0] !== 1) continue;
    let top = 0;
    let count = 0;
    stack[top++] = s0;
    smooth[s0] = 2;
    while (top) {
      const i = stack[--top]!;
      members[count++] = i;
      const x = i % w;
      if (x > 0 && smooth[i - 1] === 1) {
        smooth[i - 1] = 2;
        stack[top++] = i - 1;
      }
      if (x < w - 1 && smooth[i + 1] === 1) {
        smooth[i + 1] = 2;
        stack[top++] = i + 1;
      }
      if (i >= w && smooth[i - w] === 1) {
        smooth[i - w] = 2;
        stack[top++] = i - w;
      }
      if (i + w < w * h && smooth[i + w] === 1) {
        smooth[i + w] = 2;
        stack[top++] = i + w;
      }
    }
    if (count < minArea) continue;
    any = true;
    for (let k = 0; k < count; k++) occ[members[k]!] = 1;
  }
  if (!any) return null;
  // The margin: the smooth test misses a band of r round the area, and the rim's blur a little more.
  const near = dilate(occ, w, h, 2 * r + 1);
  return { dark: dark.map((v, i) => (near[i] ? 0 : v)), near, on: dilate(occ, w, h, r) };
}

/** The summed-area table of a mask, (w + 1) x (h + 1) with a zero first row and column. */
function summedArea(mask: Uint8Array, w: number, h: number): Int32Array {
  const s = new Int32Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += mask[y * w + x]!;
      s[(y + 1) * (w + 1) + x + 1] = s[y * (w + 1) + x + 1]! + row;
    }
  }
  return s;
}

/** The pixels within a (2r + 1)-square of a set one (a morphological dilation). */
function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const s = summedArea(mask, w, h);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const ya = Math.max(0, y - r);
    const yb = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const xa = Math.max(0, x - r);
      const xb = Math.min(w, x + r + 1);
      out[y * w + x] =
        s[yb * (w + 1) + xb]! - s[ya * (w + 1) + xb]! - s[yb * (w + 1) + xa]! + s[ya * (w + 1) + xa]! > 0
          ? 1
          : 0;
    }
  }
  return out;
}

/** Clears every dark pixel that lies in a fully dark (2r + 1)-square (a morphological opening). */
function openSolid(dark: Uint8Array, w: number, h: number, r: number): void {
  const solid = opening(dark, w, h, r);
  for (let i = 0; i < dark.length; i++) if (solid[i]) dark[i] = 0;
}

/** The dark pixels that lie in a fully dark (2r + 1)-square (a morphological opening). */
function opening(dark: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const box = (s: Int32Array, x: number, y: number) => {
    const xa = Math.max(0, x - r);
    const ya = Math.max(0, y - r);
    const xb = Math.min(w, x + r + 1);
    const yb = Math.min(h, y + r + 1);
    return s[yb * (w + 1) + xb]! - s[ya * (w + 1) + xb]! - s[yb * (w + 1) + xa]! + s[ya * (w + 1) + xa]!;
  };
  const full = (2 * r + 1) ** 2;
  const inked = summedArea(dark, w, h);
  const core = new Uint8Array(w * h);
  for (let y = r; y < h - r; y++)
    for (let x = r; x < w - r; x++) core[y * w + x] = box(inked, x, y) === full ? 1 : 0;
  return dilate(core, w, h, r);
}

/**
 * Pixel indices of each dark blob big enough to be a symbol, dark pixels up to 2 px apart (each
 * axis) joined: a light module of 2 px does not split a symbol.
 * Each dark pixel is first grown by one pixel right and down; two pixels at most 2 px apart then
 * overlap or touch diagonally, so an 8-connected fill over the grown map joins them
 * with 8 looks per pixel instead of 25. `mergedCentre`: a blob cut by the border has a symbol's worth
 * of ink in the region's middle half, where the label the region was cut round lies.
 */
function darkBlobs(dark: Uint8Array, w: number, h: number): { blobs: Int32Array[]; mergedCentre: boolean } {
  const grown = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      grown[i] =
        dark[i]! | (x > 0 ? dark[i - 1]! : 0) | (y > 0 ? dark[i - w]! | (x > 0 ? dark[i - w - 1]! : 0) : 0);
    }
  }
  // On a busy region (a QR symbol, print) the fill visits most pixels; growing and clearing plain
  // arrays for every speck, or allocating these afresh per region, cost more than the fill itself.
  const seen = new Uint8Array(w * h);
  const { stack, members } = fillScratch(w * h);
  const blobs: Int32Array[] = [];
  let mergedCentre = false;
  for (let start = 0; start < dark.length; start++) {
    if (!dark[start] || seen[start]) continue;
    let count = 0;
    let top = 0;
    seen[start] = 1;
    stack[top++] = start;
    let bx0 = w;
    let bx1 = 0;
    let by0 = h;
    let by1 = 0;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % w;
      const y = (i - x) / w;
      if (dark[i]) {
        members[count++] = i;
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        if (y > by1) by1 = y;
      }
      const xa = x > 0 ? x - 1 : 0;
      const xb = x < w - 1 ? x + 1 : w - 1;
      for (let ny = y > 0 ? y - 1 : 0, ye = y < h - 1 ? y + 1 : h - 1; ny <= ye; ny++) {
        for (let k = ny * w + xa, ke = ny * w + xb; k <= ke; k++) {
          if (grown[k] && !seen[k]) {
            seen[k] = 1;
            stack[top++] = k;
          }
        }
      }
    }
    const bw = bx1 - bx0 + 1;
    const bh = by1 - by0 + 1;
    // A symbol is at least a third ink; a blob touching the region's border is cut or is clutter.
    if (Math.max(bw, bh) < MIN_SIDE || count < (MIN_SIDE * MIN_SIDE) / 3) continue;
    if (bx0 === 0 || by0 === 0 || bx1 === w - 1 || by1 === h - 1) {
      let central = 0;
      for (let m = 0; m < count; m++) {
        const i = members[m]!;
        const x = i % w;
        const y = (i - x) / w;
        if (x >= w / 4 && x < (3 * w) / 4 && y >= h / 4 && y < (3 * h) / 4) central++;
      }
      mergedCentre ||= central >= (MIN_SIDE * MIN_SIDE) / 3;
      continue;
    }
    // The tight rectangle's fill is at least the box's: a nearly solid patch is no symbol.
    if (count > 0.8 * bw * bh) continue;
    blobs.push(members.slice(0, count));
  }
  return { blobs: blobs.sort((a, b) => b.length - a.length), mergedCentre };
}

let scratch = { stack: new Int32Array(0), members: new Int32Array(0) };

/** The flood fill's two index buffers, kept between calls (a worker runs one region at a time). */
function fillScratch(n: number): { stack: Int32Array; members: Int32Array } {
  if (scratch.stack.length < n) scratch = { stack: new Int32Array(n), members: new Int32Array(n) };
  return scratch;
}

interface Rect {
  /** Unit vectors of the rectangle's sides. */
  u: Vec2;
  v: Vec2;
  /** Extents along u and v (dot products with the pixel centres). */
  u0: number;
  u1: number;
  v0: number;
  v1: number;
}

/**
 * The blob's smallest-area bounding rectangle, to a degree; `nearDeg`, a side's direction known
 * already (mod 90°), spares the coarse sweep.
 */
function tightRect(blob: Int32Array, w: number, nearDeg?: number): Rect {
  // Large blobs are thinned for the coarse sweep; the extremes move by a pixel at most.
  const step = Math.max(1, Math.floor(blob.length / 3000));
  const fit = (deg: number, stride: number): Rect & { area: number } => {
    const a = (deg * Math.PI) / 180;
    const u: Vec2 = [Math.cos(a), Math.sin(a)];
    const v: Vec2 = [-u[1], u[0]];
    let u0 = Number.POSITIVE_INFINITY;
    let u1 = Number.NEGATIVE_INFINITY;
    let v0 = Number.POSITIVE_INFINITY;
    let v1 = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < blob.length; k += stride) {
      const i = blob[k]!;
      const x = (i % w) + 0.5;
      const y = Math.floor(i / w) + 0.5;
      const pu = x * u[0] + y * u[1];
      const pv = x * v[0] + y * v[1];
      if (pu < u0) u0 = pu;
      if (pu > u1) u1 = pu;
      if (pv < v0) v0 = pv;
      if (pv > v1) v1 = pv;
    }
    return {
      u,
      v,
      u0: u0 - 0.5,
      u1: u1 + 0.5,
      v0: v0 - 0.5,
      v1: v1 + 0.5,
      area: (u1 - u0 + 1) * (v1 - v0 + 1),
    };
  };
  let coarse = nearDeg ?? 0;
  if (nearDeg === undefined) {
    let best = fit(0, step);
    for (let deg = 4; deg < 90; deg += 4) {
      const r = fit(deg, step);
      if (r.area < best.area) best = r;
    }
    coarse = Math.atan2(best.u[1], best.u[0]) * (180 / Math.PI);
  }
  const fine = Math.max(1, step >> 1);
  let bestDeg = coarse;
  let bestArea = fit(coarse, fine).area;
  for (let d = -3; d <= 3; d++) {
    if (d === 0) continue;
    const area = fit(coarse + d, fine).area;
    if (area < bestArea) {
      bestArea = area;
      bestDeg = coarse + d;
    }
  }
  return fit(bestDeg, 1);
}

type EdgeKind = "solid" | "timing" | "other";

/**
 * A blob's finder, when its rectangle has two adjacent solid edges and a timing edge opposite (or
 * the two finders a glared solid edge leaves possible); none otherwise. With `neighbour` (a mask of
 * a neighbour standing in front, withoutOccluder), an edge along it counts as neither solid nor
 * timing, one solid edge with a timing edge makes a finder, and the finder records the cut.
 */
function classify(
  dark: Uint8Array,
  w: number,
  h: number,
  blob: Int32Array,
  nearDeg?: number,
  neighbour?: Uint8Array,
): DataMatrixFinder[] {
  const r = tightRect(blob, w, nearDeg);
  const lu = r.u1 - r.u0;
  const lv = r.v1 - r.v0;
  const short = Math.min(lu, lv);
  if (short < MIN_SIDE || Math.max(lu, lv) > MAX_ASPECT * short) return [];
  // Half a symbol's modules are ink; a solid dark patch (a dark bottle, a shadow) is nearly all.
  const fill = blob.length / (lu * lv);
  if (fill < 0.3 || fill > 0.8) return [];
  const at = (pu: number, pv: number): Vec2 => [pu * r.u[0] + pv * r.v[0], pu * r.u[1] + pv * r.v[1]];
  // Corners in order round the rectangle; edge k runs from corner k to corner k + 1, and the
  // symbol lies on its inward side.
  const corners: Vec2[] = [at(r.u0, r.v0), at(r.u1, r.v0), at(r.u1, r.v1), at(r.u0, r.v1)];
  const inward: Vec2[] = [r.v, [-r.u[0], -r.u[1]], [-r.v[0], -r.v[1]], r.u];
  const depthOf = [lv, lu, lv, lu];
  const behind = corners.map(
    (c, k) => !!neighbour && behindEdge(neighbour, w, h, c, corners[(k + 1) % 4]!, inward[k]!),
  );
  const kinds = corners.map((c, k) =>
    behind[k] ? "other" : edgeKind(dark, w, h, c, corners[(k + 1) % 4]!, inward[k]!, depthOf[k]!, short),
  );
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const bounds = { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
  const glared: DataMatrixFinder[] = [];
  for (let k = 0; k < 4; k++) {
    // Edges k and k + 1 solid, meeting at corner k + 1; at least one of the others a timing edge
    // (a neighbour or glare may hide the other).
    const k1 = (k + 1) % 4;
    const pair = [kinds[k], kinds[k1]];
    const others = [kinds[(k + 2) % 4], kinds[(k + 3) % 4]];
    const solids = pair.filter((x) => x === "solid").length;
    const timings = others.filter((x) => x === "timing").length;
    const finder: DataMatrixFinder = {
      corner: corners[k1]!,
      ends: [corners[k]!, corners[(k + 2) % 4]!] as [Vec2, Vec2],
      bounds,
    };
    // Edge k runs along a, k1 along b; k + 2 and k + 3 are the timing edges opposite them.
    const cut = [
      { edge: k, axis: "b", atCorner: true },
      { edge: k1, axis: "a", atCorner: true },
      { edge: (k + 2) % 4, axis: "b", atCorner: false },
      { edge: (k + 3) % 4, axis: "a", atCorner: false },
    ] as const;
    const hiddenEdge = cut.find((c) => behind[c.edge]);
    if (hiddenEdge) finder.cut = { axis: hiddenEdge.axis, atCorner: hiddenEdge.atCorner };
    // Both timing edges seen make up for one solid edge lost (to the dark of a neighbour or of the
    // label's own edge beside it, or to a bend).
    if (
      (solids === 2 && timings >= 1 && !others.includes("solid")) ||
      (solids === 1 && timings === 2 && pair.includes("other"))
    )
      return [finder];
    // A glare stripe across a solid edge leaves gaps that pass for dots: one solid edge and three
    // dotted ones could be the L either way round, and the grid read tells which.
    if (solids === 1 && timings === 2 && pair.includes("timing")) glared.push(finder);
    // Behind a neighbour, the L's arm that runs into it may end in clutter the cut left: one solid
    // arm, a timing edge, and the neighbour along another edge.
    else if (
      behind.some((b) => b) &&
      solids === 1 &&
      timings >= 1 &&
      !pair.includes("timing") &&
      !others.includes("solid")
    )
      glared.push(finder);
  }
  return glared;
}

/** Whether at least half an edge (8 of 16 samples 2 px outside it) borders the neighbour's mask. */
function behindEdge(
  neighbour: Uint8Array,
  w: number,
  h: number,
  from: Vec2,
  to: Vec2,
  inward: Vec2,
): boolean {
  let n = 0;
  for (let s = 0; s < 16; s++) {
    const t = (s + 0.5) / 16;
    const x = Math.floor(from[0] + (to[0] - from[0]) * t - inward[0] * 2);
    const y = Math.floor(from[1] + (to[1] - from[1]) * t - inward[1] * 2);
    if (x >= 0 && y >= 0 && x < w && y < h && neighbour[y * w + x]) n++;
  }
  return n >= 8;
}

/**
 * Walks in from samples along an edge to the first ink. A solid edge has ink at a smooth depth all
 * along (the depth drifts where a bent row sags); a timing edge has a module-deep gap at every
 * other module.
 */
function edgeKind(
  dark: Uint8Array,
  w: number,
  h: number,
  from: Vec2,
  to: Vec2,
  inward: Vec2,
  across: number,
  short: number,
): EdgeKind {
  const maxDepth = Math.max(4, across * 0.3);
  const depth = new Float32Array(EDGE_SAMPLES);
  for (let s = 0; s < EDGE_SAMPLES; s++) {
    // The ends belong to the neighbouring edges.
    const t = 0.06 + (0.88 * (s + 0.5)) / EDGE_SAMPLES;
    const bx = from[0] + (to[0] - from[0]) * t;
    const by = from[1] + (to[1] - from[1]) * t;
    let d = 0;
    for (; d < maxDepth; d += 0.5) {
      const x = Math.floor(bx + inward[0] * (d + 0.5));
      const y = Math.floor(by + inward[1] * (d + 0.5));
      if (x >= 0 && y >= 0 && x < w && y < h && dark[y * w + x]) break;
    }
    depth[s] = d;
  }
  // Gaps are measured against the shallowest ink nearby, so a slow drift (a sagging row) is no gap.
  const gapMin = Math.max(1.5, short / 28);
  // The rectangle may meet a solid edge at an angle (a symbol seen at a slant, or bowed round a
  // bottle, is no rectangle), and then the depth drifts along it by more than a gap's depth. A
  // depth above the line most depths lie on is a gap only where that line drifts too.
  const line = drifts(depth, gapMin) ? inkLine(depth) : null;
  const gapAbove = line && Math.abs(line(EDGE_SAMPLES - 1) - line(0)) > gapMin ? line : null;
  const win = 4;
  let gaps = 0;
  let changes = 0;
  let prev = false;
  for (let s = 0; s < EDGE_SAMPLES; s++) {
    let lo = Number.POSITIVE_INFINITY;
    for (let j = Math.max(0, s - win); j <= Math.min(EDGE_SAMPLES - 1, s + win); j++)
      lo = Math.min(lo, depth[j]!);
    const gap = depth[s]! - lo > gapMin && (!gapAbove || depth[s]! - gapAbove(s) > gapMin);
    if (gap) gaps++;
    if (s > 0 && gap !== prev) changes++;
    prev = gap;
  }
  const share = gaps / EDGE_SAMPLES;
  if (share <= 0.08) {
    const sorted = [...depth].sort((a, b) => a - b);
    // The ink must be at the edge itself, not a light band's width in; a row bent round a bottle
    // bows away from the tight rectangle's side by up to a module or two in the middle or at one end.
    const at = Math.max(2, short * 0.08);
    return sorted[0]! <= at && sorted[EDGE_SAMPLES >> 1]! <= at + short * 0.1 ? "solid" : "other";
  }
  return share >= 0.2 && share <= 0.7 && changes >= 5 ? "timing" : "other";
}

/** Whether the depths' first and last quarters lie apart by more than `by` (their medians). */
function drifts(depth: Float32Array, by: number): boolean {
  const q = depth.length >> 2;
  const mid = (a: Float32Array) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  return Math.abs(mid(depth.subarray(0, q)) - mid(depth.subarray(depth.length - q))) > by;
}

/**
 * The straight line most of the depths lie on, within a pixel: of the lines through two samples
 * at least a quarter of the edge apart, the one with the most samples near it. On a solid edge it
 * follows the ink's boundary, on a timing edge the dots' tops or the gaps' bottoms.
 */
function inkLine(depth: Float32Array): (s: number) => number {
  const n = depth.length;
  let best = { c0: 0, c1: 0, inliers: -1 };
  for (let p = 0; p < n; p++) {
    for (let q = p + (n >> 2); q < n; q += 2) {
      const c1 = (depth[q]! - depth[p]!) / (q - p);
      const c0 = depth[p]! - c1 * p;
      let inliers = 0;
      for (let s = 0; s < n; s++) if (Math.abs(depth[s]! - (c0 + c1 * s)) <= 1) inliers++;
      if (inliers > best.inliers) best = { c0, c1, inliers };
    }
  }
  return (s) => best.c0 + best.c1 * s;
}

function shift(f: DataMatrixFinder, dx: number, dy: number): DataMatrixFinder {
  const m = (p: Vec2): Vec2 => [p[0] + dx, p[1] + dy];
  return {
    corner: m(f.corner),
    ends: [m(f.ends[0]), m(f.ends[1])],
    bounds: { x0: f.bounds.x0 + dx, y0: f.bounds.y0 + dy, x1: f.bounds.x1 + dx, y1: f.bounds.y1 + dy },
    ...(f.behind ? { behind: true } : {}),
    ...(f.cut ? { cut: f.cut } : {}),
    ...(f.neighbour
      ? { neighbour: { ...f.neighbour, x0: f.neighbour.x0 + dx, y0: f.neighbour.y0 + dy } }
      : {}),
  };
}

/** Which timing edge a widened finder looks past, and how far: a share of the symbol's shorter side. */
export interface Widening {
  /** 0: the edge at the end of the first solid edge (ends[0]); 1: the other. */
  side: 0 | 1;
  reach: number;
}

/**
 * The finder again with the dark pixels just beyond one of its timing edges taken in: a glare
 * stripe across a symbol splits its blob, and the finder's rectangle then ends at the stripe with
 * the modules beyond it left out. One threshold serves every widening up to `maxReach` of the
 * shorter side (the window's limit); each gives the first finder of its widened blob, as the
 * refind windows do, or none where it takes in no ink.
 */
export function widener(
  grey: GreyImage,
  f: DataMatrixFinder,
  maxReach: number,
): (widening: Widening) => DataMatrixFinder | undefined {
  const C = f.corner;
  const [A, B] = f.ends;
  const la = Math.hypot(A[0] - C[0], A[1] - C[1]);
  const lb = Math.hypot(B[0] - C[0], B[1] - C[1]);
  const ua: Vec2 = [(A[0] - C[0]) / la, (A[1] - C[1]) / la];
  const ub: Vec2 = [(B[0] - C[0]) / lb, (B[1] - C[1]) / lb];
  const short = Math.min(la, lb);
  if (!(short >= MIN_SIDE)) return () => undefined;
  // The rectangle turns little when a strip is added: its sides' direction, mod 90 degrees.
  const deg = ((((Math.atan2(ua[1], ua[0]) * 180) / Math.PI) % 90) + 90) % 90;
  // The window: the rectangle reaching past both timing edges, and a margin.
  const far = maxReach * short;
  const D: Vec2 = [A[0] + B[0] - C[0], A[1] + B[1] - C[1]];
  const pts = [C, A, B, D].flatMap((p, k): Vec2[] => {
    const ea = k === 1 || k === 3 ? far : 0;
    const eb = k === 2 || k === 3 ? far : 0;
    return [p, [p[0] + ua[0] * ea + ub[0] * eb, p[1] + ua[1] * ea + ub[1] * eb]];
  });
  const x0 = Math.max(0, Math.floor(Math.min(...pts.map((p) => p[0]))) - 4);
  const y0 = Math.max(0, Math.floor(Math.min(...pts.map((p) => p[1]))) - 4);
  const w = Math.min(grey.width, Math.ceil(Math.max(...pts.map((p) => p[0]))) + 4) - x0;
  const h = Math.min(grey.height, Math.ceil(Math.max(...pts.map((p) => p[1]))) + 4) - y0;
  if (w < MIN_SIDE || h < MIN_SIDE) return () => undefined;
  const dark = localMeanThreshold(grey, x0, y0, w, h, Math.max(8, Math.round(short / 6)));
  // Each dark pixel's place along the L's two edges, once for all widenings.
  let n = 0;
  for (let i = 0; i < dark.length; i++) n += dark[i]!;
  const inks = new Int32Array(n);
  const along = new Float32Array(2 * n);
  for (let y = 0, k = 0; y < h; y++) {
    const py = y0 + y + 0.5 - C[1];
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!dark[i]) continue;
      const px = x0 + x + 0.5 - C[0];
      inks[k] = i;
      along[2 * k] = px * ua[0] + py * ua[1];
      along[2 * k + 1] = px * ub[0] + py * ub[1];
      k++;
    }
  }
  const only = new Uint8Array(w * h);
  const kept = new Int32Array(n);
  return ({ side, reach }) => {
    // Inside the rectangle (1.5 px of slack), or up to the reach beyond the chosen timing edge;
    // never beyond the L.
    const endA = la + (side === 0 ? reach * short : 1.5);
    const endB = lb + (side === 1 ? reach * short : 1.5);
    let m = 0;
    let beyond = false;
    only.fill(0);
    for (let k = 0; k < n; k++) {
      const s = along[2 * k]!;
      const t = along[2 * k + 1]!;
      if (s >= -1.5 && t >= -1.5 && s <= endA && t <= endB) {
        kept[m++] = inks[k]!;
        only[inks[k]!] = 1;
        beyond ||= s > la + 1.5 || t > lb + 1.5;
      }
    }
    if (!beyond) return undefined;
    const found = classify(only, w, h, kept.subarray(0, m), deg)[0];
    return found && shift(found, x0, y0);
  };
}
