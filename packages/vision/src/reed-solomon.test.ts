import zxing from "@zxing/library";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DATA_MATRIX_RS, rsDecode } from "./reed-solomon.js";

const encoder = new zxing.ReedSolomonEncoder(zxing.GenericGF.QR_CODE_FIELD_256);

/** A QR block: `data` random bytes then `ec` check codewords (zxing's encoder, QR's field). */
function block(data: number[], ec: number): Uint8Array {
  const buf = new Int32Array(data.length + ec);
  buf.set(data);
  encoder.encode(buf, ec);
  return Uint8Array.from(buf);
}

const blocks = fc
  .record({
    data: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 60 }),
    ec: fc.integer({ min: 4, max: 30 }),
    seed: fc.integer(),
  })
  .map(({ data, ec, seed }) => ({ original: block(data, ec), ec, seed }));

/** Deterministic positions and error values from a seed. */
function damage(n: number, count: number, seed: number): [number, number][] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s >>> 8;
  };
  const pos = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [pos[i], pos[j]] = [pos[j]!, pos[i]!];
  }
  return pos.slice(0, count).map((p) => [p, 1 + (next() % 255)]);
}

describe("rsDecode", () => {
  it("restores a block with errors and erasures within 2e + f <= check codewords", () => {
    fc.assert(
      fc.property(blocks, fc.nat(), fc.nat(), ({ original, ec, seed }, a, b) => {
        const f = a % (ec + 1);
        const e = Math.min(b % (ec + 1), Math.floor((ec - f) / 2));
        const hits = damage(original.length, Math.min(original.length, f + e), seed);
        const received = Uint8Array.from(original);
        // Erased positions may or may not hold a wrong value; unknown errors always do.
        hits.forEach(([p, v], k) => {
          if (k >= f || v % 3) received[p]! ^= v;
        });
        const erasures = hits.slice(0, f).map(([p]) => p);
        const clean = received.every((v, i) => v === original[i]);
        const r = rsDecode(received, ec, erasures);
        expect(r).not.toBeNull();
        expect([...received]).toEqual([...original]);
        // A block that needs nothing reports nothing used.
        expect(r!.erasures).toBe(clean ? 0 : erasures.length);
      }),
      { numRuns: 300 },
    );
  });

  it("leaves a clean block alone and reports no corrections", () => {
    const original = block([76, 73, 76, 79, 58, 67], 10);
    const copy = Uint8Array.from(original);
    expect(rsDecode(copy, 10, [1, 2])).toEqual({ errors: 0, erasures: 0 });
    expect([...copy]).toEqual([...original]);
  });

  it("refuses a correction that would leave fewer than `margin` check codewords unused, changing nothing", () => {
    const original = block([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10);
    const received = Uint8Array.from(original);
    // Four unknown errors: 2 x 4 = 8 of 10 check codewords.
    for (const p of [0, 3, 7, 12]) received[p]! ^= 0x5a;
    const before = Uint8Array.from(received);
    expect(rsDecode(received, 10, [], 3)).toBeNull();
    expect([...received]).toEqual([...before]);
    expect(rsDecode(received, 10, [], 2)).toEqual({ errors: 4, erasures: 0 });
    expect([...received]).toEqual([...original]);
  });

  it("rejects erasures outside the block and more erasures than check codewords", () => {
    const original = block([9, 8, 7], 6);
    const received = Uint8Array.from(original);
    received[0]! ^= 1;
    expect(rsDecode(Uint8Array.from(received), 6, [9])).toBeNull();
    expect(rsDecode(Uint8Array.from(received), 6, [0, 1, 2, 3, 4, 5, 6])).toBeNull();
  });
});

/** A Data Matrix (ECC200) block: `data` codewords then the check codewords of the symbol that holds them. */
function dataMatrixBlock(data: number[]): { block: Uint8Array; ec: number } {
  const info = zxing.DataMatrixSymbolInfo.lookup(data.length);
  const padded = [...data, ...Array<number>(info.getDataCapacity() - data.length).fill(129)];
  const out = zxing.DataMatrixErrorCorrection.encodeECC200(String.fromCharCode(...padded), info);
  return { block: Uint8Array.from(out, (c) => c.charCodeAt(0)), ec: info.getErrorCodewords() };
}

describe("rsDecode over Data Matrix's field (zxing's ECC200 encoder)", () => {
  // Up to 174 data codewords: the one-block symbols, 10x10 to 48x48.
  const dmBlocks = fc
    .record({
      data: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 174 }),
      seed: fc.integer(),
    })
    .map(({ data, seed }) => ({ ...dataMatrixBlock(data), seed }));

  /** The block with `f` erasures and `e` errors at seeded places, and the erased positions. */
  const hit = (original: Uint8Array, f: number, e: number, seed: number) => {
    const hits = damage(original.length, f + e, seed);
    const received = Uint8Array.from(original);
    for (const [p, v] of hits) received[p]! ^= v;
    return { received, erasures: hits.slice(0, f).map(([p]) => p) };
  };

  it("restores a block with errors and erasures within 2e + f <= check codewords", () => {
    fc.assert(
      fc.property(dmBlocks, fc.nat(), fc.nat(), ({ block: original, ec, seed }, a, b) => {
        const f = a % (ec + 1);
        const e = Math.min(b % (ec + 1), Math.floor((ec - f) / 2));
        const { received, erasures } = hit(original, f, e, seed);
        const r = rsDecode(received, ec, erasures, 0, undefined, DATA_MATRIX_RS);
        expect(r).toEqual({ errors: f + e ? e : 0, erasures: f + e ? f : 0 });
        expect([...received]).toEqual([...original]);
      }),
      { numRuns: 300 },
    );
  });

  it("beyond its capacity, with check codewords to spare, refuses (block untouched) rather than miscorrect", () => {
    // 2e + f over what the check codewords correct: the decoder may only refuse, or, rarely, land on
    // another codeword; with `margin` unused check codewords demanded that must not happen here.
    let refused = 0;
    fc.assert(
      fc.property(dmBlocks, fc.nat(), ({ block: original, ec, seed }, a) => {
        const f = a % (ec + 1);
        const e = Math.floor((ec - f) / 2) + 1;
        fc.pre(f + e <= original.length);
        const { received, erasures } = hit(original, f, e, seed);
        const before = Uint8Array.from(received);
        const r = rsDecode(received, ec, erasures, 3, undefined, DATA_MATRIX_RS);
        expect(r).toBeNull();
        expect([...received]).toEqual([...before]);
        refused++;
      }),
      // A fixed seed: a miscorrection is possible in principle, and this run must not depend on luck.
      { numRuns: 300, seed: 13 },
    );
    expect(refused).toBeGreaterThan(200);
  });

  it("does not take QR's code for Data Matrix's: a Data Matrix block's syndromes are not QR's", () => {
    const { block, ec } = dataMatrixBlock([66, 67, 68, 69, 70]);
    const received = Uint8Array.from(block);
    received[2]! ^= 0x33;
    expect(rsDecode(Uint8Array.from(received), ec)).toBeNull();
    expect(rsDecode(received, ec, [], 0, undefined, DATA_MATRIX_RS)).toEqual({ errors: 1, erasures: 0 });
    expect([...received]).toEqual([...block]);
  });
});
