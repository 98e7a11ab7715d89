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

/** a * b in the code's field. */
function gmul(exp: Uint8Array, log: Uint8Array, a: number, b: number): number {
  return a && b ? exp[log[a]! + log[b]!]! : 0;
}

/** p(x) for the `len` coefficients of p, lowest first. */
function evalPoly(exp: Uint8Array, log: Uint8Array, p: Uint8Array, len: number, x: number): number {
  let y = 0;
  for (let j = len - 1; j >= 0; j--) y = gmul(exp, log, y, x) ^ p[j]!;
  return y;
}

/**
 * Corrects `block` (data then `ecCount` check codewords, as QR and Data Matrix lay a block out) in
 * place.
 * `erasures` are indices into the block. Succeeds only when 2 x errors + erasures stays at least
 * `margin` below `ecCount`: the check symbols left over are what makes a decode that lands on the
 * wrong codeword unlikely, and a caller trying many erasure guesses needs them. Returns null, with
 * `block` untouched, when the block cannot be corrected within that.
 *
 * Polynomials are typed arrays with their lengths beside them, and the field's arithmetic lives in
 * two small module functions: written with closures, array spreads and map/fill/every, V8 spent
 * 35-45 ms compiling this function each of the three times it optimised it over a curved bench run
 * (packages/vision/bench/NOTEBOOK.md, 2026-12-07, late morning).
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
  const { exp, log } = code;
  const n = block.length;
  if (ecCount <= 0 || ecCount >= n || n > 255) return null;
  const syn = syndromes ?? rsSyndromes(block, ecCount, code);
  let clean = true;
  for (let j = 0; j < ecCount; j++) if (syn[j] !== 0) clean = false;
  if (clean) return { errors: 0, erasures: 0 };
  const f = erasures.length;
  if (f + margin > ecCount) return null;
  // Every polynomial below has degree at most ecCount + 1.
  const size = ecCount + 2;
  // Erasure locator: product of (1 - X x), X = a^(position's power).
  let lambda = new Uint8Array(size);
  lambda[0] = 1;
  let lambdaLen = 1;
  for (const i of erasures) {
    if (i < 0 || i >= n) return null;
    const X = exp[n - 1 - i]!;
    for (let j = lambdaLen; j > 0; j--) lambda[j]! ^= gmul(exp, log, lambda[j - 1]!, X);
    lambdaLen++;
  }
  // Berlekamp-Massey, started from the erasure locator.
  const b = lambda.slice();
  let bLen = lambdaLen;
  let t = new Uint8Array(size);
  let L = f;
  for (let k = f; k < ecCount; k++) {
    let delta = 0;
    for (let j = 0; j <= L && j < lambdaLen; j++)
      if (k - j >= 0) delta ^= gmul(exp, log, lambda[j]!, syn[k - j]!);
    // b times x.
    for (let j = bLen; j > 0; j--) b[j] = b[j - 1]!;
    b[0] = 0;
    bLen++;
    if (delta === 0) continue;
    const tLen = Math.max(lambdaLen, bLen);
    for (let j = 0; j < tLen; j++) t[j] = (j < lambdaLen ? lambda[j]! : 0) ^ gmul(exp, log, delta, b[j]!);
    t.fill(0, tLen);
    if (2 * L <= k + f) {
      const di = exp[255 - log[delta]!]!;
      for (let j = 0; j < lambdaLen; j++) b[j] = gmul(exp, log, lambda[j]!, di);
      b.fill(0, lambdaLen);
      bLen = lambdaLen;
      L = k + 1 + f - L;
    }
    [lambda, t] = [t, lambda];
    lambdaLen = tLen;
  }
  while (lambdaLen > 1 && lambda[lambdaLen - 1] === 0) lambdaLen--;
  const deg = lambdaLen - 1;
  const errors = deg - f;
  if (deg !== L || errors < 0 || 2 * errors + f + margin > ecCount) return null;
  // Chien search over the block's positions.
  const where: number[] = [];
  for (let i = 0; i < n; i++)
    if (evalPoly(exp, log, lambda, lambdaLen, exp[255 - (n - 1 - i)]!) === 0) where.push(i);
  if (where.length !== deg) return null;
  // Forney: evaluator = S(x) lambda(x) mod x^ecCount; magnitude X^(1 - firstRoot) omega(1/X) /
  // lambda'(1/X).
  const omega = new Uint8Array(ecCount);
  for (let i = 0; i < ecCount; i++)
    for (let j = 0; j <= i && j < lambdaLen; j++) omega[i]! ^= gmul(exp, log, syn[i - j]!, lambda[j]!);
  // The formal derivative: in characteristic 2 only the odd powers survive, each one degree down.
  const deriv = new Uint8Array(Math.max(1, deg));
  for (let j = 1; j < lambdaLen; j++) deriv[j - 1] = j % 2 === 1 ? lambda[j]! : 0;
  const fixes: number[] = [];
  for (const i of where) {
    const xi = exp[255 - log[exp[n - 1 - i]!]!]!;
    const den = evalPoly(exp, log, deriv, deg, xi);
    if (!den) return null;
    const scale = exp[((((1 - code.firstRoot) * (n - 1 - i)) % 255) + 255) % 255]!;
    const magnitude = gmul(exp, log, scale, evalPoly(exp, log, omega, ecCount, xi));
    fixes.push(i, gmul(exp, log, magnitude, exp[255 - log[den]!]!));
  }
  for (let k = 0; k < fixes.length; k += 2) block[fixes[k]!]! ^= fixes[k + 1]!;
  // A correction that does not land on a codeword is no correction.
  const after = rsSyndromes(block, ecCount, code);
  for (let j = 0; j < ecCount; j++) {
    if (after[j] === 0) continue;
    for (let k = 0; k < fixes.length; k += 2) block[fixes[k]!]! ^= fixes[k + 1]!;
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
