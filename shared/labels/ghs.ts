// GHS hazard pictograms as vector shapes: a diamond with a red border and white fill around a black
// symbol. Simplified but recognisable versions of the nine CLP/GHS symbols, drawn in a 100 × 100 box
// from polygons only (circles are 48-gons), so SVG, PDF and the ZPL rasteriser draw the same thing.
// Shapes are painted in order; each shape's rings fill by the even-odd rule (a ring inside a ring is
// a hole).

export type Pt = [number, number];
export type Paint = "red" | "black" | "white";
export interface Shape {
  rings: Pt[][];
  fill: Paint;
}

export const GHS_CODES = [
  "GHS01",
  "GHS02",
  "GHS03",
  "GHS04",
  "GHS05",
  "GHS06",
  "GHS07",
  "GHS08",
  "GHS09",
] as const;
export type GhsCode = (typeof GHS_CODES)[number];

export const GHS_NAMES: Record<GhsCode, string> = {
  GHS01: "exploding bomb",
  GHS02: "flame",
  GHS03: "flame over circle",
  GHS04: "gas cylinder",
  GHS05: "corrosion",
  GHS06: "skull and crossbones",
  GHS07: "exclamation mark",
  GHS08: "health hazard",
  GHS09: "environment",
};

/** "GHS02", "ghs2", "GHS 02" → "GHS02"; anything else → undefined. */
export function normalizeGhs(code: string): GhsCode | undefined {
  const m = /^\s*GHS\s*0?([1-9])\s*$/i.exec(code);
  return m ? (`GHS0${m[1]}` as GhsCode) : undefined;
}

// ---- geometry helpers (all in the 100 × 100 pictogram box, y down) ----

const r2 = (v: number) => Math.round(v * 1000) / 1000;
const pt = (x: number, y: number): Pt => [r2(x), r2(y)];

function poly(...pts: Pt[]): Pt[] {
  return pts.map(([x, y]) => pt(x, y));
}

function rect(x: number, y: number, w: number, h: number): Pt[] {
  return poly([x, y], [x + w, y], [x + w, y + h], [x, y + h]);
}

function ellipse(cx: number, cy: number, rx: number, ry: number, n = 48): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    out.push(pt(cx + rx * Math.cos(a), cy + ry * Math.sin(a)));
  }
  return out;
}

const circle = (cx: number, cy: number, r: number, n = 48) => ellipse(cx, cy, r, r, n);

/** A thick straight stroke from (x1,y1) to (x2,y2). */
function seg(x1: number, y1: number, x2: number, y2: number, w: number): Pt[] {
  const len = Math.hypot(x2 - x1, y2 - y1);
  const nx = (-(y2 - y1) / len) * (w / 2);
  const ny = ((x2 - x1) / len) * (w / 2);
  return poly([x1 + nx, y1 + ny], [x2 + nx, y2 + ny], [x2 - nx, y2 - ny], [x1 - nx, y1 - ny]);
}

/** A star with n points, outer radius ro, inner radius ri, first point straight up. */
function star(cx: number, cy: number, ro: number, ri: number, n: number, turn = 0): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const a = -Math.PI / 2 + turn + (Math.PI * i) / n;
    const r = i % 2 === 0 ? ro : ri;
    out.push(pt(cx + r * Math.cos(a), cy + r * Math.sin(a)));
  }
  return out;
}

/** A capsule (cylinder seen from the side) centred on (cx,cy), rotated by `deg` (negative: right end up). */
function capsule(cx: number, cy: number, len: number, wid: number, deg: number): Pt[] {
  const a = (deg * Math.PI) / 180;
  const r = wid / 2;
  const half = len / 2 - r;
  const local: Pt[] = [];
  for (let i = 0; i <= 24; i++) {
    const t = -Math.PI / 2 + (Math.PI * i) / 24;
    local.push([half + r * Math.cos(t), r * Math.sin(t)]);
  }
  for (let i = 0; i <= 24; i++) {
    const t = Math.PI / 2 + (Math.PI * i) / 24;
    local.push([-half + r * Math.cos(t), r * Math.sin(t)]);
  }
  return local.map(([x, y]) =>
    pt(cx + x * Math.cos(a) - y * Math.sin(a), cy + x * Math.sin(a) + y * Math.cos(a)),
  );
}

function scaled(pts: Pt[], s: number, ox: number, oy: number): Pt[] {
  return pts.map(([x, y]) => pt(ox + x * s, oy + y * s));
}

const black = (...rings: Pt[][]): Shape => ({ rings, fill: "black" });
const white = (...rings: Pt[][]): Shape => ({ rings, fill: "white" });

// ---- the symbols ----

const FLAME: Pt[] = poly(
  [34, 68],
  [31, 58],
  [33, 49],
  [38, 42],
  [39, 50],
  [42, 43],
  [44, 34],
  [48, 40],
  [52, 25],
  [55, 36],
  [58, 32],
  [60, 42],
  [63, 39],
  [66, 48],
  [68, 58],
  [66, 68],
);
const FLAME_TONGUE: Pt[] = poly([45, 68], [43.5, 61], [47, 54], [49.5, 58], [53, 50], [56.5, 59], [55, 68]);

const SYMBOLS: Record<GhsCode, Shape[]> = {
  GHS01: [
    black(star(56, 42, 17, 7, 10)),
    black(circle(43, 60, 11.5)),
    black(seg(49, 50, 53, 45, 3)),
    black(circle(30, 41, 2.4)),
    black(circle(68, 63, 2.4)),
    black(circle(35, 31, 1.8)),
  ],
  GHS02: [black(FLAME), white(FLAME_TONGUE), black(rect(34, 70, 32, 4))],
  GHS03: [
    black(scaled(FLAME, 0.62, 19, 13)),
    black(circle(50, 58, 11.5), circle(50, 58, 6)),
    black(rect(35, 71, 30, 4)),
  ],
  GHS04: [
    black(capsule(51, 56, 34, 14, -25)),
    black(seg(64, 50, 71.5, 46.5, 5)),
    black(seg(70, 42.5, 73.5, 50, 3)),
    white(seg(40, 57, 60, 47.7, 1.6)),
  ],
  GHS05: [
    black(seg(34, 31, 44, 41, 6)),
    black(seg(66, 31, 56, 41, 6)),
    black(circle(45.5, 47, 1.8)),
    black(circle(44.5, 52, 1.8)),
    black(circle(54.5, 47, 1.8)),
    black(circle(55.5, 52, 1.8)),
    black(poly([30, 57], [47, 57], [47, 63], [41, 63], [39, 60], [37, 63], [30, 63])),
    black(poly([53, 57], [70, 57], [70, 65], [62, 65], [60, 61.5], [58, 65], [53, 65])),
    black(rect(36, 69, 28, 4)),
  ],
  GHS06: [
    black(seg(37, 55, 63, 70, 5)),
    black(seg(63, 55, 37, 70, 5)),
    black(circle(36, 54, 2.6)),
    black(circle(36, 71, 2.6)),
    black(circle(64, 54, 2.6)),
    black(circle(64, 71, 2.6)),
    black(circle(50, 41, 12.5)),
    black(rect(43, 47, 14, 12)),
    white(circle(45, 41, 3.6)),
    white(circle(55, 41, 3.6)),
    white(poly([50, 45.5], [48, 50], [52, 50])),
    white(rect(46.6, 55, 1, 4)),
    white(rect(49.5, 55, 1, 4)),
    white(rect(52.4, 55, 1, 4)),
  ],
  GHS07: [black(poly([45, 27], [55, 27], [53, 59], [47, 59])), black(circle(50, 67, 4.8))],
  GHS08: [
    black(circle(50, 31, 7)),
    black(poly([38, 41], [62, 41], [66, 51], [64, 72], [36, 72], [34, 51])),
    white(star(50, 57, 11, 4.2, 8)),
  ],
  GHS09: [
    black(seg(37, 71, 38.5, 38, 3)),
    black(seg(37.8, 52, 30, 43, 2)),
    black(seg(38, 46, 45, 36, 2)),
    black(seg(38.3, 41, 34, 32, 2)),
    black(ellipse(55, 63, 9, 4)),
    black(poly([62, 63], [69, 58], [69, 68])),
    white(circle(50, 62, 1.1, 16)),
    black(seg(34, 71, 66, 71, 2.5)),
  ],
};

const OUTER: Pt[] = poly([50, 1], [99, 50], [50, 99], [1, 50]);
const INNER: Pt[] = poly([50, 9], [91, 50], [50, 91], [9, 50]);

/** Every shape of a pictogram, in paint order: red diamond, white diamond, black symbol. */
export function pictogramShapes(code: GhsCode): Shape[] {
  return [{ rings: [OUTER], fill: "red" }, { rings: [INNER], fill: "white" }, ...SYMBOLS[code]];
}

/** Maps pictogram-box shapes to a `size`-wide square at (x, y). */
export function placeShapes(shapes: Shape[], x: number, y: number, size: number): Shape[] {
  const s = size / 100;
  return shapes.map((sh) => ({ fill: sh.fill, rings: sh.rings.map((ring) => scaled(ring, s, x, y)) }));
}
