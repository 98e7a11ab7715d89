// A second, independent way of drawing shelves, spills and broken glass, used only to evaluate the
// spill detector on images its training never resembled: rasterised here pixel by pixel (no SVG, no
// code of the simulator's renderer), seen from higher up (the board fills most of the frame), on
// other boards (perforated steel, tiles, epoxy, melamine, plywood), with other liquids (metaball
// puddles, splashes), other breakage (fracture fans of fragments), other clutter and other cameras.
import sharp from "sharp";
import { createRng } from "../../sim/rng.js";

export type AltKind = "clean" | "spill" | "breakage";

export interface AltShot {
  jpeg: Buffer;
  kind: AltKind;
}

type Rgb = [number, number, number];

class Canvas {
  readonly px: Float32Array;

  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.px = new Float32Array(w * h * 3);
  }

  blend(i: number, c: Rgb, a: number): void {
    const o = i * 3;
    this.px[o] = this.px[o]! * (1 - a) + c[0] * a;
    this.px[o + 1] = this.px[o + 1]! * (1 - a) + c[1] * a;
    this.px[o + 2] = this.px[o + 2]! * (1 - a) + c[2] * a;
  }

  /** Even-odd scanline fill of a polygon. */
  poly(pts: [number, number][], c: Rgb, a: number): void {
    const ys = pts.map((p) => p[1]);
    const y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const y1 = Math.min(this.h - 1, Math.ceil(Math.max(...ys)));
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      const xs: number[] = [];
      for (let i = 0; i < pts.length; i++) {
        const [ax, ay] = pts[i]!;
        const [bx, by] = pts[(i + 1) % pts.length]!;
        if (ay <= cy !== by <= cy) xs.push(ax + ((cy - ay) / (by - ay)) * (bx - ax));
      }
      xs.sort((p, q) => p - q);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.round(xs[k]!));
        const to = Math.min(this.w - 1, Math.round(xs[k + 1]!) - 1);
        for (let x = from; x <= to; x++) this.blend(y * this.w + x, c, a);
      }
    }
  }

  ellipse(cx: number, cy: number, rx: number, ry: number, c: Rgb, a: number): void {
    const pts: [number, number][] = [];
    for (let i = 0; i < 32; i++) {
      const t = (i / 32) * Math.PI * 2;
      pts.push([cx + Math.cos(t) * rx, cy + Math.sin(t) * ry]);
    }
    this.poly(pts, c, a);
  }

  line(x0: number, y0: number, x1: number, y1: number, width: number, c: Rgb, a: number): void {
    const len = Math.hypot(x1 - x0, y1 - y0) || 1;
    const nx = (-(y1 - y0) / len) * (width / 2);
    const ny = ((x1 - x0) / len) * (width / 2);
    this.poly(
      [
        [x0 + nx, y0 + ny],
        [x1 + nx, y1 + ny],
        [x1 - nx, y1 - ny],
        [x0 - nx, y0 - ny],
      ],
      c,
      a,
    );
  }
}

const BOARDS = ["perforated", "tiles", "epoxy", "melamine", "plywood"] as const;

function board(cv: Canvas, rng: () => number, wallH: number): void {
  const kind = BOARDS[Math.floor(rng() * BOARDS.length)]!;
  const base: Rgb =
    kind === "perforated"
      ? [120 + rng() * 60, 125 + rng() * 60, 130 + rng() * 60]
      : kind === "tiles" || kind === "melamine"
        ? [200 + rng() * 45, 200 + rng() * 45, 195 + rng() * 45]
        : kind === "epoxy"
          ? [25 + rng() * 35, 30 + rng() * 35, 30 + rng() * 30]
          : [170 + rng() * 40, 130 + rng() * 30, 85 + rng() * 30];
  const wall: Rgb = [base[0] * 0.6, base[1] * 0.6, base[2] * 0.6];
  const pitch = 10 + rng() * 14;
  const freq = 0.02 + rng() * 0.05;
  for (let y = 0; y < cv.h; y++) {
    for (let x = 0; x < cv.w; x++) {
      const o = (y * cv.w + x) * 3;
      let c: Rgb = y < wallH ? wall : base;
      let k = 1;
      if (y >= wallH) {
        if (
          kind === "perforated" &&
          (x % pitch) - pitch / 2 < 2.5 &&
          Math.abs((y % pitch) - pitch / 2) < 2.5 &&
          (x % pitch) - pitch / 2 > -2.5
        )
          c = [20, 20, 22];
        else if (kind === "tiles" && (x % 80 < 2 || (y - wallH) % 80 < 2)) k = 0.7;
        else if (kind === "plywood") k = 1 + 0.07 * Math.sin(x * freq + Math.sin(y * 0.013) * 3);
        else if (kind === "melamine") k = 1 + 0.02 * Math.sin(x * 0.31 + y * 0.17);
      }
      cv.px[o] = c[0] * k;
      cv.px[o + 1] = c[1] * k;
      cv.px[o + 2] = c[2] * k;
    }
  }
  // The board's front edge, a lip a few pixels high.
  const lip: Rgb = [base[0] * 1.1, base[1] * 1.1, base[2] * 1.1];
  cv.poly(
    [
      [0, wallH - 4],
      [cv.w, wallH - 4],
      [cv.w, wallH + 2],
      [0, wallH + 2],
    ],
    lip,
    0.9,
  );
}

function container(cv: Canvas, rng: () => number, cx: number, bottom: number, s: number): void {
  const clear = rng() < 0.3;
  const c: Rgb = clear ? [210, 225, 230] : [rng() * 255, rng() * 255, rng() * 255];
  const a = clear ? 0.35 : 0.95;
  const bw = s * (0.5 + rng() * 0.4);
  const bh = s * (0.9 + rng() * 0.8);
  for (let i = 0; i < 6; i++) {
    // Vertical strips darker toward the sides: a round body.
    const f = 0.55 + 0.45 * Math.sin(((i + 0.5) / 6) * Math.PI);
    const x0 = cx - bw / 2 + (bw * i) / 6;
    cv.poly(
      [
        [x0, bottom - bh],
        [x0 + bw / 6 + 0.5, bottom - bh],
        [x0 + bw / 6 + 0.5, bottom],
        [x0, bottom],
      ],
      [c[0] * f, c[1] * f, c[2] * f],
      a,
    );
  }
  cv.ellipse(cx, bottom - bh, bw / 2, bw * 0.12, [c[0] * 0.8, c[1] * 0.8, c[2] * 0.8], a);
  cv.poly(
    [
      [cx - bw * 0.2, bottom - bh - bw * 0.35],
      [cx + bw * 0.2, bottom - bh - bw * 0.35],
      [cx + bw * 0.2, bottom - bh],
      [cx - bw * 0.2, bottom - bh],
    ],
    [rng() * 200, rng() * 200, rng() * 200],
    1,
  );
  // A plain label: coloured band and two dark lines.
  const ly = bottom - bh * (0.35 + rng() * 0.2);
  cv.poly(
    [
      [cx - bw * 0.4, ly - bh * 0.15],
      [cx + bw * 0.4, ly - bh * 0.15],
      [cx + bw * 0.4, ly + bh * 0.15],
      [cx - bw * 0.4, ly + bh * 0.15],
    ],
    [235, 235, 225],
    1,
  );
  cv.line(cx - bw * 0.3, ly - bh * 0.05, cx + bw * 0.25, ly - bh * 0.05, 2, [40, 40, 40], 0.8);
  cv.line(cx - bw * 0.3, ly + bh * 0.05, cx + bw * 0.1, ly + bh * 0.05, 2, [40, 40, 40], 0.8);
}

function puddle(cv: Canvas, rng: () => number, cx: number, cy: number, r: number): void {
  const c: Rgb = [rng() * 255, rng() * 255, rng() * 255];
  const a = 0.3 + rng() * 0.45;
  const balls = Array.from({ length: 3 + Math.floor(rng() * 6) }, () => ({
    x: cx + (rng() - 0.5) * r * 1.6,
    y: cy + (rng() - 0.5) * r * 0.6,
    s: r * (0.25 + rng() * 0.4),
  }));
  const squash = 0.4 + rng() * 0.4;
  const x0 = Math.max(0, Math.floor(cx - r * 2));
  const x1 = Math.min(cv.w - 1, Math.ceil(cx + r * 2));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(cv.h - 1, Math.ceil(cy + r));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let f = 0;
      for (const b of balls) f += (b.s * b.s) / ((x - b.x) ** 2 + ((y - b.y) / squash) ** 2 + 1);
      if (f < 1) continue;
      const edge = f < 1.25;
      cv.blend(
        y * cv.w + x,
        edge ? [c[0] * 0.6, c[1] * 0.6, c[2] * 0.6] : c,
        edge ? Math.min(1, a + 0.2) : a,
      );
    }
  }
  for (let i = 0; i < 4; i++)
    cv.ellipse(
      cx + (rng() - 0.5) * r,
      cy + (rng() - 0.5) * r * 0.3,
      1 + rng() * 3,
      1 + rng() * 2,
      [255, 255, 255],
      0.7,
    );
}

function splash(cv: Canvas, rng: () => number, cx: number, cy: number, r: number): void {
  const c: Rgb = [rng() * 255, rng() * 255, rng() * 255];
  const dir = rng() * Math.PI * 2;
  for (let i = 0; i < 25; i++) {
    const d = rng() * r;
    const t = dir + (rng() - 0.5) * 1.4;
    const s = (1 - d / r) * r * 0.25 + 1.5;
    cv.ellipse(cx + Math.cos(t) * d, cy + Math.sin(t) * d * 0.5, s, s * 0.6, c, 0.55);
  }
}

function fracture(cv: Canvas, rng: () => number, cx: number, cy: number, r: number): void {
  const tint: Rgb = rng() < 0.5 ? [225, 240, 245] : [150, 100, 40];
  const n = 10 + Math.floor(rng() * 20);
  for (let i = 0; i < n; i++) {
    const t = rng() * Math.PI * 2;
    const d = rng() * r;
    const px = cx + Math.cos(t) * d;
    const py = cy + Math.sin(t) * d * 0.5;
    const s = 2 + rng() * r * 0.2;
    const tri: [number, number][] = [
      [px, py],
      [px + (rng() - 0.5) * s * 2, py + (rng() - 0.5) * s],
      [px + (rng() - 0.5) * s * 2, py + (rng() - 0.5) * s],
    ];
    cv.poly(tri, tint, 0.5);
    cv.line(tri[0]![0], tri[0]![1], tri[1]![0], tri[1]![1], 1, [255, 255, 255], 0.9);
  }
  // Glints and dark edges radiating from the impact.
  for (let i = 0; i < 8; i++) {
    const t = rng() * Math.PI * 2;
    const d = r * (0.4 + rng() * 0.6);
    cv.line(
      cx,
      cy,
      cx + Math.cos(t) * d,
      cy + Math.sin(t) * d * 0.5,
      1 + rng(),
      rng() < 0.5 ? [250, 250, 250] : [30, 30, 30],
      0.7,
    );
  }
  if (rng() < 0.5) {
    // The neck of the bottle, lying among the pieces.
    const t = rng() * Math.PI;
    cv.line(cx, cy, cx + Math.cos(t) * r * 0.6, cy + Math.sin(t) * r * 0.3, r * 0.15, tint, 0.7);
  }
}

function clutter(cv: Canvas, rng: () => number, wallH: number): void {
  const n = Math.floor(rng() * 4);
  for (let i = 0; i < n; i++) {
    const x = rng() * cv.w;
    const y = wallH + rng() * (cv.h - wallH);
    const k = rng();
    if (k < 0.35) {
      // A sheet of paper or a tag lying on the board.
      const w = 20 + rng() * 80;
      const t = rng() * Math.PI;
      const corners: [number, number][] = [
        [-w / 2, -w * 0.35],
        [w / 2, -w * 0.35],
        [w / 2, w * 0.35],
        [-w / 2, w * 0.35],
      ].map(([u, v]) => [
        x + u! * Math.cos(t) - v! * Math.sin(t) * 0.5,
        y + u! * Math.sin(t) * 0.5 + v! * Math.cos(t) * 0.5,
      ]);
      cv.poly(corners, [245, 245, 235], 1);
    } else if (k < 0.6) {
      cv.line(
        x,
        y,
        x + (rng() - 0.5) * 120,
        y + (rng() - 0.5) * 30,
        3 + rng() * 4,
        [rng() * 255, rng() * 255, rng() * 255],
        1,
      );
    } else if (k < 0.8) {
      cv.ellipse(x, y, 30 + rng() * 60, 8 + rng() * 12, [0, 0, 0], 0.25);
    } else {
      cv.ellipse(x, y, 40 + rng() * 80, 3 + rng() * 5, [255, 255, 255], 0.35);
    }
  }
}

/** Draws one shelf photograph of the given kind; a pure function of the seed. */
export async function drawAltShelf(seed: number, kind: AltKind): Promise<AltShot> {
  const rng = createRng(seed ^ 0x2f6b_9a3d);
  const [w, h] = rng() < 0.5 ? [640, 480] : [800, 450];
  const cv = new Canvas(w, h);
  const wallH = Math.round(h * (0.15 + rng() * 0.25));
  board(cv, rng, wallH);
  clutter(cv, rng, wallH);
  const hx = w * (0.15 + rng() * 0.7);
  const hy = wallH + (h - wallH) * (0.3 + rng() * 0.6);
  const r = h * (0.06 + rng() * 0.12);
  if (kind === "spill") (rng() < 0.7 ? puddle : splash)(cv, rng, hx, hy, r);
  if (kind === "breakage") fracture(cv, rng, hx, hy, r);
  const count = Math.floor(rng() * 6);
  for (let i = 0; i < count; i++) {
    const cx = w * (0.05 + rng() * 0.9);
    // Keep the hazard in sight: containers stand back from it.
    if (kind !== "clean" && Math.abs(cx - hx) < r * 1.5) continue;
    container(cv, rng, cx, wallH + (h - wallH) * (0.2 + rng() * 0.3), h * (0.15 + rng() * 0.2));
  }
  // Light: a spot with its own colour, falling off toward the corners.
  const lx = w * rng();
  const ly = h * rng() * 0.5;
  const temp = rng() - 0.5;
  const gain: Rgb = [1 + temp * 0.3, 1, 1 - temp * 0.35];
  const level = 0.65 + rng() * 0.6;
  const out = Buffer.alloc(w * h * 3);
  const noise = 1 + rng() * 6;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const fall = 1 - 0.5 * Math.min(1, ((x - lx) ** 2 + (y - ly) ** 2) / (w * w));
      const o = (y * w + x) * 3;
      const n = (rng() - 0.5) * 2 * noise;
      for (let ch = 0; ch < 3; ch++)
        out[o + ch] = Math.max(0, Math.min(255, cv.px[o + ch]! * fall * level * gain[ch]! + n));
    }
  }
  const angle = (rng() - 0.5) * 8;
  const quality = 60 + Math.floor(rng() * 35);
  const rotated = await sharp(out, { raw: { width: w, height: h, channels: 3 } })
    .rotate(angle, { background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  // Crop the black corners the rotation left.
  const mx = Math.ceil((rotated.info.width - w) / 2 + h * Math.abs(Math.sin((angle * Math.PI) / 180)) * 0.6);
  const my = Math.ceil((rotated.info.height - h) / 2 + w * Math.abs(Math.sin((angle * Math.PI) / 180)) * 0.6);
  let img = sharp(rotated.data, {
    raw: { width: rotated.info.width, height: rotated.info.height, channels: 3 },
  }).extract({
    left: mx,
    top: my,
    width: rotated.info.width - 2 * mx,
    height: rotated.info.height - 2 * my,
  });
  const blur = rng() * 1.5;
  if (blur > 0.4) img = img.blur(blur);
  return { jpeg: await img.jpeg({ quality }).toBuffer(), kind };
}
