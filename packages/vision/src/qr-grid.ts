// Reads a QR symbol's module grid directly once its three finder patterns are known, with soft
// decisions: each module's darkness is measured against a threshold local to it, a codeword is as
// trustworthy as its least certain bit, and the error correction is told which codewords to
// distrust (erasures), where zxing must spend two check symbols to find and fix each one blind.
// That recovers symbols a neighbour half-hides or blur has greyed: both leave many modules
// uncertain rather than confidently wrong. The tables (versions, block layout) and the bit-stream
// parser come from @zxing/library; sampling, the soft decisions and the erasure decoding are ours.
import zxing from "@zxing/library";
import type { Vec2 } from "./curved-unwrap.js";
import { erasureGuesses, rsDecode, rsSyndromes } from "./reed-solomon.js";
import type { GreyImage } from "./types.js";

const { QRCodeVersion, QRCodeDecoderErrorCorrectionLevel, QRCodeDecodedBitStreamParser } = zxing;
type Version = zxing.QRCodeVersion;
type EcLevel = zxing.QRCodeDecoderErrorCorrectionLevel;

export interface GridFinders {
  /** Centres of the top-left, top-right and bottom-left finder patterns, image px. */
  tl: Vec2;
  tr: Vec2;
  bl: Vec2;
  /** Module size, px. */
  modulePx: number;
}

export interface GridRead {
  text: string;
  /** The symbol's outer corners, image px: top-left, top-right, bottom-right, bottom-left. */
  corners: [Vec2, Vec2, Vec2, Vec2];
  errors: number;
  erasures: number;
}

/** Check symbols every block keeps unused after its corrections: what guards a guess. */
const MARGIN = 3;
const MAX_VERSION = 10;

/** The 32 format words (BCH(15,5) of error-correction level and mask, XOR 0x5412), by their data. */
const FORMAT_WORDS = Array.from({ length: 32 }, (_, d) => {
  let rem = d << 10;
  for (let b = 14; b >= 10; b--) if (rem & (1 << b)) rem ^= 0x537 << (b - 10);
  return ((d << 10) | rem) ^ 0x5412;
});

/** Module indices of the two copies of the format bits, most significant first. */
const formatCache = new Map<number, [Int32Array, Int32Array]>();
function formatModules(dim: number): [Int32Array, Int32Array] {
  let f = formatCache.get(dim);
  if (!f) {
    const one: number[] = [];
    for (let x = 0; x <= 5; x++) one.push(8 * dim + x);
    one.push(8 * dim + 7, 8 * dim + 8, 7 * dim + 8);
    for (let y = 5; y >= 0; y--) one.push(y * dim + 8);
    const two: number[] = [];
    for (let y = dim - 1; y >= dim - 7; y--) two.push(y * dim + 8);
    for (let x = dim - 8; x < dim; x++) two.push(8 * dim + x);
    f = [Int32Array.from(one), Int32Array.from(two)];
    formatCache.set(dim, f);
  }
  return f;
}

/** Is the module at (row, col) flipped by data mask `m`? */
function masked(m: number, i: number, j: number): boolean {
  switch (m) {
    case 0:
      return ((i + j) & 1) === 0;
    case 1:
      return (i & 1) === 0;
    case 2:
      return j % 3 === 0;
    case 3:
      return (i + j) % 3 === 0;
    case 4:
      return ((Math.floor(i / 2) + Math.floor(j / 3)) & 1) === 0;
    case 5:
      return (i * j) % 6 === 0;
    case 6:
      return (i * j) % 6 < 3;
    default:
      return ((i + j + ((i * j) % 3)) & 1) === 0;
  }
}

/**
 * Module indices (row * dimension + column) of each codeword's bits, most significant first, in
 * the order ISO 18004 places codewords: two-column strips from the right, up and down in turn,
 * around the finder, timing, alignment, format and version modules.
 */
const layoutCache = new Map<number, Int32Array[]>();
export function codewordLayout(version: Version | number): Int32Array[] {
  if (typeof version === "number") version = QRCodeVersion.getVersionForNumber(version);
  const dim = version.getDimensionForVersion();
  const cached = layoutCache.get(dim);
  if (cached) return cached;
  const fp = version.buildFunctionPattern();
  const out: Int32Array[] = [];
  let cur: number[] = [];
  let up = true;
  for (let j = dim - 1; j > 0; j -= 2) {
    if (j === 6) j--;
    for (let count = 0; count < dim; count++) {
      const i = up ? dim - 1 - count : count;
      for (let col = 0; col < 2; col++) {
        if (fp.get(j - col, i)) continue;
        cur.push(i * dim + (j - col));
        if (cur.length === 8) {
          out.push(Int32Array.from(cur));
          cur = [];
        }
      }
    }
    up = !up;
  }
  const total = version.getTotalCodewords();
  const layout = out.slice(0, total);
  layoutCache.set(dim, layout);
  return layout;
}

interface Block {
  /** Indices into the interleaved codeword sequence, in block order. */
  idx: number[];
  data: number;
}

/** How the codeword sequence interleaves the blocks (ISO 18004 8.6). */
function blockLayout(version: Version, ec: EcLevel): { blocks: Block[]; ecPerBlock: number } {
  const ecBlocks = version.getECBlocksForLevel(ec);
  const ecPerBlock = ecBlocks.getECCodewordsPerBlock();
  const blocks: Block[] = [];
  for (const b of ecBlocks.getECBlocks())
    for (let k = 0; k < b.getCount(); k++) blocks.push({ idx: [], data: b.getDataCodewords() });
  const maxData = Math.max(...blocks.map((b) => b.data));
  let p = 0;
  for (let i = 0; i < maxData; i++) for (const b of blocks) if (i < b.data) b.idx.push(p++);
  for (let i = 0; i < ecPerBlock; i++) for (const b of blocks) b.idx.push(p++);
  return { blocks, ecPerBlock };
}

/**
 * The symbol's format (error-correction level and mask) from soft module values: the 32 candidates
 * scored against both copies; null unless the best one agrees with the hard decisions in all but
 * six bits (a BCH(15,5) word corrects three per copy).
 */
function readFormat(soft: Float32Array, dim: number): { ec: EcLevel; mask: number } | null {
  const [copy, copy2] = formatModules(dim);
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let d = 0; d < 32; d++) {
    const w = FORMAT_WORDS[d]!;
    let s = 0;
    for (let k = 0; k < 15; k++) {
      const v = soft[copy[k]!]! + soft[copy2[k]!]!;
      s += (w >> (14 - k)) & 1 ? v : -v;
    }
    if (s > bestScore) {
      bestScore = s;
      best = d;
    }
  }
  const w = FORMAT_WORDS[best]!;
  let wrong = 0;
  for (let k = 0; k < 15; k++) {
    const bit = (w >> (14 - k)) & 1;
    if (soft[copy[k]!]! > 0 !== (bit === 1)) wrong++;
    if (soft[copy2[k]!]! > 0 !== (bit === 1)) wrong++;
  }
  if (wrong > 6) return null;
  return { ec: QRCodeDecoderErrorCorrectionLevel.forBits((best >> 3) & 3), mask: best & 7 };
}

/**
 * Decodes a grid of soft module values (row-major, positive = dark, magnitude = certainty in
 * 0..1). Tries the hard decisions first, then erasures: the least certain codewords, then strips
 * at the symbol's left or right edge (where a neighbour standing in front hides it).
 */
export function decodeSoftGrid(soft: Float32Array, version: Version): Omit<GridRead, "corners"> | null {
  const dim = version.getDimensionForVersion();
  if (soft.length !== dim * dim) return null;
  const format = readFormat(soft, dim);
  if (!format) return null;
  const { ec, mask } = format;

  const layout = codewordLayout(version);
  const n = layout.length;
  const value = new Uint8Array(n);
  const conf = new Float32Array(n);
  // Each codeword's leftmost and rightmost module column, for the edge-strip guesses.
  const left = new Int32Array(n).fill(dim);
  const right = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    let v = 0;
    let cf = 1;
    const pos = layout[c]!;
    for (let b = 0; b < 8; b++) {
      const p = pos[b]!;
      const i = Math.floor(p / dim);
      const j = p % dim;
      const s = soft[p]!;
      const bit = (s > 0 ? 1 : 0) ^ (masked(mask, i, j) ? 1 : 0);
      v = (v << 1) | bit;
      cf = Math.min(cf, Math.abs(s));
      if (j < left[c]!) left[c] = j;
      if (j > right[c]!) right[c] = j;
    }
    value[c] = v;
    conf[c] = cf;
  }

  const { blocks, ecPerBlock } = blockLayout(version, ec);
  const dataBytes: number[] = [];
  let errors = 0;
  let erasures = 0;
  const budget = ecPerBlock - MARGIN;
  for (const b of blocks) {
    // Least certain codewords first; strips at either edge (a neighbour standing in front).
    const byConf = b.idx.map((_, k) => k).sort((x, y) => conf[b.idx[x]!]! - conf[b.idx[y]!]!);
    const guesses = erasureGuesses(byConf, budget, [
      (k, width) => left[b.idx[k]!]! < width,
      (k, width) => right[b.idx[k]!]! >= dim - width,
    ]);
    let done: Uint8Array | null = null;
    const received = Uint8Array.from(b.idx, (c) => value[c]!);
    const syn = rsSyndromes(received, ecPerBlock);
    for (const g of guesses) {
      const blk = Uint8Array.from(received);
      const r = rsDecode(blk, ecPerBlock, g, MARGIN, syn);
      if (!r) continue;
      done = blk;
      errors += r.errors;
      erasures += r.erasures;
      break;
    }
    if (!done) return null;
    for (let k = 0; k < b.data; k++) dataBytes.push(done[k]!);
  }
  // The data codewords, block after block, are the bit stream.
  try {
    const res = QRCodeDecodedBitStreamParser.decode(Uint8Array.from(dataBytes), version, ec, null as never);
    const text = res.getText();
    if (!text) return null;
    return { text, errors, erasures };
  } catch {
    return null;
  }
}

/** Bilinear sample of a grey image; outside reads as the nearest edge pixel. */
/** Bilinear grey level at (x, y), pixel centres at half-integers, clamped to the image. */
export function sample(img: GreyImage, x: number, y: number): number {
  const { data, width, height } = img;
  const fx = Math.min(width - 1.001, Math.max(0, x - 0.5));
  const fy = Math.min(height - 1.001, Math.max(0, y - 0.5));
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const ax = fx - x0;
  const ay = fy - y0;
  const o = y0 * width + x0;
  const top = data[o]! * (1 - ax) + data[o + 1]! * ax;
  const bottom = data[o + width]! * (1 - ax) + data[o + width + 1]! * ax;
  return top * (1 - ay) + bottom * ay;
}

/** Grid.map's output, kept outside the object so the hot path allocates nothing. */
let mx = 0;
let my = 0;

/**
 * Module space to image: bilinear between the four finder-centre points (the fourth, bottom-right,
 * is where a fourth finder would be), which sit 3.5 modules in from the symbol's corners. Bilinear
 * rather than projective: what is left of a bottle's curve after the unwrap bends the grid more
 * like a taper than a perspective.
 */
class Grid {
  constructor(
    readonly dim: number,
    readonly tl: Vec2,
    readonly tr: Vec2,
    readonly br: Vec2,
    readonly bl: Vec2,
    /** Rows bowed down (modules, at mid-width) by what the unwrap left of the bottle's bend. */
    readonly bow = 0,
    /** Columns pushed right (a quarter of this, at mid-width) by what it left of the squeeze. */
    readonly squeeze = 0,
  ) {}

  at(c: number, r: number): Vec2 {
    this.map(c, r);
    return [mx, my];
  }

  /** Grey level at module coordinates. */
  grey(img: GreyImage, c: number, r: number): number {
    this.map(c, r);
    return sample(img, mx, my);
  }

  /** Maps module coordinates into (mx, my): no allocation, it runs a few hundred thousand times. */
  private map(c: number, r: number): void {
    const span = this.dim - 7;
    const u0 = (c - 3.5) / span;
    const u = u0 + this.squeeze * u0 * (1 - u0);
    const v = (r - 3.5) / span;
    const { tl, tr, br, bl } = this;
    const w00 = (1 - u) * (1 - v);
    const w10 = u * (1 - v);
    const w11 = u * v;
    const w01 = (1 - u) * v;
    const down = (4 * this.bow * u * (1 - u)) / span;
    mx = w00 * tl[0] + w10 * tr[0] + w11 * br[0] + w01 * bl[0] + down * (bl[0] - tl[0]);
    my = w00 * tl[1] + w10 * tr[1] + w11 * br[1] + w01 * bl[1] + down * (bl[1] - tl[1]);
  }

  with(bow: number, squeeze: number): Grid {
    return new Grid(this.dim, this.tl, this.tr, this.br, this.bl, bow, squeeze);
  }
}

/**
 * A grid on three finder centres, the bottom-right point completing the parallelogram, optionally
 * tapered: `taperRight` is the right edge's height over the left's, `taperBottom` the bottom
 * edge's width over the top's.
 */
function parallelogram(dim: number, tl: Vec2, tr: Vec2, bl: Vec2, taperRight = 1, taperBottom = 1): Grid {
  const br: Vec2 = [
    tl[0] + (tr[0] - tl[0]) * taperBottom + (bl[0] - tl[0]) * taperRight,
    tl[1] + (tr[1] - tl[1]) * taperBottom + (bl[1] - tl[1]) * taperRight,
  ];
  return new Grid(dim, tl, tr, br, bl);
}

/**
 * Where the bottom-right alignment pattern (versions 2 and up) really is, searched round the place
 * the grid predicts: dark centre, light ring one module out, dark ring two out. Returns the grid
 * moved to fit it, or the grid as it was when no pattern stands out.
 */
function fitAlignment(img: GreyImage, g: Grid): Grid {
  const at = g.dim - 6.5;
  let best: Vec2 | null = null;
  let bestScore = 0;
  const ring = (cx: number, cy: number, r: number) => {
    let s = 0;
    let k = 0;
    for (let dx = -r; dx <= r; dx++)
      for (let dy = -r; dy <= r; dy++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== r) continue;
        s += g.grey(img, cx + dx, cy + dy);
        k++;
      }
    return s / k;
  };
  const score = (cx: number, cy: number) => 2 * ring(cx, cy, 1) - g.grey(img, cx, cy) - ring(cx, cy, 2);
  // Half-module steps over two modules each way, then quarter steps round the best.
  for (const [step, reach, around] of [
    [0.5, 2, [at, at]],
    [0.25, 0.25, null],
  ] as [number, number, Vec2 | null][]) {
    const o: Vec2 = around ?? best ?? [at, at];
    const ox = o[0];
    const oy = o[1];
    for (let dy = -reach; dy <= reach + 1e-9; dy += step)
      for (let dx = -reach; dx <= reach + 1e-9; dx += step) {
        const sc = score(ox + dx, oy + dy);
        if (sc > bestScore) {
          bestScore = sc;
          best = [ox + dx, oy + dy];
        }
      }
  }
  if (!best || bestScore < 40) return g;
  // Solve the bilinear map for the bottom-right point that puts the pattern where it was found.
  const found = g.at(best[0], best[1]);
  const t = (at - 3.5) / (g.dim - 7);
  const { tl, tr, bl } = g;
  const br: Vec2 = [0, 1].map(
    (i) => (found[i]! - (1 - t) * (1 - t) * tl[i]! - t * (1 - t) * (tr[i]! + bl[i]!)) / (t * t),
  ) as Vec2;
  return new Grid(g.dim, tl, tr, br, bl, g.bow, g.squeeze);
}

const BOWS = [-1.5, -1.25, -1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.25, 1.5];
const SQUEEZES = [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6];

/**
 * Bends the grid's rows and squeezes its columns to fit the timing pattern along row 6: the
 * unwrap takes out most of a bottle's curve, but a hypothesis that is a little off leaves rows
 * bowed by a module or so across the symbol and columns narrower towards one side.
 */
function fitBow(img: GreyImage, g: Grid): Grid {
  let best = g;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const bow of BOWS)
    for (const squeeze of SQUEEZES) {
      const t = g.with(bow, squeeze);
      let score = 0;
      for (let c = 7; c <= g.dim - 8; c++) {
        // Timing modules alternate from dark at column 8; the light separator modules at both
        // ends (columns 7 and dim - 8) keep the fit from sliding along the row.
        const v = t.grey(img, c + 0.5, 6.5);
        score += c === 7 || c === g.dim - 8 || c & 1 ? v : -v;
      }
      // Penalise bends the timing row barely prefers.
      score -= 2 * (Math.abs(bow) + Math.abs(squeeze));
      if (score > bestScore) {
        bestScore = score;
        best = t;
      }
    }
  return best;
}

/** Grey level at each module centre of grid `g`, row-major. */
function sampleModules(img: GreyImage, g: Grid): Float32Array {
  const dim = g.dim;
  const grey = new Float32Array(dim * dim);
  for (let r = 0; r < dim; r++)
    for (let c = 0; c < dim; c++) grey[r * dim + c] = g.grey(img, c + 0.5, r + 0.5);
  return grey;
}

/**
 * Soft decisions on module grey levels (sampleModules) against a threshold local to each module
 * (the mean of the 7x7 modules round it, so a glare stripe or shadow moves it along).
 */
function softModules(grey: Float32Array, dim: number): Float32Array {
  // The symbol-wide ink-paper contrast: a floor for the local one, so a uniform patch (a hiding
  // neighbour, a washed-out stripe) reads as uncertain rather than as confident noise.
  const split = (vals: ArrayLike<number>): [number, number] => {
    let m = 0;
    for (let i = 0; i < vals.length; i++) m += vals[i]!;
    m /= vals.length;
    let lo = 0;
    let nl = 0;
    let hi = 0;
    let nh = 0;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i]!;
      if (v < m) {
        lo += v;
        nl++;
      } else {
        hi += v;
        nh++;
      }
    }
    return [nl ? lo / nl : m, nh ? hi / nh : m];
  };
  const [glo, ghi] = split(grey);
  const floor = Math.max(20, (ghi - glo) * 0.5);
  // Local mean and spread over the 7x7 modules round each one, from summed tables of the values
  // and their squares: the threshold sits between ink and paper wherever the window has both.
  const w = dim + 1;
  const sum = new Float64Array(w * w);
  const sq = new Float64Array(w * w);
  for (let r = 0; r < dim; r++)
    for (let c = 0; c < dim; c++) {
      const v = grey[r * dim + c]!;
      const o = (r + 1) * w + c + 1;
      sum[o] = v + sum[o - 1]! + sum[o - w]! - sum[o - w - 1]!;
      sq[o] = v * v + sq[o - 1]! + sq[o - w]! - sq[o - w - 1]!;
    }
  const soft = new Float32Array(dim * dim);
  const R = 3;
  for (let r = 0; r < dim; r++) {
    const y0 = Math.max(0, r - R);
    const y1 = Math.min(dim, r + R + 1);
    for (let c = 0; c < dim; c++) {
      const x0 = Math.max(0, c - R);
      const x1 = Math.min(dim, c + R + 1);
      const n = (y1 - y0) * (x1 - x0);
      const a = y1 * w + x1;
      const b = y0 * w + x1;
      const c0 = y1 * w + x0;
      const d = y0 * w + x0;
      const mean = (sum[a]! - sum[b]! - sum[c0]! + sum[d]!) / n;
      const sd = Math.sqrt(Math.max(0, (sq[a]! - sq[b]! - sq[c0]! + sq[d]!) / n - mean * mean));
      // Half the ink-paper gap of an even mix is one standard deviation.
      const half = Math.max(floor / 2, sd);
      const s = (mean - grey[r * dim + c]!) / half;
      soft[r * dim + c] = Math.max(-1, Math.min(1, s));
    }
  }
  return soft;
}

/** Module centres (column, row) of a pattern, each with the level expected there: +1 paper, -1 ink. */
interface ModuleTemplate {
  col: Float32Array;
  row: Float32Array;
  sign: Float32Array;
}

/** Builds (once per symbol size) the template that `fill` lists module by module. */
function moduleTemplate(
  cache: Map<number, ModuleTemplate>,
  dim: number,
  fill: (add: (c: number, r: number, dark: boolean) => void) => void,
): ModuleTemplate {
  const cached = cache.get(dim);
  if (cached) return cached;
  const col: number[] = [];
  const row: number[] = [];
  const sign: number[] = [];
  fill((c, r, dark) => {
    col.push(c + 0.5);
    row.push(r + 0.5);
    sign.push(dark ? -1 : 1);
  });
  const t = { col: Float32Array.from(col), row: Float32Array.from(row), sign: Float32Array.from(sign) };
  cache.set(dim, t);
  return t;
}

/** Ink in a finder pattern, by ring (Chebyshev distance from its centre module): core and outer ring. */
function finderInk(ring: number): boolean {
  return ring <= 1 || ring === 3;
}

/**
 * The fixed modules that pin the grid's right edge: the top-right finder pattern with its
 * separator and the timing pattern along row 6 leading to it. Transposed, the same modules pin the
 * bottom edge.
 */
const legTemplate = new Map<number, ModuleTemplate>();
function legModules(dim: number): ModuleTemplate {
  return moduleTemplate(legTemplate, dim, (add) => {
    for (let r = 0; r <= 7; r++)
      for (let c = dim - 8; c < dim; c++)
        add(c, r, finderInk(Math.max(Math.abs(c - (dim - 4)), Math.abs(r - 3))));
    for (let c = 8; c <= dim - 9; c++) add(c, 6, !(c & 1));
  });
}

/**
 * Every fixed module of a symbol: the three finder patterns with their separators, both timing
 * patterns and, from version 2, the bottom-right alignment pattern (the only one up to version 6).
 */
const fixedTemplate = new Map<number, ModuleTemplate>();
function fixedModules(dim: number): ModuleTemplate {
  return moduleTemplate(fixedTemplate, dim, (add) => {
    for (const [c0, r0] of [
      [0, 0],
      [dim - 7, 0],
      [0, dim - 7],
    ] as const)
      for (let r = -1; r <= 7; r++)
        for (let c = -1; c <= 7; c++) {
          if (c0 + c < 0 || r0 + r < 0 || c0 + c >= dim || r0 + r >= dim) continue;
          add(c0 + c, r0 + r, finderInk(Math.max(Math.abs(c - 3), Math.abs(r - 3))));
        }
    for (let k = 8; k <= dim - 9; k++) {
      add(k, 6, (k & 1) === 0);
      add(6, k, (k & 1) === 0);
    }
    if (dim > 21 && dim <= 41) {
      const a = dim - 7;
      for (let r = -2; r <= 2; r++)
        for (let c = -2; c <= 2; c++) add(a + c, a + r, Math.max(Math.abs(c), Math.abs(r)) !== 1);
    }
  });
}

/**
 * Normalised correlation of the grey levels under a template's modules with its signs (+1 paper,
 * -1 ink): a blank patch (a neighbour standing in front, the bottle beyond the label) scores
 * nothing rather than half. `transpose` swaps the template's rows and columns.
 */
function templateScore(img: GreyImage, g: Grid, t: ModuleTemplate, transpose = false): number {
  let sv = 0;
  let svv = 0;
  let stv = 0;
  let st = 0;
  const { col, row, sign } = t;
  const n = col.length;
  for (let k = 0; k < n; k++) {
    const v = transpose ? g.grey(img, row[k]!, col[k]!) : g.grey(img, col[k]!, row[k]!);
    const s = sign[k]!;
    sv += v;
    svv += v * v;
    stv += s * v;
    st += s;
  }
  const varV = svv - (sv * sv) / n;
  const varT = n - (st * st) / n;
  return varV > 1e-6 ? (stv - (st * sv) / n) / Math.sqrt(varV * varT) : 0;
}

/**
 * Moves each of the grid's four corner points, its bow and its squeeze, one at a time in shrinking
 * steps, while all the symbol's fixed modules together correlate better. The fits above each see
 * one pattern; when blur merges a finder's rings its centre is found up to half a module off, and
 * that skews all of them.
 */
function refineGrid(img: GreyImage, g: Grid): Grid {
  const t = fixedModules(g.dim);
  const mod = Math.hypot(g.tr[0] - g.tl[0], g.tr[1] - g.tl[1]) / (g.dim - 7);
  const p = [...g.tl, ...g.tr, ...g.br, ...g.bl, g.bow, g.squeeze];
  const make = (q: readonly number[]) =>
    new Grid(g.dim, [q[0]!, q[1]!], [q[2]!, q[3]!], [q[4]!, q[5]!], [q[6]!, q[7]!], q[8]!, q[9]!);
  let best = templateScore(img, g, t);
  for (const step of [0.5, 0.25, 0.125]) {
    for (let pass = 0; pass < 4; pass++) {
      let moved = false;
      for (let k = 0; k < p.length; k++)
        for (const dir of [-1, 1]) {
          const was = p[k]!;
          // Corner coordinates move in modules, bow and squeeze in their own units.
          p[k] = was + dir * step * (k < 8 ? mod : 0.5);
          const sc = templateScore(img, make(p), t);
          if (sc > best) {
            best = sc;
            moved = true;
          } else p[k] = was;
        }
      if (!moved) break;
    }
  }
  return make(p);
}

/**
 * Share of a module's ink that blur of `sigma` modules leaves on its own centre, on each of its
 * four edge neighbours' centres and on each diagonal one (a Gaussian over a square module).
 */
function spillWeights(sigma: number): [number, number, number] {
  // erf by Abramowitz and Stegun 7.1.26 (error below 1.5e-7).
  const x = 0.5 / (sigma * Math.SQRT2);
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const own = 1 - poly * Math.exp(-x * x);
  const next = (1 - own) / 2;
  return [own * own, own * next, next * next];
}

/** The spill weight (spillWeights) at offset (dr, dc) from a module, each within one. */
function spillAt(dr: number, dc: number, w: readonly number[]): number {
  return dr === 0 && dc === 0 ? w[0]! : dr === 0 || dc === 0 ? w[1]! : w[2]!;
}

/** Adds `amount` of darkness at module (r, c), spread by the spill weights, to `p` (dim x dim). */
function spread(
  p: Float32Array,
  dim: number,
  r: number,
  c: number,
  w: readonly number[],
  amount: number,
): void {
  for (let dr = -1; dr <= 1; dr++)
    for (let dc = -1; dc <= 1; dc++) {
      const rr = r + dr;
      const cc = c + dc;
      if (rr >= 0 && cc >= 0 && rr < dim && cc < dim) p[rr * dim + cc]! += spillAt(dr, dc, w) * amount;
    }
}

/** Sum of a summed-area table (row length `w`) over rows y0..y1-1 and columns x0..x1-1. */
function boxSum(tab: Float64Array, w: number, y0: number, x0: number, y1: number, x1: number): number {
  return tab[y1 * w + x1]! - tab[y0 * w + x1]! - tab[y1 * w + x0]! + tab[y0 * w + x0]!;
}

/** Blur spreads tried, in modules (sigma of the Gaussian). */
const SIGMAS = [0.25, 0.35, 0.45, 0.55, 0.65];

/**
 * Module decisions that take the blur out. Small modules blurred by a module's width or so leave
 * a lone dark module lighter than the mean round it and a lone light one darker, which the plain
 * decisions get wrong. Here each module's grey level is modelled as the local paper level plus
 * the local ink contrast times the blurred darkness of it and its eight neighbours (a Gaussian of
 * `sigma` modules, chosen to fit the fixed patterns); every data module is then set, four times
 * over, to whichever value explains its 3x3 neighbourhood better, starting from `start` (soft
 * decisions). Soft output, as softModules: positive = dark, the certainty from how much better the
 * choice explains it.
 */
function blurAwareModules(grey: Float32Array, dim: number, start: Float32Array): Float32Array {
  const n = dim * dim;
  const known = new Int8Array(n).fill(-1);
  const t = fixedModules(dim);
  for (let k = 0; k < t.col.length; k++)
    known[Math.floor(t.row[k]!) * dim + Math.floor(t.col[k]!)] = t.sign[k]! < 0 ? 1 : 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = known[i]! >= 0 ? known[i]! : start[i]! > 0 ? 1 : 0;
  // p: blurred darkness; a + b p: the grey level it predicts (b < 0: ink is dark).
  const p = new Float32Array(n);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const blur = (w: readonly number[]) => {
    p.fill(0);
    for (let r = 0; r < dim; r++)
      for (let c = 0; c < dim; c++) if (x[r * dim + c]) spread(p, dim, r, c, w, x[r * dim + c]!);
  };
  // Paper level and ink contrast by least squares over the 7x7 modules round each module, from
  // summed tables; a window too uniform to tell takes the symbol's.
  const w1 = dim + 1;
  const sp = new Float64Array(w1 * w1);
  const sg = new Float64Array(w1 * w1);
  const spp = new Float64Array(w1 * w1);
  const spg = new Float64Array(w1 * w1);
  const fitLevels = (y0: number, x0: number, y1: number, x1: number, out: Float64Array): void => {
    const m = (y1 - y0) * (x1 - x0);
    const P = boxSum(sp, w1, y0, x0, y1, x1);
    const G = boxSum(sg, w1, y0, x0, y1, x1);
    const vp = boxSum(spp, w1, y0, x0, y1, x1) - (P * P) / m;
    const slope = vp > 1e-9 ? (boxSum(spg, w1, y0, x0, y1, x1) - (P * G) / m) / vp : 0;
    out[0] = (G - slope * P) / m;
    out[1] = slope;
    out[2] = vp / m;
  };
  const local = new Float64Array(3);
  const levels = () => {
    for (let r = 0; r < dim; r++)
      for (let c = 0; c < dim; c++) {
        const pv = p[r * dim + c]!;
        const gv = grey[r * dim + c]!;
        const o = (r + 1) * w1 + c + 1;
        sp[o] = pv + sp[o - 1]! + sp[o - w1]! - sp[o - w1 - 1]!;
        sg[o] = gv + sg[o - 1]! + sg[o - w1]! - sg[o - w1 - 1]!;
        spp[o] = pv * pv + spp[o - 1]! + spp[o - w1]! - spp[o - w1 - 1]!;
        spg[o] = pv * gv + spg[o - 1]! + spg[o - w1]! - spg[o - w1 - 1]!;
      }
    fitLevels(0, 0, dim, dim, local);
    const ga = local[0]!;
    const gb = Math.min(local[1]!, -15);
    for (let r = 0; r < dim; r++)
      for (let c = 0; c < dim; c++) {
        fitLevels(Math.max(0, r - 3), Math.max(0, c - 3), Math.min(dim, r + 4), Math.min(dim, c + 4), local);
        const i = r * dim + c;
        // Some ink and some paper in the window, and ink darker than paper by at least 15 levels.
        const ok = local[2]! > 0.02 && local[1]! < -15;
        a[i] = ok ? local[0]! : ga;
        b[i] = ok ? local[1]! : gb;
      }
  };
  let w: readonly number[] = spillWeights(SIGMAS[0]!);
  let bestErr = Number.POSITIVE_INFINITY;
  for (const sigma of SIGMAS) {
    const ws = spillWeights(sigma);
    blur(ws);
    levels();
    let err = 0;
    for (let i = 0; i < n; i++) if (known[i]! >= 0) err += (grey[i]! - a[i]! - b[i]! * p[i]!) ** 2;
    if (err < bestErr) {
      bestErr = err;
      w = ws;
    }
  }
  const norm = w[0]! * w[0]! + 4 * w[1]! * w[1]! + 4 * w[2]! * w[2]!;
  const soft = new Float32Array(n);
  for (let it = 0; it < 4; it++) {
    blur(w);
    levels();
    for (let r = 0; r < dim; r++)
      for (let c = 0; c < dim; c++) {
        const i = r * dim + c;
        const cur = x[i]!;
        // Squared residuals over the neighbourhood with this module light, less with it dark.
        let d = 0;
        for (let dr = -1; dr <= 1; dr++)
          for (let dc = -1; dc <= 1; dc++) {
            const rr = r + dr;
            const cc = c + dc;
            if (rr < 0 || cc < 0 || rr >= dim || cc >= dim) continue;
            const j = rr * dim + cc;
            const h = spillAt(dr, dc, w);
            const light = grey[j]! - a[j]! - b[j]! * (p[j]! - h * cur);
            const dark = light - b[j]! * h;
            d += light * light - dark * dark;
          }
        soft[i] = Math.max(-1, Math.min(1, d / (b[i]! * b[i]! * norm)));
        const next = d > 0 ? 1 : 0;
        if (known[i]! >= 0 || next === cur) continue;
        x[i] = next;
        // Keep the blurred darkness current for the neighbours still to come.
        spread(p, dim, r, c, w, next - cur);
      }
  }
  return soft;
}

const SCALES = [0.88, 0.9, 0.92, 0.94, 0.96, 0.98, 1, 1.02, 1.04, 1.06, 1.08, 1.1, 1.12];
const SHIFTS = [-0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75];
const TAPERS = [0.88, 0.94, 1, 1.06, 1.12];

/**
 * Moves the top-right and bottom-left finder centres, and tapers the grid, to where the far
 * finders, their separators and the timing patterns (the alternating modules along row and column
 * 6) line up best. A finder that was hidden and placed by completing the symbol's L, or one the
 * bottle's curve squeezed, leaves the grid a module or two off across the symbol; the fixed
 * patterns that every QR symbol carries pin it back, from whatever part of them is visible.
 */
function fitLegs(img: GreyImage, dim: number, tl: Vec2, tr0: Vec2, bl0: Vec2): Grid {
  const span = dim - 7;
  const template = legModules(dim);
  // One leg at a time: `end` is moved by a scale along the leg and a shift (modules) across it,
  // and the opposite edge tapered; `transpose` swaps rows and columns for the bottom-left leg.
  const fitLeg = (end: Vec2, other: Vec2, transpose: boolean): { end: Vec2; taper: number } => {
    const leg: Vec2 = [(end[0] - tl[0]) / span, (end[1] - tl[1]) / span];
    const side: Vec2 = [(other[0] - tl[0]) / span, (other[1] - tl[1]) / span];
    // The leg's end moved by `scale` along the leg and `shift` modules across it.
    const endAt = (scale: number, shift: number): Vec2 => [
      tl[0] + span * (scale * leg[0] + (shift / span) * side[0]),
      tl[1] + span * (scale * leg[1] + (shift / span) * side[1]),
    ];
    const score = (scale: number, shift: number, taper: number): number => {
      const e = endAt(scale, shift);
      const g = transpose
        ? parallelogram(dim, tl, other, e, 1, taper)
        : parallelogram(dim, tl, e, other, taper);
      return templateScore(img, g, template, transpose);
    };
    // Coordinate descent: the three hardly interact, and a full sweep costs fifteen times more.
    const p = [1, 0, 1];
    const axes = [SCALES, SHIFTS, TAPERS];
    for (const k of [0, 1, 2]) {
      let bestScore = Number.NEGATIVE_INFINITY;
      let bestV = p[k]!;
      for (const v of axes[k]!) {
        const q = [...p];
        q[k] = v;
        const sc = score(q[0]!, q[1]!, q[2]!);
        if (sc > bestScore) {
          bestScore = sc;
          bestV = v;
        }
      }
      p[k] = bestV;
    }
    const [scale, shift, taper] = p as [number, number, number];
    return { end: endAt(scale, shift), taper };
  };
  const right = fitLeg(tr0, bl0, false);
  const bottom = fitLeg(bl0, right.end, true);
  return parallelogram(dim, tl, right.end, bottom.end, right.taper, bottom.taper);
}

/**
 * Reads the symbol whose finder centres are given: the version from their spacing (and its
 * neighbour when the spacing is between two), the grid from the finders, the fixed patterns and,
 * from version 2, the alignment pattern; then the soft decode, and where the format reads but the
 * codewords do not, a second one on the refitted grid with the blur modelled. Null when nothing
 * decodes.
 */
export function readQrGrid(img: GreyImage, f: GridFinders, versionHint?: number): GridRead | null {
  const { tl, modulePx } = f;
  if (!(modulePx > 0)) return null;
  const span =
    (Math.hypot(f.tr[0] - tl[0], f.tr[1] - tl[1]) + Math.hypot(f.bl[0] - tl[0], f.bl[1] - tl[1])) / 2;
  const est = (span / modulePx + 7 - 17) / 4;
  const v0 = Math.round(est);
  const tries = versionHint ? [versionHint] : [v0, est >= v0 ? v0 + 1 : v0 - 1];
  for (const v of tries) {
    if (v < 1 || v > MAX_VERSION) continue;
    const version = QRCodeVersion.getVersionForNumber(v);
    const dim = version.getDimensionForVersion();
    let g = fitLegs(img, dim, tl, f.tr, f.bl);
    g = fitBow(img, g);
    if (v >= 2) g = fitAlignment(img, g);
    const soft = softModules(sampleModules(img, g), dim);
    let res = decodeSoftGrid(soft, version);
    if (!res && readFormat(soft, dim)) {
      // The format reads but the codewords do not: the grid is close. Fit it on all the fixed
      // patterns at once and take the blur out of the module decisions.
      const fine = refineGrid(img, g);
      const grey = sampleModules(img, fine);
      res = decodeSoftGrid(blurAwareModules(grey, dim, softModules(grey, dim)), version);
      if (res) g = fine;
    }
    if (!res) continue;
    // Corners: the finder centres' grid extended to the symbol's edge.
    const corners: [Vec2, Vec2, Vec2, Vec2] = [g.at(0, 0), g.at(dim, 0), g.at(dim, dim), g.at(0, dim)];
    return { ...res, corners };
  }
  return null;
}
