// Synthetic shelf photographs for tests and benchmarks: the camera pipeline must be exercised on
// images that fail the way real ones do (small tilted labels, blur, noise, uneven light, JPEG
// artefacts), and the ground truth of every label must be known exactly. Containers carry the label
// `lilo label` prints for them, wrapped round the bottle, or the plain QR label of older stock.
import { ensureZxing } from "@lilo/vision";
import sharp from "sharp";
import { writeBarcode } from "zxing-wasm";
import { DEMO_CHEMICALS } from "../../shared/chemicals.js";
import {
  DOTS_PER_MM,
  type LabelData,
  type LabelSize,
  layoutLabel,
  renderSvg,
} from "../../shared/labels/index.js";
import { labelFor } from "../../shared/labels/label-code.js";
import { createRng } from "./rng.js";
import {
  distractorSvg,
  type HazardBox,
  type HazardStyle,
  hazardExtent,
  type SceneLook,
  styledHazard,
  VISIBLE_LEVELS,
} from "./shelf-hazards.js";

export type Difficulty = "easy" | "medium" | "hard";
export type ContainerShape = "bottle" | "jar" | "vial";
export type Point = [number, number];
/**
 * "printed": the label `lilo label` prints for the container (its default symbology and layout, the
 * vial size on a vial and the bottle size otherwise), wrapped round the body with the code facing the
 * camera. "qr": a square QR label with a text strip, as containers labelled before Data Matrix carry.
 */
export type ShelfLabelKind = "printed" | "qr";

export interface ShelfContainer {
  qr_code: string;
  /** Centre of the code, 0..1 of the frame width. */
  x: number;
  /** Centre of the code, 0..1 of the frame height. */
  y: number;
  shape?: ContainerShape;
  /** CSS colour of the container body. */
  color?: string;
  /**
   * Scale of the code: the width in pixels a QR label square (21 modules plus 3 of quiet zone each
   * side) would have. A printed label's modules are drawn the same size, so both read alike.
   */
  labelPx?: number;
  rotationDeg?: number;
  /** Default "printed". */
  label?: ShelfLabelKind;
  /**
   * The label is in view but its code cannot be read (turned half away, bent, scratched): the middle
   * of the printed symbol is drawn inverted, past what its error correction repairs.
   */
  unreadable?: boolean;
}

export interface ShelfHazard {
  x: number;
  y: number;
  /** Fraction of the frame height. */
  radius: number;
  kind: "spill" | "breakage";
  /** Colour, opacity and shape of its own (shelf-hazards.ts); without it, the simulator's plain drawing. */
  style?: HazardStyle;
}

/**
 * The cabinet light reflected by a glossy label or a bottle's curve: a vertical band, brightest on
 * its centre line, that adds light on top of the scene.
 */
export interface SpecularStripe {
  /** Centre, 0..1 of the frame width. */
  x: number;
  /** Centre, 0..1 of the frame height. */
  y: number;
  /** Width across which the band fades (about four standard deviations), 0..1 of the frame width. */
  width: number;
  /** Flat-topped length of the band, 0..1 of the frame height. */
  height: number;
  /** Peak added light in multiples of white paper at EV 0: 1 already clips black print to white. */
  intensity: number;
}

export interface ShelfScene {
  containers: ShelfContainer[];
  hazards?: ShelfHazard[];
  seed?: number;
  difficulty?: Difficulty;
  width?: number;
  height?: number;
  /**
   * Exposure offset in stops (rpicam-still's `--ev`): scales the light reaching the sensor before it
   * clips, so a darker frame keeps contrast under a glare that washes out the normal one. Default 0.
   */
  exposureEv?: number;
  /**
   * Seeds this frame's sensor noise on its own, so consecutive frames of a still scene differ only in
   * noise (and exposure). Omitted, the noise comes from `seed` as it always did.
   */
  noiseSeed?: number;
  /** Glare added before the exposure, so it clips to white at EV 0 and not in a darker frame. */
  specular?: SpecularStripe[];
  /** Board material, light, camera pitch and lens, look-alikes (training data for the spill detector). */
  look?: SceneLook;
}

export interface RenderedLabel {
  qr_code: string;
  /** Symbol corners (quiet zone excluded) in output pixels: top-left, top-right, bottom-right, bottom-left. */
  corners: [Point, Point, Point, Point];
  center: Point;
  modulePx: number;
}

export interface RenderedShelf {
  jpeg: Buffer;
  width: number;
  height: number;
  labels: RenderedLabel[];
  jpegQuality: number;
  /** Where each hazard ended up in the frame (after the camera warp). */
  hazards: HazardBox[];
}

interface DifficultyParams {
  labelPx: [number, number];
  rotationDeg: number;
  skew: number;
  keystone: number;
  blur: [number, number];
  noiseSd: number;
  jpeg: [number, number];
  falloff: number;
  /** Probability that a label carries a specular highlight from the cabinet light. */
  glare: number;
}

const PARAMS: Record<Difficulty, DifficultyParams> = {
  easy: {
    labelPx: [100, 160],
    rotationDeg: 8,
    skew: 0,
    keystone: 0,
    blur: [0, 0.4],
    noiseSd: 2,
    jpeg: [88, 92],
    falloff: 0.15,
    glare: 0,
  },
  medium: {
    labelPx: [70, 140],
    rotationDeg: 20,
    skew: 0.1,
    keystone: 0.04,
    blur: [0.5, 1.0],
    noiseSd: 5,
    jpeg: [80, 90],
    falloff: 0.35,
    glare: 0.2,
  },
  hard: {
    labelPx: [60, 120],
    rotationDeg: 30,
    skew: 0.2,
    keystone: 0.08,
    blur: [0.8, 1.2],
    noiseSd: 7,
    jpeg: [75, 84],
    falloff: 0.55,
    glare: 0.3,
  },
};

/** Modules of quiet zone printed around the symbol on each side of the label. */
const QUIET_MODULES = 3;
const SYMBOL_MODULES = 21;
const LABEL_MODULES = SYMBOL_MODULES + 2 * QUIET_MODULES;
/** The label paper extends below the square for a printed text strip. */
const TEXT_STRIP = 0.25;

const PALETTE = ["#8a4b12", "#c9d3d6", "#f2f0ea", "#2f5d9e", "#3d7a45", "#6b2f1a", "#d8c27a", "#9aa5ad"];
const SHAPES: ContainerShape[] = ["bottle", "jar", "vial"];

function between(rng: () => number, [lo, hi]: [number, number]): number {
  return lo + (hi - lo) * rng();
}

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length) % items.length]!;
}

/** Shelf boards sit at these fractions of the frame height; containers stand on them. */
export const SHELF_TIERS = [1 / 3, 2 / 3, 0.985];

export interface LayoutOptions {
  count: number;
  seed: number;
  difficulty?: Difficulty;
  width?: number;
  height?: number;
  /** Builds the payload for container i; defaults to a L.I.L.O. label (`labelFor`). */
  code?: (i: number) => string;
}

/**
 * Places `count` containers with QR labels on the shelf tiers without overlapping labels, with label
 * size and rotation drawn from the difficulty's ranges.
 */
export function layoutShelf(opts: LayoutOptions): ShelfContainer[] {
  const { count, seed, difficulty = "medium", width = 1920, height = 1080 } = opts;
  const code = opts.code ?? ((i: number) => labelFor((seed % 9000) * 100 + i));
  const p = PARAMS[difficulty];
  const rng = createRng(seed ^ 0x5bd1e995);
  const tiers = count <= 2 ? 1 : count <= 10 ? 2 : 3;
  const tierOrder = [1, 0, 2].slice(0, tiers).sort();
  const perTier = Math.ceil(count / tiers);
  const margin = 0.08 * width;
  const cellW = (width - 2 * margin) / perTier;
  const out: ShelfContainer[] = [];
  for (let i = 0; i < count; i++) {
    const tier = tierOrder[Math.floor(i / perTier)]!;
    const slot = i % perTier;
    const rotationDeg = (rng() * 2 - 1) * p.rotationDeg;
    const rad = (Math.abs(rotationDeg) * Math.PI) / 180;
    // The rotated label paper, plus body padding, must fit in its slot.
    const fit = (cellW * 0.88) / (Math.cos(rad) + (1 + TEXT_STRIP) * Math.sin(rad) + 0.12);
    const tierTop = tier === 0 ? 0 : SHELF_TIERS[tier - 1]!;
    const tierH = (SHELF_TIERS[tier]! - tierTop) * height;
    const fitH = (tierH * 0.62) / ((1 + TEXT_STRIP) * Math.cos(rad) + Math.sin(rad));
    const labelPx = Math.round(Math.min(between(rng, p.labelPx), fit, fitH));
    const jitterX = (rng() - 0.5) * Math.max(0, cellW * 0.88 - labelPx * 1.4) * 0.5;
    const cx = margin + cellW * (slot + 0.5) + jitterX;
    // Label centred a little below the middle of the tier, as on a real bottle body.
    const cy = (tierTop + (SHELF_TIERS[tier]! - tierTop) * 0.6) * height;
    out.push({
      qr_code: code(i),
      x: cx / width,
      y: cy / height,
      shape: pick(rng, SHAPES),
      color: pick(rng, PALETTE),
      labelPx,
      rotationDeg,
      // The decoder benches and tests score QR labels laid out by this; printed labels are the sim's.
      label: "qr",
    });
  }
  return out;
}

type Affine = [number, number, number, number, number, number];

function applyAffine(m: Affine, [x, y]: Point): Point {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/** Solves the 3x3 homography mapping src[i] -> dst[i] (four point pairs). */
function homography(src: Point[], dst: Point[]): number[] {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i]!;
    const [u, v] = dst[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let c = 0; c < 8; c++) {
    let best = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[best]![c]!)) best = r;
    [a[c], a[best]] = [a[best]!, a[c]!];
    const pivot = a[c]!;
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const row = a[r]!;
      const f = row[c]! / pivot[c]!;
      for (let k = c; k < 9; k++) row[k]! -= f * pivot[k]!;
    }
  }
  const h = a.map((row, i) => row[8]! / row[i]!);
  return [...h, 1];
}

function applyH(h: number[], [x, y]: Point): Point {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
}

async function qrPath(text: string): Promise<string> {
  await ensureZxing();
  const res = await writeBarcode(text, {
    format: "QRCode",
    options: "version=1,ecLevel=M",
    scale: 1,
    addQuietZones: false,
  });
  if (res.error) throw new Error(`QR encode failed for ${JSON.stringify(text)}: ${res.error}`);
  const { data, width, height } = res.symbol;
  let d = "";
  for (let y = 0; y < height; y++) {
    let x = 0;
    while (x < width) {
      if (data[y * width + x] === 0) {
        const start = x;
        while (x < width && data[y * width + x] === 0) x++;
        d += `M${start} ${y}h${x - start}v1h${start - x}z`;
      } else x++;
    }
  }
  return d;
}

/** Body radius by shape, mm: bench:labels' 10 mL vial and 0.5–1 L bottle, and a 500 g jar. */
const RADIUS_MM: Record<ContainerShape, number> = { vial: 12, bottle: 35, jar: 40 };
/** The size a user prints (docs/labels.md): the vial label on a vial, the default size otherwise. */
const LABEL_SIZE: Record<ContainerShape, LabelSize> = { vial: "vial", bottle: "bottle", jar: "bottle" };
/** The flat label is rasterised this many times finer than the frame, then wrapped and scaled down. */
const WRAP_SUPERSAMPLE = 2;

/**
 * What `lilo label` prints for a simulated container: the sim stocks DEMO_CHEMICALS under
 * labelFor(i + 1) (sim-seed.ts); a code it did not stock gets a label naming only the code.
 */
function simLabelData(code: string): LabelData {
  const n = /^LILO:C:(\d{6})$/.exec(code);
  const chem = n ? DEMO_CHEMICALS[Number(n[1]) - 1] : undefined;
  return {
    code,
    chemicalName: chem?.chemical_name ?? code,
    casNumber: chem?.cas_number,
    ghsPictograms: chem?.ghs_pictograms,
    signalWord: chem?.signal_word,
  };
}

interface WrappedLabel {
  /** An <image> of the label as the camera sees it on the body, the code's centre at (0, 0). */
  svg: string;
  /** Symbol corners (TL, TR, BR, BL) and the visible label's outline, same coordinates. */
  symbol: Point[];
  paper: Point[];
}

/**
 * The printed label (shared/labels layout and SVG), its modules `modulePx` wide, wrapped round the
 * body: a label column `s` from the code's centre shows at R·sin(s/R) and darkens toward the
 * silhouette; what runs past the side of the body is out of sight.
 */
async function wrappedLabel(
  code: string,
  shape: ContainerShape,
  modulePx: number,
  unreadable: boolean,
): Promise<WrappedLabel> {
  const layout = layoutLabel(simLabelData(code), { size: LABEL_SIZE[shape] });
  const sym = layout.items.find((i) => i.kind === "symbol");
  if (sym?.kind !== "symbol") throw new Error(`label of ${code} has no symbol`);
  if (unreadable) sym.matrix = { ...sym.matrix, modules: scratched(sym.matrix) };
  const pxPerDot = modulePx / sym.module;
  const ss = WRAP_SUPERSAMPLE;
  const flatW = Math.ceil(layout.width * pxPerDot * ss);
  const flatH = Math.ceil(layout.height * pxPerDot * ss);
  const flat = await sharp(Buffer.from(renderSvg(layout)), { density: 25.4 * DOTS_PER_MM * pxPerDot * ss })
    .resize(flatW, flatH, { fit: "fill" })
    .removeAlpha()
    .raw()
    .toBuffer();
  const R = RADIUS_MM[shape] * DOTS_PER_MM * pxPerDot;
  const codeX = (sym.x + (sym.matrix.cols * sym.module) / 2) * pxPerDot;
  const codeY = (sym.y + (sym.matrix.rows * sym.module) / 2) * pxPerDot;
  const seen = (s: number) => R * Math.sin(Math.max(-Math.PI / 2, Math.min(Math.PI / 2, s / R)));
  const uL = seen(-codeX);
  const uR = seen(flatW / ss - codeX);
  const outW = Math.max(1, Math.ceil((uR - uL) * ss));
  const out = Buffer.alloc(outW * flatH * 4);
  for (let i = 0; i < outW; i++) {
    const u = uL + (i + 0.5) / ss;
    const a = Math.asin(Math.max(-1, Math.min(1, u / R)));
    const sx = (R * a + codeX) * ss - 0.5;
    if (sx < 0 || sx > flatW - 1) continue;
    const x0 = Math.floor(sx);
    const x1 = Math.min(flatW - 1, x0 + 1);
    const f = sx - x0;
    const light = 0.7 + 0.3 * Math.cos(a);
    for (let y = 0; y < flatH; y++) {
      const o = (y * outW + i) * 4;
      for (let ch = 0; ch < 3; ch++) {
        const v = flat[(y * flatW + x0) * 3 + ch]! * (1 - f) + flat[(y * flatW + x1) * 3 + ch]! * f;
        out[o + ch] = v * light;
      }
      out[o + 3] = 255;
    }
  }
  const png = await sharp(out, { raw: { width: outW, height: flatH, channels: 4 } })
    .png()
    .toBuffer();
  const top = -codeY;
  const bottom = flatH / ss - codeY;
  const [sx0, sx1] = [sym.x * pxPerDot - codeX, (sym.x + sym.matrix.cols * sym.module) * pxPerDot - codeX];
  const [sy0, sy1] = [sym.y * pxPerDot - codeY, (sym.y + sym.matrix.rows * sym.module) * pxPerDot - codeY];
  return {
    svg: `<image x="${uL}" y="${top}" width="${outW / ss}" height="${flatH / ss}" preserveAspectRatio="none" href="data:image/png;base64,${png.toString("base64")}"/>`,
    symbol: [
      [seen(sx0), sy0],
      [seen(sx1), sy0],
      [seen(sx1), sy1],
      [seen(sx0), sy1],
    ],
    paper: [
      [uL, top],
      [uR, top],
      [uR, bottom],
      [uL, bottom],
    ],
  };
}

/** The symbol with its middle half (each way) inverted: the finder edges stay, the data does not. */
function scratched(m: { cols: number; rows: number; modules: ArrayLike<number> }): Uint8Array {
  const modules = Uint8Array.from(m.modules);
  for (let y = Math.floor(m.rows / 4); y < Math.ceil((3 * m.rows) / 4); y++)
    for (let x = Math.floor(m.cols / 4); x < Math.ceil((3 * m.cols) / 4); x++) modules[y * m.cols + x]! ^= 1;
  return modules;
}

function shade(hex: string, f: number): string {
  const n = Number.parseInt(hex.replace("#", ""), 16);
  const ch = (s: number) => Math.max(0, Math.min(255, Math.round(((n >> s) & 255) * f)));
  return `rgb(${ch(16)},${ch(8)},${ch(0)})`;
}

interface Placed {
  svg: string;
  label: RenderedLabel;
}

async function containerSvg(
  c: ShelfContainer,
  idx: number,
  rng: () => number,
  p: DifficultyParams,
  w: number,
  h: number,
): Promise<Placed> {
  const L = c.labelPx ?? Math.round(between(rng, p.labelPx));
  const rot = c.rotationDeg ?? (rng() * 2 - 1) * p.rotationDeg;
  const shape = c.shape ?? pick(rng, SHAPES);
  const color = c.color ?? pick(rng, PALETTE);
  const cx = c.x * w;
  const cy = c.y * h;
  const th = (rot * Math.PI) / 180;
  const skew = (rng() * 2 - 1) * p.skew;
  const sy = 1 + (rng() * 2 - 1) * p.skew * 0.5;
  // rotate * skewX * scaleY, so the label can look slightly foreshortened on a curved body.
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const m: Affine = [cos, sin, (cos * skew - sin) * sy, (sin * skew + cos) * sy, cx, cy];
  const mod = L / LABEL_MODULES;
  const half = SYMBOL_MODULES / 2;
  // Symbol corners and the label paper's outline round the code's centre, before the transform.
  const printed =
    (c.label ?? "printed") === "printed"
      ? await wrappedLabel(c.qr_code, shape, mod, c.unreadable ?? false)
      : undefined;
  const local = printed ?? {
    symbol: [
      [-half * mod, -half * mod],
      [half * mod, -half * mod],
      [half * mod, half * mod],
      [-half * mod, half * mod],
    ] as Point[],
    paper: [
      [-L / 2, -L / 2],
      [L / 2, -L / 2],
      [L / 2, L / 2 + TEXT_STRIP * L],
      [-L / 2, L / 2 + TEXT_STRIP * L],
    ] as Point[],
  };
  const corners = local.symbol.map((q) => applyAffine(m, q)) as RenderedLabel["corners"];
  const paper = local.paper.map((q) => applyAffine(m, q));
  const xs = paper.map((q) => q[0]);
  const ys = paper.map((q) => q[1]);
  const bboxW = Math.max(...xs) - Math.min(...xs);
  const bboxH = Math.max(...ys) - Math.min(...ys);

  const bodyW = bboxW * (shape === "vial" ? 1.08 : shape === "jar" ? 1.25 : 1.15) + 8;
  let bodyH = bboxH * (shape === "jar" ? 1.12 : 1.3) + 10;
  const bodyTop = (Math.min(...ys) + Math.max(...ys)) / 2 - bodyH * 0.5;
  // Containers stand on the board below them rather than float in front of the back wall.
  const board = SHELF_TIERS.map((t) => t * h).find((by) => by >= bodyTop + bodyH - 4);
  if (board !== undefined && board - (bodyTop + bodyH) < 0.25 * h)
    bodyH = Math.max(bodyH, board + 2 - bodyTop);
  const bodyLeft = cx - bodyW / 2;
  const bodyBottom = bodyTop + bodyH;
  const grad = `g${idx}`;
  const glass = color === "#c9d3d6" || color === "#9aa5ad";
  const bodyOpacity = glass ? 0.55 : 0.95;
  const r = shape === "jar" ? bodyW * 0.12 : bodyW * 0.08;
  let top = "";
  if (shape === "bottle") {
    const neckW = bodyW * 0.36;
    const shoulder = bodyH * 0.16;
    const neckH = bodyH * 0.14;
    top =
      `<path d="M${bodyLeft} ${bodyTop + 2}C${bodyLeft} ${bodyTop - shoulder * 0.6} ${cx - neckW / 2} ${bodyTop - shoulder * 0.4} ${cx - neckW / 2} ${bodyTop - shoulder}` +
      `L${cx + neckW / 2} ${bodyTop - shoulder}C${cx + neckW / 2} ${bodyTop - shoulder * 0.4} ${bodyLeft + bodyW} ${bodyTop - shoulder * 0.6} ${bodyLeft + bodyW} ${bodyTop + 2}Z" fill="url(#${grad})" opacity="${bodyOpacity}"/>` +
      `<rect x="${cx - neckW / 2}" y="${bodyTop - shoulder - neckH}" width="${neckW}" height="${neckH + 1}" fill="url(#${grad})" opacity="${bodyOpacity}"/>` +
      `<rect x="${cx - neckW * 0.6}" y="${bodyTop - shoulder - neckH - neckH * 0.9}" width="${neckW * 1.2}" height="${neckH * 0.95}" rx="3" fill="${pick(rng, ["#222", "#b22", "#eee", "#246"])}"/>`;
  } else if (shape === "jar") {
    const lidH = bodyH * 0.13;
    top =
      `<rect x="${bodyLeft - 3}" y="${bodyTop - lidH}" width="${bodyW + 6}" height="${lidH + 2}" rx="4" fill="${pick(rng, ["#333", "#d8d8d8", "#1d4f91", "#8c1c13"])}"/>` +
      `<rect x="${bodyLeft - 3}" y="${bodyTop - lidH * 0.55}" width="${bodyW + 6}" height="${lidH * 0.12}" fill="#000" opacity="0.25"/>`;
  } else {
    const neckW = bodyW * 0.55;
    const capH = bodyH * 0.18;
    top =
      `<rect x="${cx - neckW / 2}" y="${bodyTop - capH * 0.3}" width="${neckW}" height="${capH * 0.4}" fill="url(#${grad})" opacity="${bodyOpacity}"/>` +
      `<rect x="${cx - bodyW * 0.42}" y="${bodyTop - capH * 1.2}" width="${bodyW * 0.84}" height="${capH}" rx="2" fill="${pick(rng, ["#c0392b", "#2c6fbb", "#7d7d7d", "#f1c40f"])}"/>`;
  }
  const shadow = `<ellipse cx="${cx}" cy="${bodyBottom}" rx="${bodyW * 0.62}" ry="${Math.max(6, bodyW * 0.09)}" fill="url(#sh)" />`;
  const body = `<rect x="${bodyLeft}" y="${bodyTop}" width="${bodyW}" height="${bodyH}" rx="${r}" fill="url(#${grad})" opacity="${bodyOpacity}"/>`;
  const highlight = `<rect x="${bodyLeft + bodyW * 0.1}" y="${bodyTop + bodyH * 0.05}" width="${bodyW * 0.07}" height="${bodyH * 0.85}" rx="${bodyW * 0.03}" fill="#fff" opacity="${glass ? 0.35 : 0.18}"/>`;
  const defs =
    `<linearGradient id="${grad}" x1="0" x2="1" y1="0" y2="0">` +
    `<stop offset="0" stop-color="${shade(color, 0.45)}"/><stop offset="0.3" stop-color="${shade(color, 1.05)}"/>` +
    `<stop offset="0.55" stop-color="${shade(color, 0.95)}"/><stop offset="1" stop-color="${shade(color, 0.4)}"/></linearGradient>`;
  const paperTone = pick(rng, ["#fbfbf7", "#f4f1e8", "#ffffff", "#eef0f2"]);
  const bars = [0.38, 0.62]
    .map(
      (f, i) =>
        `<rect x="${-L * 0.4}" y="${L / 2 + TEXT_STRIP * L * f - L * 0.025}" width="${L * (i === 0 ? 0.8 : 0.55)}" height="${L * 0.05}" fill="#555" opacity="0.7"/>`,
    )
    .join("");
  // Glossy label film reflects the cabinet light as a soft band across part of the code.
  const glare =
    rng() < p.glare
      ? `<ellipse cx="${(rng() - 0.5) * L * 0.6}" cy="${(rng() - 0.5) * L * 0.6}" rx="${L * (0.25 + rng() * 0.3)}" ry="${L * (0.08 + rng() * 0.1)}" transform="rotate(${Math.round(rng() * 180)})" fill="#fff" opacity="${(0.25 + rng() * 0.35).toFixed(2)}"/>`
      : "";
  const face = printed
    ? printed.svg
    : `<rect x="${-L / 2}" y="${-L / 2}" width="${L}" height="${L * (1 + TEXT_STRIP)}" rx="${L * 0.03}" fill="${paperTone}"/>${bars}` +
      `<g transform="translate(${-half * mod} ${-half * mod}) scale(${mod})"><path d="${await qrPath(c.qr_code)}" fill="#141414"/></g>`;
  const label = `<g transform="matrix(${m.map((v) => v.toFixed(4)).join(" ")})">${face}${glare}</g>`;
  return {
    svg: `<defs>${defs}</defs>${shadow}${body}${top}${highlight}${label}`,
    label: { qr_code: c.qr_code, corners, center: [cx, cy], modulePx: mod },
  };
}

function hazardSvg(hz: ShelfHazard, rng: () => number, w: number, h: number): string {
  const cx = hz.x * w;
  const cy = hz.y * h;
  const R = Math.max(4, hz.radius * h);
  if (hz.kind === "spill") {
    const n = 28;
    const phases = [rng() * 6.28, rng() * 6.28, rng() * 6.28];
    const pts: Point[] = [];
    for (let i = 0; i < n; i++) {
      const a = (i / n) * Math.PI * 2;
      const wobble =
        1 +
        0.22 * Math.sin(3 * a + phases[0]!) +
        0.12 * Math.sin(5 * a + phases[1]!) +
        0.08 * Math.sin(9 * a + phases[2]!);
      // Liquid spreads flat on the shelf, so the blob is squashed vertically by perspective.
      pts.push([cx + Math.cos(a) * R * wobble, cy + Math.sin(a) * R * wobble * 0.45]);
    }
    let d = "";
    for (let i = 0; i < n; i++) {
      const p0 = pts[i]!;
      const p1 = pts[(i + 1) % n]!;
      const mid: Point = [(p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2];
      d += i === 0 ? `M${mid[0]} ${mid[1]}` : `Q${p0[0]} ${p0[1]} ${mid[0]} ${mid[1]}`;
    }
    const first = pts[0]!;
    const firstMid: Point = [(pts[n - 1]![0] + first[0]) / 2, (pts[n - 1]![1] + first[1]) / 2];
    d += `Q${pts[n - 1]![0]} ${pts[n - 1]![1]} ${firstMid[0]} ${firstMid[1]}Z`;
    const col = pick(rng, ["#d4b106", "#2e86c1", "#27ae60", "#c0392b", "#8e44ad"]);
    return (
      `<path d="${d}" fill="${col}" opacity="0.45"/>` +
      `<path d="${d}" fill="none" stroke="${shade(col, 0.6)}" stroke-width="2" opacity="0.5"/>` +
      `<ellipse cx="${cx - R * 0.25}" cy="${cy - R * 0.1}" rx="${R * 0.3}" ry="${R * 0.06}" fill="#fff" opacity="0.35"/>`
    );
  }
  let s = "";
  const shards = 10 + Math.floor(rng() * 14);
  for (let i = 0; i < shards; i++) {
    const a = rng() * Math.PI * 2;
    const dist = Math.sqrt(rng()) * R;
    const sx = cx + Math.cos(a) * dist;
    const sy = cy + Math.sin(a) * dist * 0.5;
    const size = R * (0.06 + rng() * 0.18);
    const pts = [0, 1, 2].map((k) => {
      const b = rng() * Math.PI * 2 + k * 2.1;
      return `${(sx + Math.cos(b) * size).toFixed(1)},${(sy + Math.sin(b) * size * 0.6).toFixed(1)}`;
    });
    s += `<polygon points="${pts.join(" ")}" fill="#dfe8ec" opacity="0.55" stroke="#ffffff" stroke-width="1.2" stroke-opacity="0.9"/>`;
  }
  const cracks = 6 + Math.floor(rng() * 6);
  for (let i = 0; i < cracks; i++) {
    let x = cx;
    let y = cy;
    let a = rng() * Math.PI * 2;
    let d = `M${x.toFixed(1)} ${y.toFixed(1)}`;
    const steps = 4 + Math.floor(rng() * 4);
    for (let k = 0; k < steps; k++) {
      a += (rng() - 0.5) * 0.9;
      const len = (R / steps) * (0.6 + rng() * 0.8);
      x += Math.cos(a) * len;
      y += Math.sin(a) * len * 0.5;
      d += `L${x.toFixed(1)} ${y.toFixed(1)}`;
    }
    s += `<path d="${d}" fill="none" stroke="#f4fbff" stroke-width="${(0.8 + rng()).toFixed(2)}" opacity="0.85"/>`;
  }
  return s;
}

/** Back wall and shelf boards, wood or brushed metal, as raw RGB. */
function background(w: number, h: number, rng: () => number, look?: SceneLook): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  const drawn = rng() < 0.5;
  const board = look?.board ?? (drawn ? "wood" : "metal");
  const wood = board === "wood";
  const grey = (lo: number, span: number): [number, number, number] => {
    const v = lo + rng() * span;
    return [v + rng() * 12, v + rng() * 12, v + rng() * 12];
  };
  const base: [number, number, number] =
    board === "wood"
      ? [120 + rng() * 40, 80 + rng() * 25, 45 + rng() * 20]
      : board === "metal"
        ? [150 + rng() * 40, 155 + rng() * 40, 160 + rng() * 40]
        : board === "white"
          ? grey(170, 45)
          : grey(35, 40);
  const f1 = 0.01 + rng() * 0.02;
  const f2 = 0.07 + rng() * 0.05;
  const ph = rng() * 100;
  const boardH = Math.round(h * 0.035);
  const rowMod = new Float32Array(h);
  const rowBoard = new Int8Array(h);
  const rowGrain = new Float32Array(h);
  for (let y = 1; y < h; y++) rowGrain[y] = rowGrain[y - 1]! * 0.9 + (rng() - 0.5) * 0.02;
  for (let y = 0; y < h; y++) {
    let board = 0;
    for (const t of SHELF_TIERS) {
      const by = Math.round(t * h);
      if (y >= by - 2 && y < by + boardH) board = y < by + 3 ? 2 : 1;
    }
    rowBoard[y] = board;
    // Back wall darkens toward the top of each compartment, boards catch the light.
    const inTier = SHELF_TIERS.reduce((acc, t) => (y < t * h && acc === -1 ? t * h - y : acc), -1);
    rowMod[y] = board ? 1.25 : 0.75 + 0.2 * Math.min(1, Math.max(0, 1 - inTier / (h / 3)));
  }
  for (let y = 0; y < h; y++) {
    const m = rowMod[y]!;
    const b = rowBoard[y]!;
    for (let x = 0; x < w; x++) {
      const grain = wood
        ? 0.06 * Math.sin((y + 9 * Math.sin(x * f1 + ph)) * f2) +
          0.04 * Math.sin(x * 0.003 + y * 0.05) +
          rowGrain[y]!
        : 0.04 * Math.sin(y * 1.7 + Math.sin(x * 0.01) * 2) + 0.03 * Math.sin(x * 0.002 + ph);
      const k = m * (1 + grain) * (b === 2 ? 1.15 : 1);
      const i = (y * w + x) * 3;
      out[i] = Math.min(255, base[0] * k);
      out[i + 1] = Math.min(255, base[1] * k);
      out[i + 2] = Math.min(255, base[2] * k);
    }
  }
  return out;
}

/** Added light per output pixel, in 8-bit units of white paper at EV 0. */
function specularMap(stripes: readonly SpecularStripe[], w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (const st of stripes) {
    const cx = st.x * w;
    const cy = st.y * h;
    const sd = Math.max(0.5, (st.width * w) / 4);
    const half = Math.max(0.5, (st.height * h) / 2);
    const x0 = Math.max(0, Math.floor(cx - 3 * sd));
    const x1 = Math.min(w - 1, Math.ceil(cx + 3 * sd));
    const y0 = Math.max(0, Math.floor(cy - 1.5 * half));
    const y1 = Math.min(h - 1, Math.ceil(cy + 1.5 * half));
    for (let y = y0; y <= y1; y++) {
      // Flat along the band, with soft ends.
      const along = Math.exp(-(((y + 0.5 - cy) / half) ** 8));
      for (let x = x0; x <= x1; x++) {
        const across = Math.exp(-0.5 * ((x + 0.5 - cx) / sd) ** 2);
        out[y * w + x]! += 255 * st.intensity * across * along;
      }
    }
  }
  return out;
}

/**
 * Renders the scene and returns the JPEG plus where every QR symbol ended up in the final frame
 * (after the camera warp), for scoring decoders.
 */
export async function renderShelfDetailed(scene: ShelfScene): Promise<RenderedShelf> {
  const w = scene.width ?? 1920;
  const h = scene.height ?? 1080;
  const difficulty = scene.difficulty ?? "medium";
  const p = PARAMS[difficulty];
  const rng = createRng(scene.seed ?? 1);

  const bg = background(w, h, rng, scene.look);
  const drawnHazards = (scene.hazards ?? []).map((hz) => {
    if (hz.style) return styledHazard({ ...hz, style: hz.style }, w, h);
    const R = Math.max(4, hz.radius * h);
    const box = { kind: hz.kind, box: hazardExtent(hz.kind, undefined, hz.x * w, hz.y * h, R) };
    return { svg: hazardSvg(hz, rng, w, h), box };
  });
  const lookAlikes = (scene.look?.distractors ?? []).map((d) => distractorSvg(d, w, h)).join("");
  const placed: Placed[] = [];
  for (let i = 0; i < scene.containers.length; i++) {
    placed.push(await containerSvg(scene.containers[i]!, i, rng, p, w, h));
  }
  // Hazards lie on the boards, under the containers standing in front of them.
  const compose = (hazards: string) =>
    sharp(bg, { raw: { width: w, height: h, channels: 3 } })
      .composite([
        {
          input: Buffer.from(
            `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
              `<defs><radialGradient id="sh"><stop offset="0" stop-color="#000" stop-opacity="0.45"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient></defs>` +
              `${lookAlikes}${hazards}${placed.map((q) => q.svg).join("")}</svg>`,
          ),
          top: 0,
          left: 0,
        },
      ])
      .removeAlpha()
      .raw()
      .toBuffer();
  const composed = await compose(drawnHazards.map((d) => d.svg).join(""));
  // Where each hazard can be seen: the scene drawn again without the hazards (same containers and
  // look-alikes), pixels that differ belong to the hazard whose drawn box holds them.
  const seenBy = drawnHazards.length
    ? hazardPixels(
        composed,
        await compose(""),
        drawnHazards.map((d) => d.box.box),
        w,
        h,
      )
    : undefined;

  // Camera keystone: the output frame's corners sample a trapezoid of the scene.
  const k = p.keystone * (0.5 + rng() * 0.5);
  const tilt = rng() < 0.5 ? 1 : -1;
  const dstCorners: Point[] = [
    [0, 0],
    [w, 0],
    [w, h],
    [0, h],
  ];
  const inset = (k * w) / 2;
  const srcCorners: Point[] =
    tilt > 0
      ? [
          [inset, 0],
          [w - inset, 0],
          [w, h],
          [0, h],
        ]
      : [
          [0, 0],
          [w, 0],
          [w - inset, h],
          [inset, h],
        ];
  const pitch = scene.look?.pitch ?? 0;
  if (pitch) {
    // The camera looks down (or up) at the shelf: one edge of the frame sees a narrower strip.
    const d = (Math.abs(pitch) * w) / 2;
    const [a, b] = pitch > 0 ? [srcCorners[0]!, srcCorners[1]!] : [srcCorners[3]!, srcCorners[2]!];
    a[0] += d;
    b[0] -= d;
  }
  const warped = k > 0 || pitch !== 0;
  const lens = scene.look?.lens ?? 0;
  const outToSrc = warped || lens ? homography(dstCorners, srcCorners) : undefined;
  const srcToOut = warped || lens ? homography(srcCorners, dstCorners) : undefined;
  const tint = scene.look?.tint ?? [1, 1, 1];
  const brightness = scene.look?.brightness ?? 1;

  const lx = w * (0.3 + rng() * 0.4);
  const ly = h * (rng() * 0.3 - 0.2);
  const diag2 = w * w + h * h;
  const noiseSd = p.noiseSd;
  const gain = 2 ** (scene.exposureEv ?? 0);
  const spec = scene.specular?.length ? specularMap(scene.specular, w, h) : undefined;
  // A frame's own noise stream; the scene's stream still advances as before, so blur and JPEG
  // quality, drawn after the noise, stay those of the scene.
  const frameNoise = scene.noiseSeed === undefined ? undefined : createRng(scene.noiseSeed);
  const final = Buffer.alloc(w * h * 3);
  const seen = drawnHazards.map(() => ({ px: 0, box: [w, h, 0, 0] as [number, number, number, number] }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r: number;
      let g: number;
      let b: number;
      let src = y * w + x;
      if (outToSrc) {
        const [sx, sy] = applyH(
          outToSrc,
          lens ? distort([x + 0.5, y + 0.5], lens, w, h) : [x + 0.5, y + 0.5],
        );
        const fx = Math.min(w - 1.001, Math.max(0, sx - 0.5));
        const fy = Math.min(h - 1.001, Math.max(0, sy - 0.5));
        const x0 = fx | 0;
        const y0 = fy | 0;
        const ax = fx - x0;
        const ay = fy - y0;
        const i00 = (y0 * w + x0) * 3;
        const i10 = i00 + 3;
        const i01 = i00 + w * 3;
        const i11 = i01 + 3;
        const w00 = (1 - ax) * (1 - ay);
        const w10 = ax * (1 - ay);
        const w01 = (1 - ax) * ay;
        const w11 = ax * ay;
        src = (y0 + (ay >= 0.5 ? 1 : 0)) * w + x0 + (ax >= 0.5 ? 1 : 0);
        r = composed[i00]! * w00 + composed[i10]! * w10 + composed[i01]! * w01 + composed[i11]! * w11;
        g =
          composed[i00 + 1]! * w00 +
          composed[i10 + 1]! * w10 +
          composed[i01 + 1]! * w01 +
          composed[i11 + 1]! * w11;
        b =
          composed[i00 + 2]! * w00 +
          composed[i10 + 2]! * w10 +
          composed[i01 + 2]! * w01 +
          composed[i11 + 2]! * w11;
      } else {
        const i = (y * w + x) * 3;
        r = composed[i]!;
        g = composed[i + 1]!;
        b = composed[i + 2]!;
      }
      const by = seenBy?.[src];
      if (by) {
        const v = seen[by - 1]!;
        v.px++;
        if (x < v.box[0]) v.box[0] = x;
        if (y < v.box[1]) v.box[1] = y;
        if (x + 1 > v.box[2]) v.box[2] = x + 1;
        if (y + 1 > v.box[3]) v.box[3] = y + 1;
      }
      const dx = x - lx;
      const dy = y - ly;
      const light = (1.08 - p.falloff * Math.min(1, ((dx * dx + dy * dy) / diag2) * 1.6)) * brightness;
      let n = (rng() + rng() + rng() - 1.5) * 2 * noiseSd;
      if (frameNoise) n = (frameNoise() + frameNoise() + frameNoise() - 1.5) * 2 * noiseSd;
      const s = spec ? spec[y * w + x]! : 0;
      const o = (y * w + x) * 3;
      final[o] = Math.max(0, Math.min(255, (r + s) * light * tint[0] * gain + n));
      final[o + 1] = Math.max(0, Math.min(255, (g + s) * light * tint[1] * gain + n));
      final[o + 2] = Math.max(0, Math.min(255, (b + s) * light * tint[2] * gain + n));
    }
  }

  const sigma = between(rng, p.blur);
  const quality = Math.round(between(rng, p.jpeg));
  let img = sharp(final, { raw: { width: w, height: h, channels: 3 } });
  if (sigma >= 0.3) img = img.blur(sigma);
  const jpeg = await img.jpeg({ quality }).toBuffer();

  const toOut = (q: Point): Point => {
    if (!srcToOut) return q;
    const o = applyH(srcToOut, q);
    return lens ? undistort(o, lens, w, h) : o;
  };
  const labels = placed.map(({ label }) => {
    if (!srcToOut) return label;
    const corners = label.corners.map(toOut) as RenderedLabel["corners"];
    return { ...label, corners, center: toOut(label.center) };
  });
  const hazardBoxes = drawnHazards.map(({ box: { kind, box } }, i): HazardBox => {
    const [x0, y0, x1, y1] = box;
    const pts = [x0, (x0 + x1) / 2, x1].flatMap((x) => [y0, (y0 + y1) / 2, y1].map((y) => toOut([x, y])));
    const xs = pts.map((q) => Math.max(0, Math.min(w, q[0])));
    const ys = pts.map((q) => Math.max(0, Math.min(h, q[1])));
    const { px, box: vb } = seen[i]!;
    return {
      kind,
      box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
      visible: { share: px / (w * h), box: px ? vb : null },
    };
  });
  return { jpeg, width: w, height: h, labels, jpegQuality: quality, hazards: hazardBoxes };
}

/**
 * For each pixel of the composed scene, which hazard (1-based; 0: none) changed it by at least
 * VISIBLE_LEVELS: the scene with hazards against the same scene without them, a changed pixel
 * given to the first hazard whose drawn box holds it.
 */
function hazardPixels(
  withHazards: Buffer,
  without: Buffer,
  drawn: readonly (readonly [number, number, number, number])[],
  w: number,
  h: number,
): Uint8Array {
  // The drawn extents, grown by a fifth: soft rims and glints reach a little past them.
  const boxes = drawn.map(([x0, y0, x1, y1]) => {
    const mx = (x1 - x0) * 0.2;
    const my = (y1 - y0) * 0.2;
    return [x0 - mx, y0 - my, x1 + mx, y1 + my] as const;
  });
  const out = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const o = i * 3;
    const d = Math.max(
      Math.abs(withHazards[o]! - without[o]!),
      Math.abs(withHazards[o + 1]! - without[o + 1]!),
      Math.abs(withHazards[o + 2]! - without[o + 2]!),
    );
    if (d < VISIBLE_LEVELS) continue;
    const x = i % w;
    const y = (i - x) / w;
    const k = boxes.findIndex(([x0, y0, x1, y1]) => x >= x0 && x < x1 && y >= y0 && y < y1);
    if (k >= 0) out[i] = k + 1;
  }
  return out;
}

/** Lens distortion: where an output pixel samples the undistorted image (k1 on the half-diagonal radius). */
function distort([x, y]: Point, k: number, w: number, h: number): Point {
  const half = Math.hypot(w, h) / 2;
  const dx = (x - w / 2) / half;
  const dy = (y - h / 2) / half;
  const f = 1 + k * (dx * dx + dy * dy);
  return [w / 2 + dx * f * half, h / 2 + dy * f * half];
}

/** The output pixel that samples this undistorted point (inverse of `distort`, by fixed point). */
function undistort([x, y]: Point, k: number, w: number, h: number): Point {
  const half = Math.hypot(w, h) / 2;
  const px = (x - w / 2) / half;
  const py = (y - h / 2) / half;
  let qx = px;
  let qy = py;
  for (let i = 0; i < 8; i++) {
    const f = 1 + k * (qx * qx + qy * qy);
    qx = px / f;
    qy = py / f;
  }
  return [w / 2 + qx * half, h / 2 + qy * half];
}

/** Renders a 1920x1080 (by default) JPEG shelf photograph; deterministic for a given seed. */
export async function renderShelf(scene: ShelfScene): Promise<Buffer> {
  return (await renderShelfDetailed(scene)).jpeg;
}
