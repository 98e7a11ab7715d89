// Where the second pass looks: compact high-contrast, edge-dense regions of the frame not covered
// by a decoded code. Printed symbols give both a near-full black-to-white range and many
// transitions per row, which wood grain, noise and container edges rarely do together.
import type { Region } from "./curved-read.js";
import type { DecodedLabel, GreyImage } from "./types.js";

/** Cell edge in pixels for the candidate-region search. */
export const CELL = 16;
const MAX_CANDIDATES = 16;
/** Pixels of oversized blobs searched for finder patterns per image (their threshold pass costs). */
const MAX_FINDER_SEARCH_PX = 600_000;
/** Sampling every fourth row of a cell is enough to tell a symbol from grain and noise. */
const ROW_STEP = 4;
/** Mean absolute 2 px luminance step in a cell; noise and grain stay well below it. */
const EDGE_MIN = 12;
/** Dark-module to paper contrast, after 2x2 averaging. */
const RANGE_MIN = 70;

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  score: number;
}

export interface Candidates {
  /** Label-sized regions, best first. */
  boxes: Box[];
  /**
   * Blobs of hot cells too large or elongated to be one symbol (labels side by side, or touching a
   * bottle's edge, chain into one), best first, within the finder-search pixel budget.
   */
  blobs: Box[];
}

// The search is four small functions rather than one long one: V8 compiled the long one on stack
// replacement at its first loop, then threw the code away at each later loop it had not seen run,
// 11 times over 40 frames at ~17 ms of compiler time each (bench/NOTEBOOK.md, 2026-12-07, late
// morning).

/** Label-like regions of the frame, outside the codes already read. */
export function candidateRegions(grey: GreyImage, codes: readonly DecodedLabel[]): Candidates {
  const cells = hotCells(grey);
  for (const c of codes) maskCode(cells, c);
  const { boxes, rejected } = components(cells);
  boxes.sort((a, b) => b.score - a.score);
  rejected.sort((a, b) => b.score - a.score);
  let budget = MAX_FINDER_SEARCH_PX;
  const blobs = rejected.filter((blob) => {
    const area = (blob.x1 - blob.x0) * (blob.y1 - blob.y0);
    if (area > budget) return false;
    budget -= area;
    return true;
  });
  return { boxes: boxes.slice(0, MAX_CANDIDATES), blobs };
}

/** The frame's cells of CELL px: which look like print (hot), and how strongly (score). */
interface Cells {
  cw: number;
  ch: number;
  hot: Uint8Array;
  score: Float32Array;
}

function hotCells(grey: GreyImage): Cells {
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
  return { cw, ch, hot, score };
}

/**
 * A decoded symbol and its own label (paper edge, printed text strip) must not seed a region, or
 * its hot cells would chain into the container outline and be re-read for nothing.
 */
function maskCode({ cw, ch, hot }: Cells, c: DecodedLabel): void {
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

/** Connected hot cells: label-sized boxes, and the rest too large or elongated (rejected). */
function components({ cw, ch, hot, score }: Cells): { boxes: Box[]; rejected: Box[] } {
  const boxes: Box[] = [];
  const rejected: Box[] = [];
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
      rejected.push(box);
      continue;
    }
    boxes.push(box);
  }
  return { boxes, rejected };
}

/** A candidate box grown by two cells each way: room for a label's quiet zone and finders. */
export function padBox(box: Region): Region {
  const pad = CELL * 2;
  return { x0: box.x0 - pad, y0: box.y0 - pad, x1: box.x1 + pad, y1: box.y1 + pad };
}

/** True when (x, y) lies in the bounding box of a decoded code. */
export function insideCode(codes: readonly DecodedLabel[], x: number, y: number): boolean {
  return codes.some((c) => {
    const xs = c.corners.map((q) => q[0]);
    const ys = c.corners.map((q) => q[1]);
    return x >= Math.min(...xs) && x <= Math.max(...xs) && y >= Math.min(...ys) && y <= Math.max(...ys);
  });
}
