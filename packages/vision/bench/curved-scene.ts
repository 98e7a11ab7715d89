// Realistic shelf photographs of QR or Data Matrix labels wrapped round bottles, for the curved-label
// benches and tests. Every pixel is ray-cast through a pinhole camera pitched down at the shelf (with barrel
// distortion) onto upright cylinders: the labels' rows bend because the camera looks down on them,
// modules foreshorten towards the cylinder's silhouette, neighbours standing in front hide part of
// a code, and a specular stripe runs down each glossy bottle. LED colour casts, blur, sensor noise
// and JPEG q70-90 are added on top. The ground truth of every code is computed from the same
// geometry: bend (sag of the top row in modules), module size, glare, and the hidden fraction.
import zxing from "@zxing/library";
import sharp from "sharp";
import { writeBarcode } from "zxing-wasm";
import { codewordLayout } from "../src/qr-grid.js";
import { ensureZxing } from "../src/zxing-module.js";
import { createRng } from "./rng.js";

type Vec3 = [number, number, number];

export type SceneSymbology = "qr" | "datamatrix";

export interface CurvedCode {
  text: string;
  symbology: SceneSymbology;
  /** QR version (1 or 2): 21 or 25 modules a side; 0 for Data Matrix. */
  version: number;
  /**
   * Modules across the bottle by modules along its axis, as printed: "21x21" for a QR version 1, a
   * rectangular Data Matrix 12x26 turned along a small bottle's axis is "12x26".
   */
  size: string;
  /** Sag of the code's top row, in modules: the largest distance of the row from its chord. */
  bendModules: number;
  /** Module edge in pixels at the code's centre (the smaller of its horizontal and vertical size). */
  modulePx: number;
  /** Width in pixels of the code's narrowest module column (the one nearest the silhouette). */
  minColumnPx: number;
  /** True when a specular stripe of noticeable strength crosses the code. */
  glare: boolean;
  /** Fraction of module centres hidden by a neighbour, by the bottle's own silhouette or the frame. */
  occlusion: number;
  /** Modules of at least 2 px and at most 10% hidden: a decoder can be expected to read it. */
  readable: boolean;
  /** Gaussian blur of the whole frame (sigma, px): focus and motion, applied before JPEG. */
  blurPx: number;
  /** Codewords with at least one hidden module (QR only: 0 for Data Matrix). */
  hiddenCodewords: number;
  /**
   * Codewords the symbol's error correction can repair when it does not know which (half its check
   * codewords; QR only: 0 for Data Matrix).
   */
  correctable: number;
  /** Projected centre of the code, in output pixels. */
  center: [number, number];
  radiusMm: number;
  pitchDeg: number;
}

export interface CurvedShot {
  jpeg: Buffer;
  width: number;
  height: number;
  codes: CurvedCode[];
}

export interface CurvedSceneOptions {
  seed: number;
  width?: number;
  height?: number;
  /** Labelled bottles in the scene; default 5-8. */
  bottles?: number;
  /**
   * Default QR (version 1 or 2). Data Matrix as L.I.L.O. prints it: a square (16x16 or 18x18) on
   * bottles of 30 mm radius or more, else a rectangle (12x26, 12x36 or 16x36) with its long side
   * along the axis.
   */
  symbology?: SceneSymbology;
  /** Overrides for a single-code test scene. */
  fixed?: Partial<{
    pitchDeg: number;
    radiusMm: number;
    modulePx: number;
    halfAngle: number;
    yaw: number;
    glare: boolean;
    occlusion: number;
    blur: number;
    noise: number;
    quality: number;
    barrel: number;
  }>;
}

interface Cylinder {
  x: number;
  z: number;
  r: number;
  y0: number;
  y1: number;
  body: Vec3;
  cap: Vec3;
  /** Normalised image-plane bounding box (undistorted). */
  box: [number, number, number, number];
  label?: Label;
  glare?: { phi: number; width: number; amp: number };
}

interface Label {
  text: string;
  version: number;
  /** Error-correction level (QR). */
  ec: string;
  /** Row-major, 1 = ink; `cols` across the bottle, `rows` along its axis. */
  matrix: Uint8Array;
  cols: number;
  rows: number;
  /** Code centre: angle relative to the camera direction, and height (world Y, mm). */
  phi: number;
  yc: number;
  moduleMm: number;
  paper: Vec3;
  /** Paper extent in mm beyond the code, left/right and above/below. */
  padX: number;
  padTop: number;
  padBottom: number;
}

const CAST: Vec3[] = [
  [1, 1, 1],
  [1.1, 1.0, 0.78],
  [0.84, 0.96, 1.12],
  [0.92, 1.06, 0.86],
  [1.08, 0.9, 1.0],
];

const BODY: Vec3[] = [
  [138, 75, 18],
  [201, 211, 214],
  [47, 93, 158],
  [61, 122, 69],
  [107, 47, 26],
  [216, 194, 122],
  [154, 165, 173],
  [230, 230, 225],
  [40, 40, 44],
];

async function qrMatrix(
  text: string,
  version: number,
  ecLevel: string,
): Promise<{ m: Uint8Array; cols: number; rows: number }> {
  await ensureZxing();
  const res = await writeBarcode(text, {
    format: "QRCode",
    options: `version=${version},ecLevel=${ecLevel}`,
    scale: 1,
    addQuietZones: false,
  });
  if (res.error) throw new Error(`QR encode failed for ${text}: ${res.error}`);
  const { data, width } = res.symbol;
  const m = new Uint8Array(width * width);
  for (let i = 0; i < m.length; i++) m[i] = data[i] === 0 ? 1 : 0;
  return { m, cols: width, rows: width };
}

/**
 * Data Matrix sizes as L.I.L.O. prints them (shared/labels: squares on bottles, rectangles along a
 * vial's axis), columns x rows as the symbol is encoded.
 */
const DM_SQUARES: [number, number][] = [
  [16, 16],
  [18, 18],
];
const DM_RECTANGLES: [number, number][] = [
  [26, 12],
  [36, 12],
  [36, 16],
];

/**
 * A Data Matrix symbol, as printed on the bottle: `turn` 1 or -1 turns it a quarter clockwise or
 * anticlockwise, so a rectangle's long side runs along the axis; 0 leaves it as encoded.
 */
export function dataMatrix(
  text: string,
  [width, height]: [number, number],
  turn: number,
): { m: Uint8Array; cols: number; rows: number } {
  const hints = new Map<zxing.EncodeHintType, unknown>();
  // The writer only calls getWidth/getHeight on its size hints.
  const size = { getWidth: () => width, getHeight: () => height };
  hints.set(zxing.EncodeHintType.MIN_SIZE, size);
  hints.set(zxing.EncodeHintType.MAX_SIZE, size);
  hints.set(
    zxing.EncodeHintType.DATA_MATRIX_SHAPE,
    width === height
      ? zxing.DataMatrixSymbolShapeHint.FORCE_SQUARE
      : zxing.DataMatrixSymbolShapeHint.FORCE_RECTANGLE,
  );
  const bits = new zxing.DataMatrixWriter().encode(text, zxing.BarcodeFormat.DATA_MATRIX, 0, 0, hints);
  if (bits.getWidth() !== width || bits.getHeight() !== height)
    throw new Error(`Data Matrix ${width}x${height} cannot hold ${text}`);
  const cols = turn ? height : width;
  const rows = turn ? width : height;
  const m = new Uint8Array(cols * rows);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      // Clockwise, label (i, j) shows symbol (j, height - 1 - i); anticlockwise (width - 1 - j, i).
      const [x, y] = turn > 0 ? [j, height - 1 - i] : turn < 0 ? [width - 1 - j, i] : [i, j];
      m[j * cols + i] = bits.get(x, y) ? 1 : 0;
    }
  }
  return { m, cols, rows };
}

function wrapAngle(a: number): number {
  while (a > Math.PI) a -= 2 * Math.PI;
  while (a < -Math.PI) a += 2 * Math.PI;
  return a;
}

class Camera {
  readonly right: Vec3 = [1, 0, 0];
  readonly up: Vec3;
  readonly fwd: Vec3;
  constructor(
    readonly f: number,
    readonly cx: number,
    readonly cy: number,
    pitchRad: number,
    readonly k: number,
  ) {
    this.up = [0, Math.cos(pitchRad), Math.sin(pitchRad)];
    this.fwd = [0, -Math.sin(pitchRad), Math.cos(pitchRad)];
  }
  /** Undistorted normalised image-plane coordinates of an output pixel. */
  undistort(u: number, v: number): [number, number] {
    const xd = (u - this.cx) / this.f;
    const yd = (v - this.cy) / this.f;
    const s = 1 + this.k * (xd * xd + yd * yd);
    return [xd * s, yd * s];
  }
  ray(xu: number, yu: number): Vec3 {
    const { up, fwd } = this;
    return [xu, -yu * up[1] + fwd[1], -yu * up[2] + fwd[2]];
  }
  /** World point to undistorted normalised coordinates (null behind the camera). */
  toPlane(p: Vec3): [number, number] | null {
    const z = p[1] * this.fwd[1] + p[2] * this.fwd[2];
    if (z <= 1) return null;
    return [p[0] / z, -(p[1] * this.up[1] + p[2] * this.up[2]) / z];
  }
  /** World point to output pixel, through the barrel distortion. */
  project(p: Vec3): [number, number] | null {
    const q = this.toPlane(p);
    if (!q) return null;
    let [xd, yd] = q;
    for (let i = 0; i < 8; i++) {
      const s = 1 + this.k * (xd * xd + yd * yd);
      xd = q[0] / s;
      yd = q[1] / s;
    }
    return [xd * this.f + this.cx, yd * this.f + this.cy];
  }
}

/** Nearest hit of a ray from the origin on a cylinder's side or top cap; t or Infinity. */
function hitCylinder(c: Cylinder, d: Vec3): { t: number; cap: boolean } {
  const a = d[0] * d[0] + d[2] * d[2];
  const b = -2 * (d[0] * c.x + d[2] * c.z);
  const cc = c.x * c.x + c.z * c.z - c.r * c.r;
  const disc = b * b - 4 * a * cc;
  let best = Number.POSITIVE_INFINITY;
  let cap = false;
  if (disc >= 0) {
    const t = (-b - Math.sqrt(disc)) / (2 * a);
    const y = d[1] * t;
    if (t > 0 && y >= c.y0 && y <= c.y1) best = t;
  }
  if (d[1] !== 0) {
    const t = c.y1 / d[1];
    if (t > 0 && t < best) {
      const x = d[0] * t - c.x;
      const z = d[2] * t - c.z;
      if (x * x + z * z <= c.r * c.r) {
        best = t;
        cap = true;
      }
    }
  }
  return { t: best, cap };
}

const LIGHT: Vec3 = (() => {
  const v: Vec3 = [-0.35, 0.55, -0.75];
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
})();

/** Surface colour of a cylinder hit (before cast, noise and blur). */
function shadeHit(c: Cylinder, d: Vec3, t: number, cap: boolean, out: Vec3): void {
  const x = d[0] * t;
  const y = d[1] * t;
  const z = d[2] * t;
  if (cap) {
    out[0] = c.cap[0];
    out[1] = c.cap[1];
    out[2] = c.cap[2];
    return;
  }
  const nx = (x - c.x) / c.r;
  const nz = (z - c.z) / c.r;
  const diffuse = Math.max(0, nx * LIGHT[0] + nz * LIGHT[2]) * 0.9 + 0.1;
  const light = 0.45 + 0.6 * diffuse;
  const phi = wrapAngle(Math.atan2(-c.x, -c.z) - Math.atan2(x - c.x, z - c.z));
  let base: Vec3 = c.body;
  const L = c.label;
  if (L) {
    const s = c.r * (phi - L.phi);
    const tt = L.yc - y;
    const halfW = (L.cols * L.moduleMm) / 2;
    const halfH = (L.rows * L.moduleMm) / 2;
    if (Math.abs(s) < halfW + L.padX && tt > -halfH - L.padTop && tt < halfH + L.padBottom) {
      base = L.paper;
      if (Math.abs(s) < halfW && Math.abs(tt) < halfH) {
        const i = Math.floor((s + halfW) / L.moduleMm);
        const j = Math.floor((tt + halfH) / L.moduleMm);
        if (L.matrix[j * L.cols + i]) base = INK;
      } else if (
        tt > halfH + L.padBottom * 0.3 &&
        tt < halfH + L.padBottom * 0.5 &&
        Math.abs(s) < halfW * 0.8
      ) {
        base = TEXT;
      }
    }
  }
  let spec = 0;
  if (c.glare) {
    const g = (phi - c.glare.phi) / c.glare.width;
    spec = c.glare.amp * Math.exp(-g * g) * 255;
  }
  out[0] = base[0] * light + spec;
  out[1] = base[1] * light + spec;
  out[2] = base[2] * light + spec;
}

const INK: Vec3 = [24, 24, 26];
const TEXT: Vec3 = [90, 90, 90];

/** Renders one shelf scene; deterministic for a seed. */
export async function renderCurvedShelf(opts: CurvedSceneOptions): Promise<CurvedShot> {
  const W = opts.width ?? 1920;
  const H = opts.height ?? 1080;
  const fx = opts.fixed ?? {};
  const rng = createRng(opts.seed);
  const between = (lo: number, hi: number) => lo + (hi - lo) * rng();
  const pitchDeg = fx.pitchDeg ?? between(10, 25);
  const f = W * between(0.72, 0.85);
  const cam = new Camera(f, W / 2, H / 2, (pitchDeg * Math.PI) / 180, fx.barrel ?? between(0.02, 0.09));

  const cylinders: Cylinder[] = [];
  const count = opts.bottles ?? 5 + Math.floor(rng() * 4);
  const rows = count <= 3 ? 1 : 2;
  const perRow = Math.ceil(count / rows);
  const cellW = W / perRow;
  const cellH = H / rows;
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / perRow);
    const col = i % perRow;
    const u = cellW * (col + 0.5) + (rng() - 0.5) * cellW * 0.2;
    const v = cellH * (row + 0.5) + (rng() - 0.5) * cellH * 0.25;
    const qr = opts.symbology !== "datamatrix";
    const version = qr ? (rng() < 0.5 ? 1 : 2) : 0;
    const ec = !qr ? "" : version === 1 ? (rng() < 0.5 ? "M" : "Q") : rng() < 0.5 ? "H" : "M";
    const p = fx.modulePx ?? between(1.8, 6.5);
    let radius = fx.radiusMm ?? between(15, 60);
    const dmSize = qr
      ? undefined
      : radius >= 30
        ? DM_SQUARES[Math.floor(rng() * DM_SQUARES.length)]!
        : DM_RECTANGLES[Math.floor(rng() * DM_RECTANGLES.length)]!;
    // Modules across the bottle: a rectangle stands with its short side across.
    const n = dmSize ? Math.min(...dmSize) : version === 1 ? 21 : 25;
    const turn = dmSize && dmSize[0] !== dmSize[1] ? (rng() < 0.5 ? 1 : -1) : 0;
    let half = fx.halfAngle ?? between(0.25, 0.85);
    let codeMm = Math.min(45, Math.max(10, 2 * half * radius));
    half = codeMm / (2 * radius);
    let dist = (f * (codeMm / n)) / p;
    // The bottle must fit its cell; a big bottle seen close is made slimmer.
    const maxR = (0.42 * cellW * dist) / f;
    if (radius > maxR) {
      radius = Math.max(maxR, codeMm / (2 * 0.85));
      half = codeMm / (2 * radius);
      if ((2 * radius * f) / dist > 0.95 * cellW) {
        codeMm = Math.max(8, (codeMm * 0.95 * cellW) / ((2 * radius * f) / dist));
        radius = Math.min(radius, Math.max(12, (0.42 * cellW * dist) / f));
        half = codeMm / (2 * radius);
        dist = (f * (codeMm / n)) / p;
      }
    }
    const [xu, yu] = cam.undistort(u, v);
    const d = cam.ray(xu, yu);
    const horiz = Math.hypot(d[0], d[2]);
    const t = dist / horiz;
    const front: Vec3 = [d[0] * t, d[1] * t, d[2] * t];
    const ax = front[0] + (d[0] / horiz) * radius;
    const az = front[2] + (d[2] / horiz) * radius;
    const yc = front[1];
    const yaw = fx.yaw ?? (rng() - 0.5) * 0.7;
    const text = `LILO:C:${String(Math.floor(rng() * 1e6)).padStart(6, "0")}`;
    const {
      m,
      cols,
      rows: symbolRows,
    } = dmSize ? dataMatrix(text, dmSize, turn) : await qrMatrix(text, version, ec);
    const moduleMm = codeMm / cols;
    // The code's extent along the axis: its width, but for a rectangle standing along the axis.
    const codeH = moduleMm * symbolRows;
    const glareOn = fx.glare ?? rng() < 0.45;
    const cyl: Cylinder = {
      x: ax,
      z: az,
      r: radius,
      y0: yc - codeH * between(1.4, 3),
      y1: yc + codeH * between(0.9, 1.6),
      body: BODY[Math.floor(rng() * BODY.length)]!,
      cap: BODY[Math.floor(rng() * BODY.length)]!,
      box: [0, 0, 0, 0],
      label: {
        text,
        version,
        ec,
        matrix: m,
        cols,
        rows: symbolRows,
        phi: yaw,
        yc,
        moduleMm,
        paper: [between(228, 250), between(228, 250), between(222, 245)],
        padX: Math.min(moduleMm * between(3, 8), Math.max(moduleMm * 2, radius * 2.6 - codeMm / 2)),
        padTop: moduleMm * between(3, 6),
        padBottom: moduleMm * between(6, 12),
      },
    };
    if (glareOn) {
      cyl.glare = {
        phi: yaw + (rng() - 0.5) * 2 * Math.min(0.9, half + 0.1),
        width: between(0.03, 0.12),
        amp: between(0.25, 0.6),
      };
    }
    cylinders.push(cyl);
    // A neighbour standing in front hides part of the code from one side.
    const occ = fx.occlusion ?? (rng() < 0.4 ? between(0, 0.17) : -1);
    if (occ >= 0) {
      const ro = between(15, Math.max(16, Math.min(45, radius * 1.2)));
      const zo = dist - ro - between(10, 60);
      if (zo > 0.55 * dist) {
        const side = rng() < 0.5 ? -1 : 1;
        const codeHalfPx = (f * radius * Math.sin(Math.min(half, 1.4))) / dist;
        const cu = u + (f * radius * Math.sin(yaw)) / dist;
        const edgeU = cu + side * codeHalfPx - side * occ * 2 * codeHalfPx;
        const centreU = edgeU + side * ((f * ro) / zo);
        const [xo] = cam.undistort(centreU, v);
        const dd = cam.ray(xo, yu);
        const to = zo / Math.hypot(dd[0], dd[2]);
        cylinders.push({
          x: dd[0] * to,
          z: dd[2] * to,
          r: ro,
          y0: yc - codeH * 4,
          y1: yc + codeH * between(0.6, 2.5),
          body: BODY[Math.floor(rng() * BODY.length)]!,
          cap: BODY[Math.floor(rng() * BODY.length)]!,
          box: [0, 0, 0, 0],
          glare:
            rng() < 0.5
              ? { phi: (rng() - 0.5) * 1.2, width: between(0.05, 0.15), amp: between(0.3, 0.7) }
              : undefined,
        });
      }
    }
  }
  for (const c of cylinders) {
    let x0 = Number.POSITIVE_INFINITY;
    let y0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    for (const px of [c.x - c.r, c.x + c.r])
      for (const py of [c.y0, c.y1])
        for (const pz of [c.z - c.r, c.z + c.r]) {
          const q = cam.toPlane([px, py, pz]);
          if (!q) continue;
          x0 = Math.min(x0, q[0]);
          x1 = Math.max(x1, q[0]);
          y0 = Math.min(y0, q[1]);
          y1 = Math.max(y1, q[1]);
        }
    c.box = [x0 - 0.01, y0 - 0.01, x1 + 0.01, y1 + 0.01];
  }

  // Render.
  const cast = CAST[Math.floor(rng() * CAST.length)]!;
  const noise = fx.noise ?? between(2, 6);
  const wall: Vec3 = [between(90, 170), between(80, 150), between(60, 140)];
  const boards = [0.52 + (rng() - 0.5) * 0.1, 0.985].map((b) => b * H);
  const img = new Uint8Array(W * H * 3);
  const col: Vec3 = [0, 0, 0];
  const acc: Vec3 = [0, 0, 0];
  const near: Cylinder[] = [];
  const SS = [
    [-0.25, -0.25],
    [0.25, -0.25],
    [-0.25, 0.25],
    [0.25, 0.25],
  ];
  const sample = (u: number, v: number): boolean => {
    const [xu, yu] = cam.undistort(u, v);
    near.length = 0;
    for (const c of cylinders)
      if (xu >= c.box[0] && xu <= c.box[2] && yu >= c.box[1] && yu <= c.box[3]) near.push(c);
    const d = cam.ray(xu, yu);
    let best = Number.POSITIVE_INFINITY;
    let hit: Cylinder | undefined;
    let cap = false;
    for (const c of near) {
      const h = hitCylinder(c, d);
      if (h.t < best) {
        best = h.t;
        hit = c;
        cap = h.cap;
      }
    }
    if (!hit) {
      const board = boards.some((b) => v > b - 0.03 * H && v < b);
      const k = board ? 1.2 : 0.7 + 0.3 * ((v % (H / 2)) / (H / 2));
      col[0] = wall[0] * k;
      col[1] = wall[1] * k;
      col[2] = wall[2] * k;
      return false;
    }
    shadeHit(hit, d, best, cap, col);
    return !!hit.label;
  };
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const labelled = sample(u + 0.5, v + 0.5);
      if (labelled) {
        acc[0] = acc[1] = acc[2] = 0;
        for (const [du, dv] of SS) {
          sample(u + 0.5 + du!, v + 0.5 + dv!);
          acc[0] += col[0];
          acc[1] += col[1];
          acc[2] += col[2];
        }
        col[0] = acc[0] / 4;
        col[1] = acc[1] / 4;
        col[2] = acc[2] / 4;
      }
      const o = (v * W + u) * 3;
      const nz = (rng() + rng() + rng() - 1.5) * 2 * noise;
      img[o] = Math.max(0, Math.min(255, col[0] * cast[0] + nz));
      img[o + 1] = Math.max(0, Math.min(255, col[1] * cast[1] + nz));
      img[o + 2] = Math.max(0, Math.min(255, col[2] * cast[2] + nz));
    }
  }
  const sigma = fx.blur ?? between(0.4, 1.3);
  const quality = fx.quality ?? Math.round(between(70, 90));
  let s = sharp(img, { raw: { width: W, height: H, channels: 3 } });
  if (sigma >= 0.3) s = s.blur(sigma);
  const jpeg = await s.jpeg({ quality }).toBuffer();

  // Ground truth.
  const codes: CurvedCode[] = [];
  for (const c of cylinders) {
    const L = c.label;
    if (!L) continue;
    const halfW = (L.cols * L.moduleMm) / 2;
    const halfH = (L.rows * L.moduleMm) / 2;
    const surf = (s: number, tt: number): Vec3 => {
      const phiAbs = Math.atan2(-c.x, -c.z) - (L.phi + s / c.r);
      return [c.x + c.r * Math.sin(phiAbs), L.yc - tt, c.z + c.r * Math.cos(phiAbs)];
    };
    const centre = cam.project(surf(0, 0))!;
    const right = cam.project(surf(L.moduleMm, 0))!;
    const down = cam.project(surf(0, L.moduleMm))!;
    const modulePx = Math.min(
      Math.hypot(right[0] - centre[0], right[1] - centre[1]),
      Math.hypot(down[0] - centre[0], down[1] - centre[1]),
    );
    // The narrowest module column along the code's middle row: towards the silhouette the surface
    // turns away and columns squeeze well below the centre's size.
    let minColumnPx = Number.POSITIVE_INFINITY;
    for (let i = 0; i < L.cols; i++) {
      const a = cam.project(surf(-halfW + i * L.moduleMm, 0));
      const b = cam.project(surf(-halfW + (i + 1) * L.moduleMm, 0));
      if (a && b) minColumnPx = Math.min(minColumnPx, Math.hypot(b[0] - a[0], b[1] - a[1]));
    }
    // Sag of the top row's centre line against the chord between its end modules.
    const top = -halfH + L.moduleMm / 2;
    const pts: [number, number][] = [];
    for (let i = 0; i < L.cols; i++) {
      const q = cam.project(surf(-halfW + (i + 0.5) * L.moduleMm, top));
      if (q) pts.push(q);
    }
    let sag = 0;
    if (pts.length === L.cols) {
      const [a, b] = [pts[0]!, pts[L.cols - 1]!];
      const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
      for (const q of pts) {
        const dist = Math.abs((b[0] - a[0]) * (a[1] - q[1]) - (a[0] - q[0]) * (b[1] - a[1])) / len;
        sag = Math.max(sag, dist);
      }
    }
    let hidden = 0;
    const hiddenAt = new Uint8Array(L.cols * L.rows);
    for (let j = 0; j < L.rows; j++) {
      for (let i = 0; i < L.cols; i++) {
        const p = surf(-halfW + (i + 0.5) * L.moduleMm, -halfH + (j + 0.5) * L.moduleMm);
        const q = cam.project(p);
        const nx = p[0] - c.x;
        const nz = p[2] - c.z;
        const facing = -(nx * p[0] + nz * p[2]) > 0.05 * c.r * Math.hypot(p[0], p[2]);
        let blocked = !facing || !q || q[0] < 0 || q[1] < 0 || q[0] >= W || q[1] >= H;
        if (!blocked) {
          const len = Math.hypot(...p);
          const d: Vec3 = [p[0] / len, p[1] / len, p[2] / len];
          for (const o of cylinders) {
            if (o === c) continue;
            if (hitCylinder(o, d).t < len - 0.5) {
              blocked = true;
              break;
            }
          }
        }
        if (blocked) {
          hidden++;
          hiddenAt[j * L.cols + i] = 1;
        }
      }
    }
    const occlusion = hidden / (L.cols * L.rows);
    const qr = L.version > 0;
    const hiddenCodewords = qr
      ? codewordLayout(L.version).filter((cw) => cw.some((k) => hiddenAt[k])).length
      : 0;
    let glare = false;
    if (c.glare && c.glare.amp > 0.2) {
      const halfAngle = halfW / c.r;
      glare = Math.abs(c.glare.phi - L.phi) < halfAngle + c.glare.width;
    }
    codes.push({
      text: L.text,
      symbology: qr ? "qr" : "datamatrix",
      version: L.version,
      size: `${L.cols}x${L.rows}`,
      bendModules: modulePx > 0 ? sag / modulePx : 0,
      modulePx,
      minColumnPx,
      glare,
      occlusion,
      readable: modulePx >= 2 && occlusion <= 0.1,
      blurPx: sigma,
      hiddenCodewords,
      // The scene's versions and levels have one block each.
      correctable: qr
        ? zxing.QRCodeVersion.getVersionForNumber(L.version)
            .getECBlocksForLevel(zxing.QRCodeDecoderErrorCorrectionLevel.fromString(L.ec))
            .getECCodewordsPerBlock() >> 1
        : 0,
      center: centre,
      radiusMm: c.r,
      pitchDeg,
    });
  }
  return { jpeg, width: W, height: H, codes };
}
