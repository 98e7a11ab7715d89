// Reads every QR label in a shelf photograph. One full-frame zxing pass finds almost all of them;
// the few it misses are small, blurred or glared labels, which zxing usually reads once their
// region is cut out and upscaled, so a cheap high-contrast-region search feeds a second pass.
//
// The image is decoded once, by sharp (libvips), to a grey buffer; the full-frame zxing pass reads
// that buffer as a PGM file, and the second pass and the quality scores use it too. zxing decoding
// the JPEG itself inside wasm while sharp decoded it again beside it took 9 % more CPU per curved
// frame (bench/NOTEBOOK.md, 2026-12-07) for a wall-time gain within the flat bench's noise.
//
// The second pass (second-pass.ts) runs region by region on the decoder's worker threads, so on a
// four-core controller its regions are read side by side while the main thread stays free.
import sharp from "sharp";
import { type ReaderOptions, readBarcodes } from "zxing-wasm";
import { candidateRegions } from "./candidate-regions.js";
import { allocPgm } from "./pgm.js";
import { defaultPoolSize, RegionPool } from "./region-pool.js";
import { BLOB_STEPS, REGION_STEPS, type RegionResult, type RegionTask, toCode } from "./second-pass.js";
import type {
  DecodedLabel,
  DecodeHints,
  DecodeResult,
  GreyImage,
  LabelDecoder,
  LabelDecoderOptions,
  StepReport,
  UnreadLabel,
} from "./types.js";
import { ensureZxing, LABEL_FORMATS } from "./zxing-module.js";

const FULL_FRAME: ReaderOptions = {
  formats: LABEL_FORMATS,
  tryHarder: true,
  // A rectangular Data Matrix printed along a bottle's axis stands at 90° in the frame, and zxing's
  // Data Matrix reader needs the rotation tries for it (QR detection is rotation-invariant). Labels
  // are dark-on-light, so inversion only costs time.
  tryRotate: true,
  tryInvert: false,
  // The downscaled layers (a third and a ninth of the frame) read no code the full-size one missed
  // on any bench (578 flat, 28 curved QR and 17 Data Matrix full-frame reads, with and without
  // them) and cost a fifth of the pass: shelf labels are small, and a big blurred one is the
  // second pass's crop re-reads' (bench/NOTEBOOK.md, 2026-12-07, budget).
  tryDownscale: false,
  maxNumberOfSymbols: 255,
};

/** A label decoder with its own queue and worker threads; close it when done. */
export function createLabelDecoder(options: LabelDecoderOptions = {}): LabelDecoder {
  const pool = new RegionPool(options.workers ?? defaultPoolSize());
  const secondPass = options.secondPass !== false;
  // zxing's main-thread module and its wasm heap take one image at a time; queueing also keeps
  // per-call timings honest when several images are submitted at once.
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    decode(image, hints = {}) {
      if (closed) return Promise.reject(new Error("the label decoder is closed"));
      const run = queue.then(
        () => decodeNow(pool, secondPass, image, hints),
        () => decodeNow(pool, secondPass, image, hints),
      );
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      closed = true;
      await queue;
      await pool.close();
    },
  };
}

async function decodeNow(
  pool: RegionPool,
  secondPass: boolean,
  image: Buffer | Uint8Array,
  hints: DecodeHints,
): Promise<DecodeResult> {
  const t0 = performance.now();
  await ensureZxing();
  const tReady = performance.now();
  // The green channel stands in for luminance: black-on-white print has the same contrast in it,
  // it carries most of the sensor's signal, and it comes out of libvips at no extra cost, whereas
  // sharp's greyscale() linearises to scRGB first and triples the decode time.
  const { data, info } = await sharp(image)
    .toColourspace("srgb")
    .extractChannel(1)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const tDecoded = performance.now();
  const grey = toGrey(data, info.width, info.height, info.channels);
  const tGrey = performance.now();
  const first = await readBarcodes(toPgm(grey), FULL_FRAME);
  const tDetect = performance.now();
  const codes = first.filter((r) => r.isValid && r.text).map((r) => toCode(r, 0, 0, 1, 1, 1));
  const steps = emptyReports();
  const unread = secondPass
    ? outsideReadLabels(await runSecondPass(pool, grey, codes, steps, hints), codes)
    : [];
  const tEnd = performance.now();
  return {
    codes: dedupe(codes),
    unread,
    ms: tEnd - t0,
    timings: {
      decode_jpeg: tDecoded - tReady,
      greyscale: tGrey - tDecoded,
      detect: tDetect - tGrey,
      second_pass: tEnd - tDetect,
    },
    grey,
    steps,
  };
}

/**
 * How far round a read code its own label reaches, in code sides: the paper holds the name, hazard
 * pictograms and text beside the symbol, and they must not count as a second label seen but not read.
 */
const OWN_LABEL_SIDES = 1.2;

/** Unread regions that do not lie on the label of a code that was read. */
export function outsideReadLabels(unread: UnreadLabel[], codes: readonly DecodedLabel[]): UnreadLabel[] {
  const labels = codes.map(({ corners }) => {
    const xs = corners.map((p) => p[0]);
    const ys = corners.map((p) => p[1]);
    const side = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    const m = side * OWN_LABEL_SIDES;
    return {
      x0: Math.min(...xs) - m,
      x1: Math.max(...xs) + m,
      y0: Math.min(...ys) - m,
      y1: Math.max(...ys) + m,
    };
  });
  return unread.filter((u) => {
    const cx = u.x + u.w / 2;
    const cy = u.y + u.h / 2;
    return !labels.some((l) => cx >= l.x0 && cx <= l.x1 && cy >= l.y0 && cy <= l.y1);
  });
}

/**
 * Reads label-like regions the full-frame pass left: candidate regions first, all at once on the
 * pool, then the oversized blobs with the codes read so far. Results are merged in region order,
 * so the outcome does not depend on which worker finishes first. Returns the regions that still
 * hold finder patterns but no readable code.
 */
async function runSecondPass(
  pool: RegionPool,
  grey: GreyImage,
  codes: DecodedLabel[],
  steps: StepReport[],
  hints: DecodeHints,
): Promise<UnreadLabel[]> {
  const { boxes, blobs } = candidateRegions(grey, codes);
  if (!boxes.length && !blobs.length) return [];
  const frame = pool.share(grey);
  const settled = !!hints.expected && hints.expected.every((t) => codes.some((c) => c.text === t));
  const unread: UnreadLabel[] = [];
  const merge = (results: RegionResult[]) => {
    for (const r of results) {
      for (const s of r.steps) {
        const report = steps.find((x) => x.name === s.name)!;
        report.regions += s.regions;
        report.ms += s.ms;
      }
      for (const hit of r.hits) {
        if (codes.some((c) => c.text === hit.text)) continue;
        codes.push(label(hit));
        steps.find((x) => x.name === hit.step)!.reads++;
      }
      if (r.unread) unread.push(r.unread);
    }
  };
  const all = (kind: RegionTask["kind"], list: typeof boxes, known: DecodedLabel[], tried?: typeof boxes) =>
    Promise.all(list.map((box) => pool.run(frame, { kind, box, codes: known, settled, tried })));
  merge(await all("candidate", boxes, []));
  merge(await all("blob", blobs, codes, boxes));
  return unread;
}

/**
 * A code as the caller sees it, and in one shape: codes that came back from a worker (a structured
 * clone, with the step that read it) would otherwise bring the functions walking the list
 * (candidate regions, outsideReadLabels) object layouts their compiled code has not seen.
 */
function label({ text, corners, confidence }: DecodedLabel): DecodedLabel {
  return { text, corners, confidence };
}

function emptyReports(): StepReport[] {
  return [...REGION_STEPS, ...BLOB_STEPS].map((s) => ({ name: s.name, regions: 0, ms: 0, reads: 0 }));
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

function dedupe(codes: DecodedLabel[]): DecodedLabel[] {
  const byText = new Map<string, DecodedLabel>();
  for (const c of codes) {
    const prev = byText.get(c.text);
    if (!prev || c.confidence > prev.confidence) byText.set(c.text, c);
  }
  return [...byText.values()];
}
