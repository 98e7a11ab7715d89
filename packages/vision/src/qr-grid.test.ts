import zxing from "@zxing/library";
import { beforeAll, describe, expect, it } from "vitest";
import { readBarcodes } from "zxing-wasm";
import { decodeSoftGrid, readQrGrid } from "./qr-grid.js";
import type { GreyImage } from "./types.js";
import { ensureZxing } from "./zxing-module.js";

const { QRCodeEncoder, QRCodeDecoderErrorCorrectionLevel } = zxing;

interface Drawn {
  img: GreyImage;
  dim: number;
  finders: { tl: [number, number]; tr: [number, number]; bl: [number, number]; modulePx: number };
  /** Where the symbol's corners are drawn (top-left, top-right, bottom-right, bottom-left). */
  corners: [number, number][];
}

/**
 * Draws a QR symbol at `px` per module with a 4-module quiet zone, ink 40 on paper 215, with its
 * rows bowed down by `bow` modules at mid-width (what a slightly wrong unwrap leaves), the
 * last `hide` columns covered by a flat grey neighbour, a Gaussian blur of `blur` px and
 * uniform noise of `noise` levels peak to peak.
 */
function draw(
  text: string,
  ec: string,
  px: number,
  opts: { bow?: number; hide?: number; blur?: number; noise?: number } = {},
): Drawn {
  const m = QRCodeEncoder.encode(
    text,
    QRCodeDecoderErrorCorrectionLevel.fromString(ec),
    null as never,
  ).getMatrix();
  const dim = m.getWidth();
  const q = 4;
  const size = (dim + 2 * q) * px;
  const data = new Uint8Array(size * size).fill(215);
  const bow = opts.bow ?? 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const u = x / px - q;
      const down = bow * 4 * (u / dim) * (1 - u / dim);
      const c = Math.floor(u);
      const r = Math.floor(y / px - q - down);
      if (c >= 0 && c < dim && r >= 0 && r < dim && m.get(c, r) === 1) data[y * size + x] = 40;
      if (opts.hide && c >= dim - opts.hide) data[y * size + x] = 95;
    }
  if (opts.blur) gaussianBlur(data, size, opts.blur);
  let seed = 7;
  for (let i = 0; opts.noise && i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = Math.max(0, Math.min(255, data[i]! + Math.round((seed / 2 ** 32 - 0.5) * opts.noise)));
  }
  const at = (c: number, r: number): [number, number] => [(c + q) * px, (r + q) * px];
  return {
    img: { data, width: size, height: size },
    dim,
    finders: { tl: at(3.5, 3.5), tr: at(dim - 3.5, 3.5), bl: at(3.5, dim - 3.5), modulePx: px },
    corners: [at(0, 0), at(dim, 0), at(dim, dim), at(0, dim)],
  };
}

/** Separable Gaussian blur of a square image in place, edges clamped. */
function gaussianBlur(data: Uint8Array, size: number, sigma: number): void {
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = k.reduce((a, b) => a + b, 0);
  const tmp = new Float32Array(size * size);
  const clamp = (v: number) => Math.max(0, Math.min(size - 1, v));
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * data[y * size + clamp(x + i)]!;
      tmp[y * size + x] = s / total;
    }
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[clamp(y + i) * size + x]!;
      data[y * size + x] = Math.round(s / total);
    }
}

/**
 * Module decisions without a model of the blur: each true module centre against the mean of the
 * 7x7 modules round it, certainty from the distance to it.
 */
function plainDecisions(d: Drawn): Float32Array {
  const { dim, img } = d;
  const px = d.finders.modulePx;
  const grey = (c: number, r: number) =>
    img.data[Math.round((r + 4.5) * px) * img.width + Math.round((c + 4.5) * px)]!;
  const soft = new Float32Array(dim * dim);
  for (let r = 0; r < dim; r++)
    for (let c = 0; c < dim; c++) {
      let sum = 0;
      let n = 0;
      for (let rr = Math.max(0, r - 3); rr <= Math.min(dim - 1, r + 3); rr++)
        for (let cc = Math.max(0, c - 3); cc <= Math.min(dim - 1, c + 3); cc++) {
          sum += grey(cc, rr);
          n++;
        }
      soft[r * dim + c] = Math.max(-1, Math.min(1, (sum / n - grey(c, r)) / 60));
    }
  return soft;
}

function pgm(img: GreyImage): Uint8Array {
  const header = Buffer.from(`P5\n${img.width} ${img.height}\n255\n`, "latin1");
  return Buffer.concat([header, Buffer.from(img.data)]);
}

async function zxingReads(img: GreyImage): Promise<string[]> {
  const r = await readBarcodes(pgm(img), { formats: ["QRCode"], tryHarder: true });
  return r.filter((x) => x.isValid).map((x) => x.text);
}

describe("readQrGrid", () => {
  beforeAll(async () => {
    await ensureZxing();
  });

  it("reads a symbol whose right edge a neighbour hides, by erasing that strip, where zxing cannot", async () => {
    const d = draw("LILO:C:004711", "Q", 6, { hide: 4 });
    expect(await zxingReads(d.img)).toEqual([]);
    const r = readQrGrid(d.img, d.finders);
    expect(r?.text).toBe("LILO:C:004711");
    expect(r!.erasures).toBeGreaterThan(0);
    // Corners within a module and a half, the hidden side included.
    r!.corners.forEach(([x, y], k) => {
      expect(Math.hypot(x - d.corners[k]![0], y - d.corners[k]![1])).toBeLessThan(1.5 * 6);
    });
  });

  it("reads small modules blurred by half their width, where plain module decisions fail", async () => {
    // Blur of 0.55 module (a 2.3 px module under sigma 1.25 px, once unwrapped to 5 px) leaves a
    // lone module nowhere near full contrast; the top-left finder centre is half a module off, as
    // blur leaves it. Sensor noise on top.
    const d = draw("LILO:C:123456", "M", 5, { blur: 0.55 * 5, noise: 24 });
    const finders = { ...d.finders, tl: [d.finders.tl[0] + 2.5, d.finders.tl[1]] as [number, number] };
    expect(await zxingReads(d.img)).toEqual([]);
    const r = readQrGrid(d.img, finders);
    expect(r?.text).toBe("LILO:C:123456");
    // Plain decisions, even at the true module centres, leave too many errors to correct.
    expect(decodeSoftGrid(plainDecisions(d), zxing.QRCodeVersion.getVersionForNumber(2))).toBeNull();
  });

  it("follows rows bowed by what the unwrap left of a bottle's bend", async () => {
    const d = draw("LILO:C:123456", "H", 6, { bow: 1.2 });
    expect(await zxingReads(d.img)).toEqual([]);
    expect(readQrGrid(d.img, d.finders)?.text).toBe("LILO:C:123456");
  });

  it("reads a clean symbol, and nothing when the finders point at blank paper", () => {
    const d = draw("https://example.org/sds/7732-18-5", "M", 5);
    expect(readQrGrid(d.img, d.finders)?.text).toBe("https://example.org/sds/7732-18-5");
    const blank = { ...d.img, data: new Uint8Array(d.img.data.length).fill(215) };
    expect(readQrGrid(blank, d.finders)).toBeNull();
  });
});

describe("decodeSoftGrid", () => {
  it("decodes nothing from symbols whose data modules are noise, erasure guesses and all", () => {
    // Real symbols (finders, timing, format all valid) with every data module replaced by a random
    // soft value: only the error correction stands between this and a false read.
    let s = 7;
    const rand = () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s / 2 ** 32;
    };
    let decoded = 0;
    let tried = 0;
    for (const [text, ec] of [
      ["LILO:C:000001", "M"],
      ["LILO:C:000002", "Q"],
      ["LILO:C:000003", "H"],
      ["https://example.org/sds/64-17-5", "L"],
    ] as const) {
      const qr = QRCodeEncoder.encode(text, QRCodeDecoderErrorCorrectionLevel.fromString(ec), null as never);
      const m = qr.getMatrix();
      const version = qr.getVersion();
      const dim = m.getWidth();
      const fixed = version.buildFunctionPattern();
      for (let k = 0; k < 400; k++) {
        const soft = new Float32Array(dim * dim);
        for (let r = 0; r < dim; r++)
          for (let c = 0; c < dim; c++)
            soft[r * dim + c] = fixed.get(c, r) ? (m.get(c, r) === 1 ? 0.9 : -0.9) : rand() * 2 - 1;
        tried++;
        if (decodeSoftGrid(soft, version)) decoded++;
      }
    }
    expect(tried).toBe(1600);
    expect(decoded).toBe(0);
  });

  it("recovers a greyed-out patch by erasing it, beyond what blind correction could", () => {
    const qr = QRCodeEncoder.encode(
      "LILO:C:004711",
      QRCodeDecoderErrorCorrectionLevel.fromString("H"),
      null as never,
    );
    const m = qr.getMatrix();
    const dim = m.getWidth();
    const soft = new Float32Array(dim * dim);
    for (let r = 0; r < dim; r++)
      for (let c = 0; c < dim; c++) soft[r * dim + c] = m.get(c, r) === 1 ? 0.9 : -0.9;
    expect(dim).toBe(25);
    // Grey out (certainty 0.05, every module's sign flipped) the 12x16 modules right of column 8
    // and below row 8: about twenty codewords, more than the fourteen this version 2-H block
    // corrects blind and fewer than its 28 check codewords.
    for (let r = 9; r < dim; r++)
      for (let c = 9; c < 21; c++) soft[r * dim + c] = -0.05 * Math.sign(soft[r * dim + c]!);
    const r = decodeSoftGrid(soft, qr.getVersion());
    expect(r?.text).toBe("LILO:C:004711");
    expect(r!.erasures).toBeGreaterThan(14);
  });
});
