// Reed-Solomon decoding over GF(256) that also takes erasures: codewords known to be unreliable
// (hidden by a neighbour, too grey to call) cost one check symbol each instead of the two an
// unknown error costs. zxing's decoders correct errors only, so the grid readers (qr-grid.ts,
// datamatrix-codewords.ts) bring their own. QR's code: field x^8 + x^4 + x^3 + x^2 + 1, generator
// roots a^0..a^(n-k-1); Data Matrix's (ECC200): x^8 + x^5 + x^3 + x^2 + 1, roots a^1..a^(n-k).

/** A Reed-Solomon code's field and the power of its generator's first root. */
export interface RsCode {
  readonly exp: Uint8Array;
  readonly log: Uint8Array;
  readonly firstRoot: number;
}

function rsCode(poly: number, firstRoot: number): RsCode {
  const exp = new Uint8Array(512);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= poly;
  }
  for (let i = 255; i < 512; i++) exp[i] = exp[i - 255]!;
  return { exp, log, firstRoot };
}

export const QR_RS = rsCode(0x11d, 0);
export const DATA_MATRIX_RS = rsCode(0x12d, 1);

/** The block's syndromes r(a^(firstRoot + j)), j < ecCount: all zero for a codeword. */
export function rsSyndromes(block: Uint8Array, ecCount: number, code: RsCode = QR_RS): number[] {
  const { exp, log } = code;
  const syn = new Array<number>(ecCount);
  for (let j = 0; j < ecCount; j++) {
    // block[0] is the highest-degree coefficient.
    let s = 0;
    const lx = (code.firstRoot + j) % 255;
    for (let i = 0; i < block.length; i++) s = (s ? exp[log[s]! + lx]! : 0) ^ block[i]!;
    syn[j] = s;
  }
  return syn;
}

export interface RsResult {
  /** Unknown errors corrected. */
  errors: number;
  /** Erased positions used. */
  erasures: number;
}

/**
 * Corrects `block` (data then `ecCount` check codewords, as QR and Data Matrix lay a block out) in
 * place.
 * `erasures` are indices into the block. Succeeds only when 2 x errors + erasures stays at least
 * `margin` below `ecCount`: the check symbols left over are what makes a decode that lands on the
 * wrong codeword unlikely, and a caller trying many erasure guesses needs them. Returns null, with
 * `block` untouched, when the block cannot be corrected within that.
 */
export function rsDecode(
  block: Uint8Array,
  ecCount: number,
  erasures: readonly number[] = [],
  margin = 0,
  /** The block's syndromes (rsSyndromes), when one block is tried with many erasure guesses. */
  syndromes?: readonly number[],
  code: RsCode = QR_RS,
): RsResult | null {
  const { exp: EXP, log: LOG } = code;
  const mul = (a: number, b: number): number => (a && b ? EXP[LOG[a]! + LOG[b]!]! : 0);
  const inv = (a: number): number => EXP[255 - LOG[a]!]!;
  const evalPoly = (p: readonly number[], x: number): number => {
    let y = 0;
    for (let j = p.length - 1; j >= 0; j--) y = mul(y, x) ^ p[j]!;
    return y;
  };
  const n = block.length;
  if (ecCount <= 0 || ecCount >= n || n > 255) return null;
  const syn = syndromes ?? rsSyndromes(block, ecCount, code);
  const clean = syn.every((v) => v === 0);
  if (clean) return { errors: 0, erasures: 0 };
  const f = erasures.length;
  if (f + margin > ecCount) return null;
  // Erasure locator: product of (1 - X x), X = a^(position's power).
  let lambda = [1];
  for (const i of erasures) {
    if (i < 0 || i >= n) return null;
    const X = EXP[n - 1 - i]!;
    const next = new Array<number>(lambda.length + 1).fill(0);
    for (let j = 0; j < lambda.length; j++) {
      next[j]! ^= lambda[j]!;
      next[j + 1]! ^= mul(lambda[j]!, X);
    }
    lambda = next;
  }
  // Berlekamp-Massey, started from the erasure locator.
  let b = [...lambda];
  let L = f;
  for (let k = f; k < ecCount; k++) {
    let delta = 0;
    for (let j = 0; j <= L && j < lambda.length; j++) if (k - j >= 0) delta ^= mul(lambda[j]!, syn[k - j]!);
    const xb = [0, ...b];
    if (delta === 0) {
      b = xb;
      continue;
    }
    const t = new Array<number>(Math.max(lambda.length, xb.length)).fill(0);
    for (let j = 0; j < lambda.length; j++) t[j] = lambda[j]!;
    for (let j = 0; j < xb.length; j++) t[j]! ^= mul(delta, xb[j]!);
    if (2 * L <= k + f) {
      const di = inv(delta);
      b = lambda.map((c) => mul(c, di));
      L = k + 1 + f - L;
    } else b = xb;
    lambda = t;
  }
  while (lambda.length > 1 && lambda[lambda.length - 1] === 0) lambda.pop();
  const deg = lambda.length - 1;
  const errors = deg - f;
  if (deg !== L || errors < 0 || 2 * errors + f + margin > ecCount) return null;
  // Chien search over the block's positions.
  const where: number[] = [];
  for (let i = 0; i < n; i++) if (evalPoly(lambda, EXP[255 - (n - 1 - i)]!) === 0) where.push(i);
  if (where.length !== deg) return null;
  // Forney: evaluator = S(x) lambda(x) mod x^ecCount; magnitude X^(1 - firstRoot) omega(1/X) /
  // lambda'(1/X).
  const omega = new Array<number>(ecCount).fill(0);
  for (let i = 0; i < ecCount; i++)
    for (let j = 0; j <= i && j < lambda.length; j++) omega[i]! ^= mul(syn[i - j]!, lambda[j]!);
  const deriv = lambda.map((c, j) => (j % 2 === 1 ? c : 0)).slice(1);
  const fixes: [number, number][] = [];
  for (const i of where) {
    const X = EXP[n - 1 - i]!;
    const xi = inv(X);
    const den = evalPoly(deriv, xi);
    if (!den) return null;
    const scale = EXP[((((1 - code.firstRoot) * (n - 1 - i)) % 255) + 255) % 255]!;
    fixes.push([i, mul(mul(scale, evalPoly(omega, xi)), inv(den))]);
  }
  for (const [i, e] of fixes) block[i]! ^= e;
  // A correction that does not land on a codeword is no correction.
  if (rsSyndromes(block, ecCount, code).some((v) => v !== 0)) {
    for (const [i, e] of fixes) block[i]! ^= e;
    return null;
  }
  return { errors, erasures: f };
}

/**
 * Which codewords of a block to try as erased, most likely first: none; the least sure in growing
 * numbers, up to the whole budget; then, for each side of the symbol, the codewords in a strip 2 to
 * 6 modules deep along it (a neighbour standing in front), topped up with the least sure others.
 * `byConf` lists the block's codeword indices, least sure first; `strips` tell, per side, whether
 * codeword k lies within `depth` modules of it.
 */
export function erasureGuesses(
  byConf: readonly number[],
  budget: number,
  strips: readonly ((k: number, depth: number) => boolean)[],
): number[][] {
  const guesses: number[][] = [[]];
  for (const f of [0.25, 0.5, 0.75, 1]) {
    const count = Math.round(f * budget);
    if (count > 0) guesses.push(byConf.slice(0, count));
  }
  for (const inside of strips) {
    let last = -1;
    for (const depth of [2, 3, 4, 5, 6]) {
      const strip = byConf.filter((k) => inside(k, depth));
      // Codewords run in two-module strips: a deeper strip often erases the same ones.
      if (!strip.length || strip.length > budget || strip.length === last) continue;
      last = strip.length;
      guesses.push(strip);
      const rest = byConf.filter((k) => !strip.includes(k));
      for (let extra = 1; strip.length + extra <= budget; extra *= 2)
        guesses.push([...strip, ...rest.slice(0, extra)]);
    }
  }
  return guesses;
}
