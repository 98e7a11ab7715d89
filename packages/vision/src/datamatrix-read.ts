// Second-pass step for Data Matrix labels zxing's full-frame pass missed: each symbol found by its
// finder (datamatrix-finder.ts) is read through its module grid (datamatrix-grid.ts), or failing
// that resampled square to the image axes, larger, with its quiet zone, and read again by zxing. A
// finder that yields no code still tells the caller a label is there, so the technician can be
// asked to turn the bottle instead of the cabinet assuming it gone.
import { type ReaderOptions, readBarcodes } from "zxing-wasm";
import type { Region } from "./curved-read.js";
import type { Vec2 } from "./curved-unwrap.js";
import { type DataMatrixFinder, findDataMatrixFinders, widener } from "./datamatrix-finder.js";
import { readDataMatrixGrid } from "./datamatrix-grid.js";
import { allocPgm } from "./pgm.js";
import { sample } from "./qr-grid.js";
import type { DecodedLabel, GreyImage, Point } from "./types.js";

const READ: ReaderOptions = {
  formats: ["DataMatrix"],
  tryHarder: true,
  tryRotate: true,
  tryInvert: false,
  tryDownscale: false,
  maxNumberOfSymbols: 1,
};

/** The symbol's short side in the resampled window, px: 12-18 modules of 6-10 px. */
const OUT_SHORT = 110;
/** Quiet zone round the symbol in the window, as a share of its short side. */
const MARGIN = 0.2;
/**
 * The windows round a symbol for its finder's second search, as shares of its longer side: the
 * grid read is near its limit on small or glared symbols, and each window's threshold gives a
 * rectangle a little different.
 */
const REFIND_MARGINS = [0.4, 0.2, 0.7];
/**
 * How far past a timing edge the widened finder looks, as shares of the symbol's shorter side,
 * each while the symbol runs on: a stripe near the edge leaves a module or two out, one down the
 * middle of a square symbol half of it.
 */
const REACHES = [0.25, 0.5, 1];
/** Finders read per region; more are clutter or neighbours the region only grazes. */
const MAX_FINDERS = 2;

export interface DataMatrixRegionRead {
  codes: DecodedLabel[];
  /** Data Matrix finders seen in the region that gave no code. */
  unread: number;
}

/** Finds the Data Matrix symbols in a region and reads each one resampled; see the file comment. */
export async function readDataMatrixRegion(
  grey: GreyImage,
  region: Region,
  confidence = 0.6,
  finders: readonly DataMatrixFinder[] = findDataMatrixFinders(grey, region),
  maxFinders = MAX_FINDERS,
): Promise<DataMatrixRegionRead> {
  const codes: DecodedLabel[] = [];
  let unread = 0;
  for (const f of finders.slice(0, maxFinders)) {
    // The module grid fitted to the L and the timing dots follows a bend; the plain resample
    // reads the odd flat symbol whose dots are unclear.
    // A finder found behind a neighbour: its grid (with the hidden strips) is the read that can
    // leave the neighbour out; the others would look for the symbol in windows the neighbour fills.
    const code = f.behind
      ? await readDataMatrixGrid(grey, f, confidence)
      : ((await readDataMatrixGrid(grey, f, confidence)) ??
        (await readRefound(grey, f, confidence)) ??
        (await readResampled(grey, f, confidence)) ??
        (await readWidened(grey, f, confidence)));
    if (code) codes.push(code);
    else unread++;
  }
  return { codes, unread };
}

/**
 * The finder searched again in windows fitted round the symbol: the local threshold's window
 * follows the region's size, so a candidate box much larger or tighter than the symbol can give a
 * rectangle a pixel or a module off, which the grid read does not forgive.
 */
async function readRefound(
  grey: GreyImage,
  f: DataMatrixFinder,
  confidence: number,
): Promise<DecodedLabel | null> {
  const { x0, y0, x1, y1 } = f.bounds;
  for (const share of REFIND_MARGINS) {
    const m = share * Math.max(x1 - x0, y1 - y0);
    const again = findDataMatrixFinders(grey, { x0: x0 - m, y0: y0 - m, x1: x1 + m, y1: y1 + m }, false)[0];
    // Grids with a strip hidden by a neighbour cost a few ms a finder: the first window only.
    const read = again
      ? await readDataMatrixGrid(grey, again, confidence, share === REFIND_MARGINS[0])
      : null;
    if (read) return read;
  }
  return null;
}

/**
 * The finder widened past each timing edge in turn (widener): a glare stripe that split the
 * symbol's blob left the columns beyond it out of the rectangle, and the grid then spread the
 * symbol's modules over too little of it.
 */
async function readWidened(
  grey: GreyImage,
  f: DataMatrixFinder,
  confidence: number,
): Promise<DecodedLabel | null> {
  const widen = widener(grey, f, REACHES[REACHES.length - 1]!);
  for (const side of [0, 1] as const) {
    let last = f;
    for (const reach of REACHES) {
      const wide = widen({ side, reach });
      // Nothing new past the edge, or the symbol ends before this reach: no further look.
      if (!wide || !grewFrom(last, wide)) break;
      const hit = await readDataMatrixGrid(grey, wide, confidence, false);
      if (hit) return hit;
      if (!grewFrom(f, wide, 0.8 * reach)) break;
      last = wide;
    }
  }
  return null;
}

/**
 * Whether finder b's L reaches further than a's along either of a's edges (b's edges matched to
 * a's by direction, as the widened blob may give its L the other way round): by `share` of a's
 * shorter side, at least 3 px (a rectangle a pixel or two larger has nothing new to read).
 */
function grewFrom(a: DataMatrixFinder, b: DataMatrixFinder, share = 0.1): boolean {
  const edge = (f: DataMatrixFinder, k: 0 | 1): Vec2 => [
    f.ends[k][0] - f.corner[0],
    f.ends[k][1] - f.corner[1],
  ];
  const [ea, eb] = [edge(a, 0), edge(a, 1)];
  const la = Math.hypot(...ea);
  const lb = Math.hypot(...eb);
  const min = Math.max(3, share * Math.min(la, lb));
  // b's extent along each of a's edges: the longer projection of its two edges.
  const extent = (dir: Vec2, len: number) =>
    Math.max(...[edge(b, 0), edge(b, 1)].map((e) => Math.abs(e[0] * dir[0] + e[1] * dir[1]) / len));
  return extent(ea, la) - la >= min || extent(eb, lb) - lb >= min;
}

export async function readResampled(
  grey: GreyImage,
  f: DataMatrixFinder,
  confidence: number,
): Promise<DecodedLabel | null> {
  // The symbol's sides from the L: the corner to each solid edge's far end.
  const [a, b] = f.ends;
  const ea: Vec2 = [a[0] - f.corner[0], a[1] - f.corner[1]];
  const eb: Vec2 = [b[0] - f.corner[0], b[1] - f.corner[1]];
  const la = Math.hypot(...ea);
  const lb = Math.hypot(...eb);
  const scale = OUT_SHORT / Math.min(la, lb);
  const pad = MARGIN * Math.min(la, lb);
  // Window axes: x along edge a, y along edge b, both from the corner, a margin beyond each side.
  const ow = Math.round((la + 2 * pad) * scale);
  const oh = Math.round((lb + 2 * pad) * scale);
  const ua: Vec2 = [ea[0] / la, ea[1] / la];
  const ub: Vec2 = [eb[0] / lb, eb[1] / lb];
  const toImage = (x: number, y: number): Vec2 => {
    const s = x / scale - pad;
    const t = y / scale - pad;
    return [f.corner[0] + ua[0] * s + ub[0] * t, f.corner[1] + ua[1] * s + ub[1] * t];
  };
  const pgm = allocPgm(ow, oh);
  const out = pgm.grey.data;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const [fx, fy] = toImage(x + 0.5, y + 0.5);
      out[y * ow + x] = sample(grey, fx, fy) + 0.5;
    }
  }
  const hit = (await readBarcodes(pgm.file, READ)).find((r) => r.isValid && r.text);
  if (!hit) return null;
  const p = hit.position;
  const back = (q: { x: number; y: number }): Point => {
    const [x, y] = toImage(q.x, q.y);
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  };
  return {
    text: hit.text,
    corners: [back(p.topLeft), back(p.topRight), back(p.bottomRight), back(p.bottomLeft)],
    confidence,
  };
}
