// Error correction of a sampled Data Matrix symbol with erasures. zxing's reader corrects unknown
// errors only, each costing two check codewords; a strip of the symbol hidden by a neighbour, or
// modules sampled too grey to call, are known to be unreliable, and marked as erasures they cost
// one each. The modules are mapped to their codewords (ISO/IEC 16022 annex F's placement), the
// codewords corrected (reed-solomon.ts, Data Matrix's field), and the corrected modules handed
// back for the symbol to be redrawn and read: zxing's reader then checks the result once more.
import { DATA_MATRIX_RS, erasureGuesses, rsDecode, rsSyndromes } from "./reed-solomon.js";

/** Data and check codewords of each one-block ECC200 size, by "columns x rows" as drawn. */
const CODEWORDS: Readonly<Record<string, readonly [number, number]>> = {
  "10x10": [3, 5],
  "12x12": [5, 7],
  "14x14": [8, 10],
  "16x16": [12, 12],
  "18x18": [18, 14],
  "20x20": [22, 18],
  "22x22": [30, 20],
  "24x24": [36, 24],
  "26x26": [44, 28],
  "32x32": [62, 36],
  "36x36": [86, 42],
  "40x40": [114, 48],
  "44x44": [144, 56],
  "48x48": [174, 68],
  "18x8": [5, 7],
  "32x8": [10, 11],
  "26x12": [16, 14],
  "36x12": [22, 18],
  "36x16": [32, 24],
  "48x16": [49, 28],
};

/**
 * Check codewords a correction must leave unused. A guess at which codewords are erased that
 * lands on a wrong codeword needs these to agree by chance as well (about 2^-24 with three), and
 * up to a few dozen guesses are tried per symbol.
 */
const MARGIN = 3;

export function dataMatrixCodewords(cols: number, rows: number): { data: number; ec: number } | null {
  const c = CODEWORDS[`${cols}x${rows}`];
  return c ? { data: c[0], ec: c[1] } : null;
}

/**
 * For each module of a symbol drawn `cols` x `rows` (row-major from the top-left), the data bit it
 * carries as 8 x codeword + bit (bit 0 the most significant), or -1 for a finder, timing or
 * alignment module and the fixed corner modules.
 */
export function modulePlacement(cols: number, rows: number): Int32Array {
  const key = `${cols}x${rows}`;
  let out = placements.get(key);
  if (!out) {
    out = placeModules(cols, rows);
    placements.set(key, out);
  }
  return out;
}

/** Placements by size, worked out once (a grid read tries the same few sizes again and again). */
const placements = new Map<string, Int32Array>();

function placeModules(cols: number, rows: number): Int32Array {
  const across = cols === rows ? (cols > 26 ? 2 : 1) : cols === 18 || cols === 26 ? 1 : 2;
  const down = cols === rows ? across : 1;
  const bw = cols / across;
  const bh = rows / down;
  const ncol = cols - 2 * across;
  const nrow = rows - 2 * down;
  const mapping = placement(nrow, ncol);
  const out = new Int32Array(cols * rows).fill(-1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const lc = c % bw;
      const lr = r % bh;
      if (lc === 0 || lc === bw - 1 || lr === 0 || lr === bh - 1) continue;
      const mr = Math.floor(r / bh) * (bh - 2) + lr - 1;
      const mc = Math.floor(c / bw) * (bw - 2) + lc - 1;
      out[r * cols + c] = mapping[mr * ncol + mc]!;
    }
  }
  return out;
}

/** ECC200's placement over the mapping matrix (the data regions joined): 8 x codeword + bit, or -1. */
function placement(nrow: number, ncol: number): Int32Array {
  const at = new Int32Array(nrow * ncol).fill(-2);
  const module = (row: number, col: number, cw: number, bit: number) => {
    let r = row;
    let c = col;
    if (r < 0) {
      r += nrow;
      c += 4 - ((nrow + 4) % 8);
    }
    if (c < 0) {
      c += ncol;
      r += 4 - ((ncol + 4) % 8);
    }
    at[r * ncol + c] = 8 * cw + bit;
  };
  // The eight modules of a codeword, most significant first, as offsets from its last module.
  const utah = (row: number, col: number, cw: number) => {
    const offsets = [
      [-2, -2],
      [-2, -1],
      [-1, -2],
      [-1, -1],
      [-1, 0],
      [0, -2],
      [0, -1],
      [0, 0],
    ];
    for (const [bit, [dr, dc]] of offsets.entries()) module(row + dr!, col + dc!, cw, bit);
  };
  const corner = (cells: readonly [number, number][], cw: number) => {
    for (const [bit, [r, c]] of cells.entries()) module(r, c, cw, bit);
  };
  const [R, C] = [nrow, ncol];
  // The four corner shapes (annex F.3): codewords that wrap round the matrix's corners.
  const leftEnd: [number, number][] = [
    [R - 3, 0],
    [R - 2, 0],
    [R - 1, 0],
  ];
  const topRight: [number, number][] = [
    [0, C - 2],
    [0, C - 1],
    [1, C - 1],
    [2, C - 1],
    [3, C - 1],
  ];
  const corner1: [number, number][] = [[R - 1, 0], [R - 1, 1], [R - 1, 2], ...topRight];
  const corner2: [number, number][] = [
    ...leftEnd,
    [0, C - 4],
    [0, C - 3],
    [0, C - 2],
    [0, C - 1],
    [1, C - 1],
  ];
  const corner3: [number, number][] = [...leftEnd, ...topRight];
  const corner4: [number, number][] = [
    [R - 1, 0],
    [R - 1, C - 1],
    [0, C - 3],
    [0, C - 2],
    [0, C - 1],
    [1, C - 3],
    [1, C - 2],
    [1, C - 1],
  ];
  let cw = 0;
  let row = 4;
  let col = 0;
  do {
    if (row === R && col === 0) corner(corner1, cw++);
    if (row === R - 2 && col === 0 && C % 4) corner(corner2, cw++);
    if (row === R - 2 && col === 0 && C % 8 === 4) corner(corner3, cw++);
    if (row === R + 4 && col === 2 && !(C % 8)) corner(corner4, cw++);
    // Sweep up and to the right, then down and to the left.
    do {
      if (row < R && col >= 0 && at[row * C + col] === -2) utah(row, col, cw++);
      row -= 2;
      col += 2;
    } while (row >= 0 && col < C);
    row += 1;
    col += 3;
    do {
      if (row >= 0 && col < C && at[row * C + col] === -2) utah(row, col, cw++);
      row += 2;
      col -= 2;
    } while (row < R && col >= 0);
    row += 3;
    col += 1;
  } while (row < R || col < C);
  // Modules no codeword reached: the fixed corner squares of some sizes.
  for (let k = 0; k < at.length; k++) if (at[k] === -2) at[k] = -1;
  return at;
}

export interface Corrected {
  /** The symbol's modules with every codeword corrected, row-major as drawn. */
  bits: Uint8Array;
  errors: number;
  erasures: number;
}

/**
 * Corrects a symbol's sampled modules (1 = ink, row-major as drawn) with erasures: guesses at
 * which codewords are unreliable, from `confidence` (per module, higher is surer) and from strips
 * along each side (a neighbour standing in front), each decoded within the check codewords less a
 * margin. Null when the size is not a one-block size or no guess decodes.
 */
export function correctModules(
  bits: Uint8Array,
  confidence: Float32Array,
  cols: number,
  rows: number,
): Corrected | null {
  const size = dataMatrixCodewords(cols, rows);
  if (!size) return null;
  const n = size.data + size.ec;
  const place = modulePlacement(cols, rows);
  const value = new Uint8Array(n);
  const conf = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  // Each codeword's extent, to tell which lie in a strip along a side.
  const c0 = new Int32Array(n).fill(cols);
  const c1 = new Int32Array(n).fill(-1);
  const r0 = new Int32Array(n).fill(rows);
  const r1 = new Int32Array(n).fill(-1);
  for (let k = 0; k < place.length; k++) {
    const p = place[k]!;
    if (p < 0) continue;
    const cw = p >> 3;
    if (cw >= n) continue;
    if (bits[k]) value[cw]! |= 0x80 >> (p & 7);
    conf[cw] = Math.min(conf[cw]!, confidence[k]!);
    const c = k % cols;
    const r = (k - c) / cols;
    c0[cw] = Math.min(c0[cw]!, c);
    c1[cw] = Math.max(c1[cw]!, c);
    r0[cw] = Math.min(r0[cw]!, r);
    r1[cw] = Math.max(r1[cw]!, r);
  }
  const budget = size.ec - MARGIN;
  const byConf = [...Array(n).keys()].sort((x, y) => conf[x]! - conf[y]!);
  const guesses = erasureGuesses(byConf, budget, [
    (k, d) => c0[k]! < d,
    (k, d) => c1[k]! >= cols - d,
    (k, d) => r0[k]! < d,
    (k, d) => r1[k]! >= rows - d,
  ]);
  const syn = rsSyndromes(value, size.ec, DATA_MATRIX_RS);
  for (const g of guesses) {
    const block = Uint8Array.from(value);
    const r = rsDecode(block, size.ec, g, MARGIN, syn, DATA_MATRIX_RS);
    if (!r) continue;
    const out = Uint8Array.from(bits);
    for (let k = 0; k < place.length; k++) {
      const p = place[k]!;
      if (p >= 0 && p >> 3 < n) out[k] = (block[p >> 3]! >> (7 - (p & 7))) & 1;
    }
    return { bits: out, errors: r.errors, erasures: r.erasures };
  }
  return null;
}
