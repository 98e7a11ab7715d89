// Reads every QR label in a shelf photograph. One full-frame zxing pass finds almost all of them;
// the few it misses are small, blurred or glared labels, which zxing usually reads once their
// region is cut out and upscaled, so a cheap high-contrast-region search feeds a second pass.
//
// The full-frame pass hands zxing the compressed image itself, exactly like a plain readBarcodes
// call, so it decodes inside wasm on the main thread. Meanwhile sharp decodes the same bytes to a
// grey buffer on libuv's thread pool; that buffer feeds the second pass and the quality scores, and
// its decode is mostly hidden behind detection instead of running in front of it.
import sharp from "sharp";
import { type ReaderOptions, type ReadResult, readBarcodes } from "zxing-wasm";
import {
  type FinderPattern,
  findFinderPatterns,
  looksFlat,
  pickPairs,
  pickTriples,
  type Region,
  readCurvedPair,
  readCurvedTriple,
  readFlattened,
  type Triple,
  tripleBounds,
} from "./curved-read.js";
import { allocPgm } from "./pgm.js";
import { ensureZxing } from "./zxing-module.js";

export type Point = [number, number];

export interface QrCode {
  text: string;
  /** Symbol corners in full-frame pixels: top-left, top-right, bottom-right, bottom-left. */
  corners: [Point, Point, Point, Point];
  /** 1 for a full-frame read; lower for reads that needed an upscaled crop. */
  confidence: number;
}

/**
 * Wall-clock phases of one decode, in ms; they run back to back, so they add up to `ms` (less the
 * one-off reader start-up on the first call). sharp's decode runs concurrently with `detect`, so
 * only the part of it that outlasts detection shows up, as `decode_jpeg`.
 */
export interface DecodeTimings {
  /**
   * sharp: compressed image to raw grey (green-channel) pixels, overlapped with `detect`; this is
   * the time spent still waiting for it once detection has finished (often close to 0).
   */
  decode_jpeg: number;
  /** Wrapping sharp's output as the grey image: free for one-channel output, a copy otherwise. */
  greyscale: number;
  /** The full-frame zxing pass, including zxing's own in-wasm decode of the compressed image. */
  detect: number;
  /** Candidate-region search plus upscaled re-reads (just the search when it finds nothing). */
  second_pass: number;
}

export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A label-like region (pixels) with QR finder patterns that yielded no code. */
export interface UnreadLabel {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface DecodeResult {
  codes: QrCode[];
  /** Labels seen but not read, so the technician can be asked to turn a bottle. */
  unread: UnreadLabel[];
  ms: number;
  timings: DecodeTimings;
  /** The luminance buffer the codes were read from, for quality scoring without a second decode. */
  grey: GreyImage;
}

export interface DecodeOptions {
  /** Defaults to true; false gives the single full-frame pass only. */
  secondPass?: boolean;
}

const LILO_CODE = /^LILO:C:[0-9A-Z]{6,}$/;

/** True for payloads L.I.L.O. printed itself; anything else may be recorded but not trusted. */
export function isLiloCode(text: string): boolean {
  return LILO_CODE.test(text);
}

/**
 * Printed labels default to Data Matrix (it read best on bottles, bench:labels); QR, Micro QR and rMQR
 * are vendor and older labels. Asking zxing for all four costs no measurable time over QR alone
 * (24–28 ms per 1080p shelf either way).
 */
export const LABEL_FORMATS: ReaderOptions["formats"] = ["QRCode", "DataMatrix", "MicroQRCode", "RMQRCode"];

const FULL_FRAME: ReaderOptions = {
  formats: LABEL_FORMATS,
  tryHarder: true,
  // Labels are dark-on-light, so tryInvert only costs time; a Data Matrix turned a quarter (the vial
  // label's 12×26 along the axis) is found only with tryRotate.
  tryRotate: true,
  tryInvert: false,
  tryDownscale: true,
  maxNumberOfSymbols: 255,
};

const CROP: ReaderOptions = {
  formats: LABEL_FORMATS,
  tryHarder: true,
  tryRotate: false,
  tryInvert: false,
  tryDownscale: true,
  maxNumberOfSymbols: 4,
};

interface CropAttempt {
  scale: number;
  sharpen: boolean;
  confidence: number;
}

/**
 * Re-reads of a candidate region, cheapest and most often successful first; later ones only run
 * where the earlier ones failed. Measured on the bench's shelves, sharpening before a 1.5x upscale
 * wins most often, plain 1.5x catches a few that sharpening breaks, and the tiniest blurred
 * symbols (~2.2 px/module) need 2-3x. zxing's tryDenoise never added a read over these.
 */
const CROP_ATTEMPTS: CropAttempt[] = [
  { scale: 1.5, sharpen: true, confidence: 0.9 },
  { scale: 1.5, sharpen: false, confidence: 0.85 },
  { scale: 2, sharpen: true, confidence: 0.8 },
  { scale: 3, sharpen: true, confidence: 0.75 },
  // The full-frame pass reads zxing's own decode of the JPEG, not this green channel; the odd
  // glare-washed label reads only here, unscaled and unsharpened, and it is the cheapest attempt.
  { scale: 1, sharpen: false, confidence: 0.7 },
];

/** Threshold window (px each way) for the second finder search, the one for blurred small symbols. */
const FINE_RADIUS = 4;
/** Cell edge in pixels for the candidate-region search. */
const CELL = 16;
const MAX_CANDIDATES = 16;
/** Pixels of oversized blobs searched for finder patterns per image (their threshold pass costs). */
const MAX_FINDER_SEARCH_PX = 600_000;
/** Sampling every fourth row of a cell is enough to tell a symbol from grain and noise. */
const ROW_STEP = 4;
/** Mean absolute 2 px luminance step in a cell; noise and grain stay well below it. */
const EDGE_MIN = 12;
/** Dark-module to paper contrast, after 2x2 averaging. */
const RANGE_MIN = 70;

// The reader and its wasm heap are single-threaded; queueing keeps per-call timings honest
// when several images are submitted at once.
let queue: Promise<unknown> = Promise.resolve();

function serial<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

/** Decodes every QR code in a JPEG/PNG (anything sharp reads). Rejects on an unreadable image. */
export function decodeQrCodes(
  image: Buffer | Uint8Array,
  options: DecodeOptions = {},
): Promise<DecodeResult> {
  return serial(() => decodeNow(image, options));
}

async function decodeNow(image: Buffer | Uint8Array, options: DecodeOptions): Promise<DecodeResult> {
  const t0 = performance.now();
  await ensureZxing();
  const tReady = performance.now();
  // The green channel stands in for luminance: black-on-white print has the same contrast in it,
  // it carries most of the sensor's signal, and it comes out of libvips at no extra cost, whereas
  // sharp's greyscale() linearises to scRGB first and triples the decode time. toBuffer() queues
  // the work on libuv's thread pool at once, so it proceeds while the wasm call below holds the
  // main thread.
  const decoding = sharp(image)
    .toColourspace("srgb")
    .extractChannel(1)
    .raw()
    .toBuffer({ resolveWithObject: true });
  // If the zxing pass throws first, this rejection is never awaited; keep it from surfacing as an
  // unhandled one. Awaiting `decoding` below still sees the original error.
  decoding.catch(() => undefined);
  let first = await readBarcodes(image, FULL_FRAME);
  const tDetect = performance.now();
  const { data, info } = await decoding;
  const tDecoded = performance.now();
  const grey = toGrey(data, info.width, info.height, info.channels);
  const tGrey = performance.now();
  // zxing's built-in loader (stb_image) knows JPEG, PNG, BMP and GIF but not, say, WebP or TIFF,
  // which sharp does: it then returns a lone format-less error instead of throwing, and the
  // full-frame pass is redone on sharp's pixels. Counted in `second_pass`; it is rare.
  if (first.length === 1 && !first[0]!.format && first[0]!.error) {
    first = await readBarcodes(toPgm(grey), FULL_FRAME);
  }
  const codes = first.filter((r) => r.isValid && r.text).map((r) => toCode(r, 0, 0, 1, 1, 1));
  const unread = options.secondPass !== false ? await secondPass(grey, codes) : [];
  const tEnd = performance.now();
  return {
    codes: dedupe(codes),
    unread,
    ms: tEnd - t0,
    timings: {
      decode_jpeg: tDecoded - tDetect,
      greyscale: tGrey - tDecoded,
      detect: tDetect - tReady,
      second_pass: tEnd - tGrey,
    },
    grey,
  };
}

/** sharp's one-channel output is used as is; colour input gets the luminance weights zxing uses. */
function toGrey(data: Uint8Array, width: number, height: number, channels: number): GreyImage {
  const n = width * height;
  if (channels === 1) return { data: data.subarray(0, n), width, height };
  const out = new Uint8Array(n);
  if (channels === 2) {
    for (let i = 0, j = 0; i < n; i++, j += channels) out[i] = data[j]!;
  } else {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      out[i] = (306 * data[j]! + 601 * data[j + 1]! + 117 * data[j + 2]! + 512) >> 10;
    }
  }
  return { data: out, width, height };
}

function toPgm(grey: GreyImage): Uint8Array {
  const pgm = allocPgm(grey.width, grey.height);
  pgm.grey.data.set(grey.data);
  return pgm.file;
}

/** Maps a read from crop coordinates (offset, scaled) back to the full frame. */
function toCode(
  r: ReadResult,
  offX: number,
  offY: number,
  scaleX: number,
  scaleY: number,
  confidence: number,
): QrCode {
  const p = r.position;
  const map = (q: { x: number; y: number }): Point => [
    round1(q.x / scaleX + offX),
    round1(q.y / scaleY + offY),
  ];
  return {
    text: r.text,
    corners: [map(p.topLeft), map(p.topRight), map(p.bottomRight), map(p.bottomLeft)],
    confidence,
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function dedupe(codes: QrCode[]): QrCode[] {
  const byText = new Map<string, QrCode>();
  for (const c of codes) {
    const prev = byText.get(c.text);
    if (!prev || c.confidence > prev.confidence) byText.set(c.text, c);
  }
  return [...byText.values()];
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  score: number;
}

/**
 * Finds compact high-contrast, edge-dense regions not covered by a decoded code, and re-reads them
 * upscaled. Printed QR modules give both a near-full black-to-white range and many transitions
 * per row, which wood grain, noise and container edges rarely do together.
 */
/** Re-reads label-like regions; returns those that still hold finder patterns but no readable code. */
async function secondPass(grey: GreyImage, codes: QrCode[]): Promise<UnreadLabel[]> {
  const rejected: Box[] = [];
  const boxes = candidateRegions(grey, codes, rejected);
  const unread: UnreadLabel[] = [];
  for (const box of boxes) {
    // One threshold pass per box serves the curved reads, the choice of re-reads and the
    // unread-label check.
    const padded = padBox(box);
    let finders = findFinderPatterns(grey, padded);
    let triple = pickTriples(finders, 1)[0];
    // Blur merges a small finder's one-module rings with its core and separator against the
    // default threshold window (an eighth of the region); a window of a few pixels keeps them
    // apart. Searched only when the default search gives no symbol, or one that will not read.
    let fine: FinderPattern[] | undefined;
    const fineTriple = () => {
      fine ??= findFinderPatterns(grey, padded, FINE_RADIUS);
      return pickTriples(fine, 1)[0];
    };
    if (!triple) {
      triple = fineTriple();
      if (triple) finders = fine!;
    }
    let hits: QrCode[] = [];
    // A label wrapped round a bottle: its bent rows defeat every plain re-read, so unwrap it first.
    const bent = !!triple && !looksFlat(triple);
    if (bent) hits = await readCurvedTriple(grey, triple!, 0.6);
    if (!hits.length && triple) {
      const other = fineTriple();
      if (other && !looksFlat(other) && !sameTriple(other, triple))
        hits = await readCurvedTriple(grey, other, 0.6);
    }
    // The symbol's own finder patterns tell its module size: upscaling past ~4 px per module only
    // costs time.
    const sized = triple ? [triple.corner, triple.along, triple.across] : finders;
    const modulePx = sized.length ? Math.min(...sized.map((f) => Math.min(f.width, f.height))) / 7 : 0;
    let crop: Crop | undefined;
    for (const attempt of CROP_ATTEMPTS) {
      if (hits.length) break;
      // A bent label read neither unwrapped nor as a grid gets only the sharpened re-reads: over
      // both benches the plain ones never read one.
      if (bent && !attempt.sharpen) continue;
      if (attempt.scale > 1.5 && modulePx * attempt.scale > 8) continue;
      crop ??= new Crop(grey, box);
      hits = await readCrop(crop, attempt);
    }
    if (!hits.length && finders.length >= 2) {
      // Two finders and no read: the third may be hidden behind a neighbour or cut by the
      // bottle's edge; failing that, a glare stripe may have washed the symbol out.
      for (const [a, b] of pickPairs(finders, 1)) hits = await readCurvedPair(grey, a, b);
      if (!hits.length) hits = await readFlattened(grey, padded);
    }
    addNew(codes, hits);
    // Two finder patterns and no code: a label is there but could not be read (turned away, bent,
    // glared). Text and other clutter rarely show two 1:1:3:1:1 patterns.
    const inBox = (f: FinderPattern) => f.x >= box.x0 && f.x < box.x1 && f.y >= box.y0 && f.y < box.y1;
    if (hits.length === 0 && finders.filter(inBox).length >= 2) {
      unread.push({ x: box.x0, y: box.y0, w: box.x1 - box.x0, h: box.y1 - box.y0 });
    }
  }
  // Labels side by side, or touching a bottle's edge, chain into one blob too large or elongated
  // to be a candidate: search those blobs for finder triples and read each triple's symbol, then
  // for pairs of finders whose third is hidden.
  let budget = MAX_FINDER_SEARCH_PX;
  for (const blob of rejected) {
    const area = (blob.x1 - blob.x0) * (blob.y1 - blob.y0);
    if (area > budget) continue;
    budget -= area;
    const finders = findFinderPatterns(grey, padBox(blob)).filter((f) => !insideCode(codes, f.x, f.y));
    if (finders.length < 2) continue;
    for (const t of pickTriples(finders)) {
      const b = tripleBounds(t);
      if (insideCode(codes, (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)) continue;
      addNew(codes, await readCurvedTriple(grey, t, 0.6));
    }
    for (const [a, b] of pickPairs(
      finders.filter((f) => !insideCode(codes, f.x, f.y)),
      2,
    ))
      addNew(codes, await readCurvedPair(grey, a, b));
  }
  return unread;
}

/** True when two triples are the same three finders (within 3 px each). */
function sameTriple(a: Triple, b: Triple): boolean {
  const near = (p: FinderPattern, q: FinderPattern) => Math.hypot(p.x - q.x, p.y - q.y) < 3;
  return near(a.corner, b.corner) && near(a.along, b.along) && near(a.across, b.across);
}

/** A candidate box grown by two cells each way: room for a label's quiet zone and finders. */
function padBox(box: Region): Region {
  const pad = CELL * 2;
  return { x0: box.x0 - pad, y0: box.y0 - pad, x1: box.x1 + pad, y1: box.y1 + pad };
}

/** Adds the codes whose text is not already among `codes`. */
function addNew(codes: QrCode[], hits: readonly QrCode[]): void {
  for (const h of hits) if (!codes.some((c) => c.text === h.text)) codes.push(h);
}

/** True when (x, y) lies in the bounding box of a decoded code. */
function insideCode(codes: readonly QrCode[], x: number, y: number): boolean {
  return codes.some((c) => {
    const xs = c.corners.map((q) => q[0]);
    const ys = c.corners.map((q) => q[1]);
    return x >= Math.min(...xs) && x <= Math.max(...xs) && y >= Math.min(...ys) && y <= Math.max(...ys);
  });
}

/**
 * Label-like regions, best first. Blobs of hot cells too large or elongated to be one symbol are
 * appended to `rejected` when given.
 */
function candidateRegions(grey: GreyImage, codes: readonly QrCode[], rejected?: Box[]): Box[] {
  const { data, width, height } = grey;
  const cw = Math.floor(width / CELL);
  const ch = Math.floor(height / CELL);
  const hot = new Uint8Array(cw * ch);
  const score = new Float32Array(cw * ch);
  const edges = new Uint32Array(cw);
  const rowsPerCell = Math.ceil((CELL - 1) / ROW_STEP);
  const samplesPerCell = rowsPerCell * (CELL / 2);
  for (let cy = 0; cy < ch; cy++) {
    edges.fill(0);
    // Row-major sweep, two pixels per step: contiguous reads and integer-only arithmetic. A
    // module is at least ~2 px wide, so a 2 px difference still sees every transition.
    for (let y = cy * CELL + 1; y < cy * CELL + CELL; y += ROW_STEP) {
      const row = y * width;
      let prev = data[row]!;
      let x = 2;
      for (let cx = 0; cx < cw; cx++) {
        let acc = 0;
        for (const end = (cx + 1) * CELL; x < end; x += 2) {
          const v = data[row + x]!;
          acc += v > prev ? v - prev : prev - v;
          prev = v;
        }
        edges[cx]! += acc;
      }
    }
    for (let cx = 0; cx < cw; cx++) {
      const mean = edges[cx]! / samplesPerCell;
      if (mean <= EDGE_MIN) continue;
      // Only edge-dense cells pay for the range check; a 2x2 mean ignores lone noisy pixels.
      let lo = 255;
      let hi = 0;
      for (let y = cy * CELL; y < cy * CELL + CELL; y += 2) {
        const row = y * width + cx * CELL;
        for (let x = 0; x < CELL; x += 2) {
          const m =
            (data[row + x]! + data[row + x + 1]! + data[row + width + x]! + data[row + width + x + 1]!) >> 2;
          if (m < lo) lo = m;
          if (m > hi) hi = m;
        }
      }
      const range = hi - lo;
      if (range > RANGE_MIN) {
        hot[cy * cw + cx] = 1;
        score[cy * cw + cx] = mean * range;
      }
    }
  }

  // A decoded symbol and its own label (paper edge, printed text strip) must not seed a region,
  // or its hot cells would chain into the container outline and be re-read for nothing.
  for (const c of codes) {
    const xs = c.corners.map((q) => q[0]);
    const ys = c.corners.map((q) => q[1]);
    const gx = (Math.max(...xs) - Math.min(...xs)) * 0.4;
    const gy = (Math.max(...ys) - Math.min(...ys)) * 0.4;
    const cx0 = Math.max(0, Math.floor((Math.min(...xs) - gx) / CELL));
    const cx1 = Math.min(cw - 1, Math.floor((Math.max(...xs) + gx) / CELL));
    const cy0 = Math.max(0, Math.floor((Math.min(...ys) - gy) / CELL));
    const cy1 = Math.min(ch - 1, Math.floor((Math.max(...ys) + gy) / CELL));
    for (let y = cy0; y <= cy1; y++) hot.fill(0, y * cw + cx0, y * cw + cx1 + 1);
  }

  const boxes: Box[] = [];
  const seen = new Uint8Array(cw * ch);
  const stack: number[] = [];
  for (let i = 0; i < hot.length; i++) {
    if (!hot[i] || seen[i]) continue;
    let x0 = cw;
    let y0 = ch;
    let x1 = -1;
    let y1 = -1;
    let n = 0;
    let total = 0;
    stack.push(i);
    seen[i] = 1;
    while (stack.length) {
      const j = stack.pop()!;
      const x = j % cw;
      const y = (j - x) / cw;
      n++;
      total += score[j]!;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      // 8-connectivity so a rotated symbol's diagonal cells stay one region.
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= cw || ny >= ch) continue;
          const k = ny * cw + nx;
          if (hot[k] && !seen[k]) {
            seen[k] = 1;
            stack.push(k);
          }
        }
      }
    }
    const bw = (x1 - x0 + 1) * CELL;
    const bh = (y1 - y0 + 1) * CELL;
    // Labels are 60-160 px printed squares at the shelf camera's 1080p framing: the smallest still
    // spans 3 cells, so thinner blobs are container edges and glass highlights, and far larger or
    // elongated ones are not a symbol either.
    const box = { x0: x0 * CELL, y0: y0 * CELL, x1: (x1 + 1) * CELL, y1: (y1 + 1) * CELL, score: total };
    if (n < 4 || Math.min(bw, bh) < 3 * CELL) continue;
    if (bw > 360 || bh > 360 || Math.max(bw, bh) > 2.5 * Math.min(bw, bh)) {
      rejected?.push(box);
      continue;
    }
    boxes.push(box);
  }
  boxes.sort((a, b) => b.score - a.score);
  rejected?.sort((a, b) => b.score - a.score);
  return boxes.slice(0, MAX_CANDIDATES);
}

/** A candidate region cut out once for all its re-reads, plain and (lazily) sharpened. */
class Crop {
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  readonly plain: Uint8Array;
  private sharp?: Uint8Array;

  constructor(grey: GreyImage, box: Box) {
    const p = padBox(box);
    this.x0 = Math.max(0, p.x0);
    this.y0 = Math.max(0, p.y0);
    this.w = Math.min(grey.width, p.x1) - this.x0;
    this.h = Math.min(grey.height, p.y1) - this.y0;
    this.plain = new Uint8Array(this.w * this.h);
    for (let y = 0; y < this.h; y++) {
      const from = (this.y0 + y) * grey.width + this.x0;
      this.plain.set(grey.data.subarray(from, from + this.w), y * this.w);
    }
  }

  pixels(sharpen: boolean): Uint8Array {
    if (!sharpen) return this.plain;
    this.sharp ??= unsharp(this.plain, this.w, this.h);
    return this.sharp;
  }
}

async function readCrop(crop: Crop, attempt: CropAttempt): Promise<QrCode[]> {
  const { w: sw, h: sh } = crop;
  const src = crop.pixels(attempt.sharpen);
  const ow = Math.round(sw * attempt.scale);
  const oh = Math.round(sh * attempt.scale);
  const pgm = allocPgm(ow, oh);
  const out = pgm.grey.data;
  if (ow === sw && oh === sh) out.set(src);
  else {
    // Bilinear upscale in JS: a sharp resize per attempt cost as much as the re-read itself, and
    // over the bench it recovered no more symbols than cubic did. Column taps are the same for
    // every row, so they are worked out once.
    const ix = new Int32Array(ow);
    const ax = new Float32Array(ow);
    for (let x = 0; x < ow; x++) {
      const fx = Math.min(sw - 1.001, Math.max(0, (x + 0.5) / attempt.scale - 0.5));
      ix[x] = fx | 0;
      ax[x] = fx - ix[x]!;
    }
    for (let y = 0; y < oh; y++) {
      const fy = Math.min(sh - 1.001, Math.max(0, (y + 0.5) / attempt.scale - 0.5));
      const iy = fy | 0;
      const ay = fy - iy;
      const r0 = iy * sw;
      const r1 = r0 + sw;
      const o = y * ow;
      for (let x = 0; x < ow; x++) {
        const i = ix[x]!;
        const a = ax[x]!;
        const top = src[r0 + i]! + (src[r0 + i + 1]! - src[r0 + i]!) * a;
        const bot = src[r1 + i]! + (src[r1 + i + 1]! - src[r1 + i]!) * a;
        out[o + x] = top + (bot - top) * ay + 0.5;
      }
    }
  }
  const res = await readBarcodes(pgm.file, CROP);
  return res
    .filter((r) => r.isValid && r.text)
    .map((r) => toCode(r, crop.x0, crop.y0, ow / sw, oh / sh, attempt.confidence));
}

/**
 * Unsharp mask with a 3x3 binomial blur, amount 1: undoes part of the optical blur that merges
 * 2 px modules. Done here because sharp's sharpen() works in LAB and costs more than the decode.
 */
function unsharp(src: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(src);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const blur =
        (src[i - w - 1]! +
          2 * src[i - w]! +
          src[i - w + 1]! +
          2 * src[i - 1]! +
          4 * src[i]! +
          2 * src[i + 1]! +
          src[i + w - 1]! +
          2 * src[i + w]! +
          src[i + w + 1]!) >>
        4;
      const v = 2 * src[i]! - blur;
      out[i] = Math.max(0, Math.min(255, v));
    }
  }
  return out;
}
