// Second-pass step for Data Matrix labels zxing's full-frame pass missed: each symbol found by its
// finder (datamatrix-finder.ts) is resampled square to the image axes, larger, with its quiet zone,
// and read again by zxing alone. A finder that yields no code still tells the caller a label is
// there, so the technician can be asked to turn the bottle instead of the cabinet assuming it gone.
import { type ReaderOptions, readBarcodes } from "zxing-wasm";
import type { Region } from "./curved-read.js";
import type { Vec2 } from "./curved-unwrap.js";
import { type DataMatrixFinder, findDataMatrixFinders } from "./datamatrix-finder.js";
import { allocPgm } from "./pgm.js";
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
): Promise<DataMatrixRegionRead> {
  const codes: DecodedLabel[] = [];
  let unread = 0;
  for (const f of finders.slice(0, MAX_FINDERS)) {
    const code = await readFinder(grey, f, confidence);
    if (code) codes.push(code);
    else unread++;
  }
  return { codes, unread };
}

async function readFinder(
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
  const { data, width, height } = grey;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const [fx, fy] = toImage(x + 0.5, y + 0.5);
      const cx = Math.min(width - 1.001, Math.max(0, fx - 0.5));
      const cy = Math.min(height - 1.001, Math.max(0, fy - 0.5));
      const ix = cx | 0;
      const iy = cy | 0;
      const tx = cx - ix;
      const ty = cy - iy;
      const i = iy * width + ix;
      const top = data[i]! + (data[i + 1]! - data[i]!) * tx;
      const bot = data[i + width]! + (data[i + width + 1]! - data[i + width]!) * tx;
      out[y * ow + x] = top + (bot - top) * ty + 0.5;
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
