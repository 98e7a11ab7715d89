// Renders one label code on a bottle as the cabinet camera sees it, for the symbology bench
// (bench/label-symbology.bench.ts). A pinhole camera (1920×1080, f = 1600 px, no lens distortion)
// pitched down at the shelf looks at one upright cylinder; the code is printed either on the
// cylinder's side (square codes as printed, long codes turned so their long side runs along the
// bottle's axis) or flat on the top of the cap. Only the crop round the label is ray-cast (2×2
// supersampled), then blurred, given sensor noise and a colour cast and JPEG-compressed: the decoder
// sees the label at the size and distortion it would have in a full shelf frame.
import sharp from "sharp";
import { createRng } from "../appliance/sim/rng.js";
import type { SymbolMatrix } from "../shared/labels/symbology.js";

type Vec3 = [number, number, number];

export const FRAME = { width: 1920, height: 1080, focalPx: 1600 } as const;

export type Placement = "side" | "axis" | "cap";

export interface LabelSpec {
  matrix: SymbolMatrix;
  placement: Placement;
  /** Module edge on the printed label, mm. */
  moduleMm: number;
  /** Bottle radius (side, axis) in mm. */
  radiusMm: number;
  /** Cap radius in mm (cap placement). */
  capRadiusMm: number;
}

/** Everything random about one shot; drawn from a seed so every symbology sees the same scenes. */
export interface ShotParams {
  /** Horizontal distance from the camera to the code's centre, mm. */
  distanceMm: number;
  pitchDeg: number;
  /** Where the code's centre lands in the full frame, pixels. */
  u: number;
  v: number;
  /** Azimuth of the label centre away from the line of sight (side/axis), degrees. */
  yawDeg: number;
  /** Quarter turns of the printed symbol (long codes: odd → 90°, even → 270°, both along the axis). */
  quarter: number;
  /** A slightly crooked label, degrees. */
  skewDeg: number;
  /** Free in-plane rotation of a code on the cap, degrees. */
  capAngleDeg: number;
  blurSigma: number;
  noiseSigma: number;
  jpegQuality: number;
  glare: { amp: number; pos: number; width: number } | null;
  ink: number;
  paper: number;
  cast: Vec3;
  body: Vec3;
  wall: Vec3;
}

export interface Shot {
  jpeg: Buffer;
  width: number;
  height: number;
  /** Smaller projected module edge at the code's centre, pixels. */
  modulePx: number;
  /** Angle of the line of sight below the horizon at the code, degrees. */
  elevationDeg: number;
}

const CASTS: Vec3[] = [
  [1, 1, 1],
  [1.08, 1.0, 0.82],
  [0.86, 0.97, 1.1],
  [0.94, 1.05, 0.88],
];
const BODIES: Vec3[] = [
  [138, 75, 18],
  [201, 211, 214],
  [47, 93, 158],
  [230, 230, 225],
  [61, 122, 69],
  [40, 40, 44],
];

export const SCENE_RANGES = {
  distanceMm: [400, 600],
  pitchDeg: [10, 25],
  frameU: [0.1, 0.9],
  frameV: [0.15, 0.85],
  yawDeg: [-30, 30],
  skewDeg: [-4, 4],
  blurSigma: [0.5, 1.2],
  noiseSigma: [2, 5],
  jpegQuality: [75, 90],
  glareChance: 0.4,
  glareAmp: [0.15, 0.45],
} as const;

export function drawShot(seed: number): ShotParams {
  const rng = createRng(seed);
  const R = SCENE_RANGES;
  const between = (r: readonly [number, number]) => r[0] + (r[1] - r[0]) * rng();
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)]!;
  const quarter = Math.floor(rng() * 4);
  const p: ShotParams = {
    distanceMm: between(R.distanceMm),
    pitchDeg: between(R.pitchDeg),
    u: FRAME.width * between(R.frameU),
    v: FRAME.height * between(R.frameV),
    yawDeg: between(R.yawDeg),
    quarter,
    skewDeg: between(R.skewDeg),
    capAngleDeg: 360 * rng(),
    blurSigma: between(R.blurSigma),
    noiseSigma: between(R.noiseSigma),
    jpegQuality: Math.round(between(R.jpegQuality)),
    glare: null,
    ink: 15 + 30 * rng(),
    paper: 215 + 35 * rng(),
    cast: pick(CASTS),
    body: pick(BODIES),
    wall: [90 + 80 * rng(), 80 + 70 * rng(), 60 + 80 * rng()],
  };
  if (rng() < R.glareChance)
    p.glare = { amp: between(R.glareAmp), pos: rng() * 2 - 1, width: 0.05 + 0.1 * rng() };
  return p;
}

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

const LIGHT: Vec3 = (() => {
  const v: Vec3 = [-0.35, 0.55, -0.75];
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
})();

export async function renderShot(spec: LabelSpec, p: ShotParams): Promise<Shot> {
  const f = FRAME.focalPx;
  const cx = FRAME.width / 2;
  const cy = FRAME.height / 2;
  const pitch = (p.pitchDeg * Math.PI) / 180;
  const up: Vec3 = [0, Math.cos(pitch), Math.sin(pitch)];
  const fwd: Vec3 = [0, -Math.sin(pitch), Math.cos(pitch)];
  const ray = (u: number, v: number): Vec3 => {
    const x = (u - cx) / f;
    const y = (v - cy) / f;
    return [x, -y * up[1] + fwd[1], -y * up[2] + fwd[2]];
  };
  const project = (q: Vec3): [number, number] => {
    const z = dot(q, fwd);
    return [(q[0] / z) * f + cx, (-dot(q, up) / z) * f + cy];
  };

  // The code's centre P: on the ray through (u, v), at the drawn horizontal distance.
  const d0 = ray(p.u, p.v);
  const h0 = Math.hypot(d0[0], d0[2]);
  const t0 = p.distanceMm / h0;
  const P: Vec3 = [d0[0] * t0, d0[1] * t0, d0[2] * t0];
  const elevationDeg = (Math.atan2(-d0[1], h0) * 180) / Math.PI;

  const { matrix: M, placement, moduleMm } = spec;
  const longAlongAxis = placement === "axis";
  // Label-plane size of the symbol incl. quiet zone; label (s, t): s across (to the right), t down.
  const qz = M.quietZone;
  const symW = (M.cols + 2 * qz) * moduleMm;
  const symH = (M.rows + 2 * qz) * moduleMm;
  const rotDeg =
    placement === "cap"
      ? p.capAngleDeg
      : longAlongAxis
        ? (p.quarter % 2 ? 90 : 270) + p.skewDeg
        : p.quarter * 90 + p.skewDeg;
  const rot = (rotDeg * Math.PI) / 180;
  const cosR = Math.cos(rot);
  const sinR = Math.sin(rot);
  const footW = longAlongAxis ? symH : symW; // extent across the bottle (or on the cap)
  const footH = longAlongAxis ? symW : symH; // extent along the axis
  const paperPad = 2; // mm of label paper beyond the quiet zone

  /** Symbol lookup at label coordinates: 2 = paper/quiet zone, 1 = ink, 0 = outside the paper. */
  const sample = (s: number, t: number, paperHalfW: number, paperHalfH: number, round: number): number => {
    if (round > 0) {
      if (s * s + t * t > round * round) return 0;
    } else if (Math.abs(s) > paperHalfW || Math.abs(t) > paperHalfH) return 0;
    // Into symbol coordinates (x along its columns, y along its rows).
    const x = s * cosR + t * sinR + symW / 2;
    const y = -s * sinR + t * cosR + symH / 2;
    const i = Math.floor(x / moduleMm) - qz;
    const j = Math.floor(y / moduleMm) - qz;
    if (i < 0 || j < 0 || i >= M.cols || j >= M.rows) return 2;
    return M.modules[j * M.cols + i] ? 1 : 2;
  };

  const glare = p.glare;
  let shade: (d: Vec3, out: Vec3) => void;
  let modulePx: number;
  let corners: Vec3[];
  if (placement === "cap") {
    const rc = spec.capRadiusMm;
    const capH = 14;
    const C = P; // the cap's top centre
    const eS: Vec3 = [1, 0, 0];
    // s to the right, t towards the camera across the cap top.
    const horiz: Vec3 = [d0[0] / h0, 0, d0[2] / h0];
    const eT: Vec3 = [-horiz[0], 0, -horiz[2]];
    const side = (x: number, z: number, out: Vec3, k: number) => {
      const nx = (x - C[0]) / rc;
      const nz = (z - C[2]) / rc;
      const light = 0.3 + 0.5 * Math.max(0, nx * LIGHT[0] + nz * LIGHT[2]) * k;
      out[0] = p.body[0] * light;
      out[1] = p.body[1] * light;
      out[2] = p.body[2] * light;
    };
    shade = (d, out) => {
      if (d[1] < 0) {
        const t = C[1] / d[1];
        const x = d[0] * t - C[0];
        const z = d[2] * t - C[2];
        if (x * x + z * z <= rc * rc) {
          const s = x * eS[0] + z * eS[2];
          const tt = x * eT[0] + z * eT[2];
          const k = sample(s, tt, 0, 0, 0.95 * rc);
          const base = k === 1 ? p.ink : k === 2 ? p.paper : p.body[1] * 0.7;
          const light = 0.82 + 0.18 * LIGHT[1];
          let spec = 0;
          if (glare) {
            const gs = s - glare.pos * rc * 0.6;
            const gt = tt + rc * 0.2;
            spec = glare.amp * 255 * Math.exp(-(gs * gs + gt * gt) / (2 * (glare.width * 3 * rc) ** 2));
          }
          out[0] = out[1] = out[2] = base * light + spec;
          if (k === 0) {
            out[0] = p.body[0] * 0.7 * light;
            out[2] = p.body[2] * 0.7 * light;
          }
          return;
        }
      }
      // The cap's side, below its top.
      const a = d[0] * d[0] + d[2] * d[2];
      const b = -2 * (d[0] * C[0] + d[2] * C[2]);
      const c = C[0] * C[0] + C[2] * C[2] - rc * rc;
      const disc = b * b - 4 * a * c;
      if (disc >= 0) {
        const t = (-b - Math.sqrt(disc)) / (2 * a);
        const y = d[1] * t;
        if (y <= C[1] && y >= C[1] - capH) {
          side(d[0] * t, d[2] * t, out, 1);
          return;
        }
      }
      out[0] = p.wall[0];
      out[1] = p.wall[1];
      out[2] = p.wall[2];
    };
    const at = (s: number, t: number): Vec3 => [
      C[0] + s * eS[0] + t * eT[0],
      C[1],
      C[2] + s * eS[2] + t * eT[2],
    ];
    const c0 = project(at(0, 0));
    const c1 = project(at(moduleMm, 0));
    const c2 = project(at(0, moduleMm));
    modulePx = Math.min(Math.hypot(c1[0] - c0[0], c1[1] - c0[1]), Math.hypot(c2[0] - c0[0], c2[1] - c0[1]));
    corners = [];
    for (let k = 0; k < 16; k++) {
      const a = (k / 16) * 2 * Math.PI;
      corners.push(at(rc * Math.cos(a), rc * Math.sin(a)));
      const q = at(rc * Math.cos(a), rc * Math.sin(a));
      corners.push([q[0], q[1] - capH, q[2]]);
    }
  } else {
    const r = spec.radiusMm;
    // Label centre normal: towards the camera, turned by the yaw about the vertical.
    const yaw = (p.yawDeg * Math.PI) / 180;
    const tx = -P[0] / Math.hypot(P[0], P[2]);
    const tz = -P[2] / Math.hypot(P[0], P[2]);
    const n: Vec3 = [tx * Math.cos(yaw) - tz * Math.sin(yaw), 0, tx * Math.sin(yaw) + tz * Math.cos(yaw)];
    const e: Vec3 = [-n[2], 0, n[0]]; // n × ŷ: to the right as seen from the camera
    const ax = P[0] - n[0] * r;
    const az = P[2] - n[2] * r;
    const halfW = footW / 2 + paperPad;
    const halfH = footH / 2 + paperPad;
    const y0 = P[1] - halfH - 25;
    const y1 = P[1] + halfH + 25;
    shade = (d, out) => {
      const a = d[0] * d[0] + d[2] * d[2];
      const b = -2 * (d[0] * ax + d[2] * az);
      const c = ax * ax + az * az - r * r;
      const disc = b * b - 4 * a * c;
      if (disc >= 0) {
        const t = (-b - Math.sqrt(disc)) / (2 * a);
        const y = d[1] * t;
        if (t > 0 && y >= y0 && y <= y1) {
          const qx = d[0] * t - ax;
          const qz = d[2] * t - az;
          const theta = Math.atan2(qx * e[0] + qz * e[2], qx * n[0] + qz * n[2]);
          const s = r * theta;
          const tt = P[1] - y;
          const k = sample(s, tt, halfW, halfH, 0);
          const nx = qx / r;
          const nz = qz / r;
          const light = 0.55 + 0.45 * Math.max(0, nx * LIGHT[0] + nz * LIGHT[2]);
          let spec = 0;
          if (glare) {
            const g = (theta - glare.pos * 0.6) / glare.width;
            spec = glare.amp * 255 * Math.exp(-g * g);
          }
          if (k === 0) {
            out[0] = p.body[0] * light + spec;
            out[1] = p.body[1] * light + spec;
            out[2] = p.body[2] * light + spec;
          } else {
            const base = k === 1 ? p.ink : p.paper;
            out[0] = out[1] = out[2] = base * light + spec;
          }
          return;
        }
      }
      out[0] = p.wall[0];
      out[1] = p.wall[1];
      out[2] = p.wall[2];
    };
    const at = (s: number, t: number): Vec3 => {
      const th = s / r;
      return [
        ax + r * (Math.cos(th) * n[0] + Math.sin(th) * e[0]),
        P[1] - t,
        az + r * (Math.cos(th) * n[2] + Math.sin(th) * e[2]),
      ];
    };
    const c0 = project(at(0, 0));
    const c1 = project(at(moduleMm, 0));
    const c2 = project(at(0, moduleMm));
    modulePx = Math.min(Math.hypot(c1[0] - c0[0], c1[1] - c0[1]), Math.hypot(c2[0] - c0[0], c2[1] - c0[1]));
    corners = [];
    const sMax = Math.min(halfW, r * (Math.PI / 2));
    for (const t of [-halfH, 0, halfH]) for (let k = -8; k <= 8; k++) corners.push(at((k / 8) * sMax, t));
  }

  // Crop: the projected label plus a margin, clipped to the frame.
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const q of corners) {
    const [u, v] = project(q);
    x0 = Math.min(x0, u);
    x1 = Math.max(x1, u);
    y0 = Math.min(y0, v);
    y1 = Math.max(y1, v);
  }
  const margin = 24;
  const left = Math.max(0, Math.floor(x0 - margin));
  const top = Math.max(0, Math.floor(y0 - margin));
  const W = Math.max(48, Math.min(FRAME.width - left, Math.ceil(x1 + margin) - left));
  const H = Math.max(48, Math.min(FRAME.height - top, Math.ceil(y1 + margin) - top));

  const img = new Uint8Array(W * H * 3);
  const col: Vec3 = [0, 0, 0];
  const SS = [
    [0.25, 0.25],
    [0.75, 0.25],
    [0.25, 0.75],
    [0.75, 0.75],
  ] as const;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [du, dv] of SS) {
        shade(ray(left + x + du, top + y + dv), col);
        r += col[0];
        g += col[1];
        b += col[2];
      }
      const o = (y * W + x) * 3;
      img[o] = Math.min(255, (r / 4) * p.cast[0]);
      img[o + 1] = Math.min(255, (g / 4) * p.cast[1]);
      img[o + 2] = Math.min(255, (b / 4) * p.cast[2]);
    }
  }
  const blurred = await sharp(img, { raw: { width: W, height: H, channels: 3 } })
    .blur(Math.max(0.3, p.blurSigma))
    .raw()
    .toBuffer();
  const rng = createRng(Math.floor(p.u * 7919 + p.v * 104729) >>> 0);
  for (let i = 0; i < blurred.length; i += 3) {
    const common = (rng() + rng() + rng() - 1.5) * 2 * p.noiseSigma;
    for (let c = 0; c < 3; c++) {
      const v = blurred[i + c]! + common + (rng() - 0.5) * p.noiseSigma;
      blurred[i + c] = Math.max(0, Math.min(255, v));
    }
  }
  const jpeg = await sharp(blurred, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: p.jpegQuality })
    .toBuffer();
  return { jpeg, width: W, height: H, modulePx, elevationDeg };
}
