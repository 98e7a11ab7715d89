// Reads printed labels back with readers the product does not encode with: libdmtx's `dmtxread` for
// Data Matrix, ZBar's `zbarimg` for QR, poppler's `pdftoppm` to rasterise a PDF. Their answers are
// checked against the sizes table in docs/labels.md, the table a user reads.
import { execFile } from "node:child_process";
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { expect } from "vitest";
import { Bitmap } from "../../shared/labels/raster.js";
import { fromRoot } from "../../shared/paths.js";

const run = promisify(execFile);

const TOOLS = [
  { bin: "dmtxread", pkg: "dmtx-utils" },
  { bin: "zbarimg", pkg: "zbar-tools" },
  { bin: "pdftoppm", pkg: "poppler-utils" },
];

const onPath = (bin: string) =>
  (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/**
 * Why the read-back tests cannot run on this machine, or false when they can. In CI (`CI` set) a
 * missing reader is an error, not a skip: .ci/run installs them.
 */
export const readersMissing: string | false = (() => {
  const missing = TOOLS.filter((t) => !onPath(t.bin));
  if (!missing.length) return false;
  const why = `label readers not installed: ${missing.map((t) => `${t.bin} (Debian ${t.pkg})`).join(", ")}`;
  if (process.env.CI) throw new Error(`${why}; CI must install them (see .ci/run)`);
  return why;
})();

export interface SymbolRead {
  text: string;
  /** Extent of the symbol (quiet zone excluded) in the image, pixels. */
  widthPx: number;
  heightPx: number;
}

export interface DataMatrixRead extends SymbolRead {
  /** As dmtxread reports it, rows × columns before any turn: "12x26", "16x16". */
  matrix: string;
}

/** Every Data Matrix `dmtxread -v` finds in the image, with its size and extent. */
export async function readDataMatrix(png: string): Promise<DataMatrixRead[]> {
  const { stdout, stderr } = await run("dmtxread", ["-v", "-n", png]).catch(
    (err: { code?: number; stdout?: string; stderr?: string }) => {
      // dmtxread exits 1 when it finds no symbol: an empty answer, not an error.
      if (err.code === 1) return { stdout: "", stderr: "" };
      throw err;
    },
  );
  const texts = stdout.split("\n").filter(Boolean);
  const blocks = stderr.split(/-{10,}/).filter((b) => b.includes("Matrix Size"));
  return blocks.map((block, i) => {
    const size = /Matrix Size:\s*(\d+) x (\d+)/.exec(block)!;
    const corners = [...block.matchAll(/Corner \d: \(([\d.]+), ([\d.]+)\)/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    const xs = corners.map((c) => c[0]!);
    const ys = corners.map((c) => c[1]!);
    return {
      text: texts[i] ?? "",
      matrix: `${size[1]}x${size[2]}`,
      widthPx: Math.max(...xs) - Math.min(...xs),
      heightPx: Math.max(...ys) - Math.min(...ys),
    };
  });
}

export interface QrRead {
  text: string;
  /** ZBar's orientation of the symbol: UP is as printed, upright. */
  orientation: string;
}

/** Every QR code `zbarimg` finds in the image. */
export async function readQr(png: string): Promise<QrRead[]> {
  const { stdout } = await run("zbarimg", ["--xml", "-q", png]).catch((err: { code?: number }) => {
    // zbarimg exits 4 when it finds nothing: an empty answer, not an error.
    if (err.code === 4) return { stdout: "" };
    throw err;
  });
  return [
    ...stdout.matchAll(/<symbol type='QR-Code'[^>]*orientation='(\w+)'[^>]*><data><!\[CDATA\[(.*?)\]\]>/g),
  ].map((m) => ({ orientation: m[1]!, text: m[2]! }));
}

/** Rasterises the PDF's first page at `dpi` with pdftoppm; returns the PNG's path. */
export async function rasterisePdf(pdf: Buffer, dir: string, name: string, dpi: number): Promise<string> {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  await run("pdftoppm", ["-r", String(dpi), "-png", "-singlefile", "-f", "1", file, join(dir, name)]);
  return join(dir, `${name}.png`);
}

/**
 * What a thermal printer prints of a label's graphics: ^PW × ^LL dots with every ^FO…^GFA field
 * placed. Text (^A0) and the printer's own barcodes (^BQ) are not drawn.
 */
export function rasterizeZpl(zpl: string): Bitmap {
  const width = Number(/\^PW(\d+)/.exec(zpl)?.[1]);
  const height = Number(/\^LL(\d+)/.exec(zpl)?.[1]);
  if (!(width > 0 && height > 0)) throw new Error("ZPL without ^PW and ^LL");
  const bmp = new Bitmap(width, height);
  for (const m of zpl.matchAll(/\^FO(\d+),(\d+)\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS/g)) {
    const [, fx, fy, total, , perRow, hex] = m;
    const bytesPerRow = Number(perRow);
    if (hex!.length !== Number(total) * 2) throw new Error(`^GFA at ${fx},${fy}: ${total} bytes declared`);
    const rows = Number(total) / bytesPerRow;
    for (let y = 0; y < rows; y++)
      for (let b = 0; b < bytesPerRow; b++) {
        const byte = Number.parseInt(
          hex!.slice((y * bytesPerRow + b) * 2, (y * bytesPerRow + b) * 2 + 2),
          16,
        );
        for (let bit = 0; bit < 8; bit++)
          if (byte & (0x80 >> bit)) bmp.set(Number(fx) + b * 8 + bit, Number(fy) + y, 1);
      }
  }
  return bmp;
}

/** A bitmap as a PNG, `scale` pixels per dot, on a white border. */
export async function bitmapPng(bmp: Bitmap, file: string, scale: number, border = 16): Promise<string> {
  const w = bmp.width * scale + 2 * border;
  const h = bmp.height * scale + 2 * border;
  const px = Buffer.alloc(w * h, 255);
  for (let y = 0; y < bmp.height * scale; y++)
    for (let x = 0; x < bmp.width * scale; x++)
      if (bmp.get(Math.floor(x / scale), Math.floor(y / scale))) px[(border + y) * w + border + x] = 0;
  await sharp(px, { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toFile(file);
  return file;
}

export interface DocumentedSize {
  size: string;
  /** Label, mm: round the bottle × along its axis. */
  widthMm: number;
  heightMm: number;
  /** Data Matrix rows × columns as dmtxread names them. */
  matrix: string;
  moduleMm: number;
  /** Printed symbol, quiet zone excluded, mm: across the label (round the bottle) × down it (along the axis). */
  symbolAcrossMm: number;
  symbolAlongMm: number;
}

/** The sizes table of docs/labels.md: what each `--size` prints by default. */
export function documentedSizes(): DocumentedSize[] {
  const doc = readFileSync(fromRoot("docs/labels.md"), "utf8");
  const row =
    /^\| `(\w+)` \| ([\d.]+) × ([\d.]+) mm \| Data Matrix (\d+)×(\d+) \| ([\d.]+) mm \| ([\d.]+) × ([\d.]+) mm \|/gm;
  return [...doc.matchAll(row)].map((m) => ({
    size: m[1]!,
    widthMm: Number(m[2]),
    heightMm: Number(m[3]),
    matrix: `${m[4]}x${m[5]}`,
    moduleMm: Number(m[6]),
    symbolAcrossMm: Number(m[7]),
    symbolAlongMm: Number(m[8]),
  }));
}

export interface MeasuredLabel {
  /** The label's page (PDF) or ^PW × ^LL (ZPL), mm. */
  widthMm: number;
  heightMm: number;
  symbols: { text: string; matrix: string; acrossMm: number; alongMm: number }[];
}

/** Reads the Data Matrix on a printed label (PDF with label-sized pages, or ZPL) and measures it in mm. */
export async function measureDataMatrixLabel(
  bytes: Buffer,
  format: "pdf" | "zpl",
  dir: string,
  name: string,
): Promise<MeasuredLabel> {
  let png: string;
  let pxPerMm: number;
  let widthMm: number;
  let heightMm: number;
  if (format === "pdf") {
    // Enough for 4 px per 0.75 mm module; libdmtx takes seconds on larger images.
    const dpi = 150;
    pxPerMm = dpi / 25.4;
    png = await rasterisePdf(bytes, dir, name, dpi);
    const meta = await sharp(png).metadata();
    widthMm = meta.width / pxPerMm;
    heightMm = meta.height / pxPerMm;
  } else {
    const dotsPerMm = 8;
    const scale = 1;
    pxPerMm = dotsPerMm * scale;
    const bmp = rasterizeZpl(bytes.toString("utf8"));
    png = await bitmapPng(bmp, join(dir, `${name}.png`), scale);
    widthMm = bmp.width / dotsPerMm;
    heightMm = bmp.height / dotsPerMm;
  }
  const symbols = (await readDataMatrix(png)).map((r) => ({
    text: r.text,
    matrix: r.matrix,
    acrossMm: r.widthPx / pxPerMm,
    alongMm: r.heightPx / pxPerMm,
  }));
  return { widthMm, heightMm, symbols };
}

/**
 * The label is the size the docs give, carries one Data Matrix of the documented rows × columns holding
 * `code`, and its printed extent across and along the label (so its orientation) is the documented one.
 */
export function expectDocumentedLabel(m: MeasuredLabel, doc: DocumentedSize, code: string): void {
  expect(m.widthMm).toBeCloseTo(doc.widthMm, 0);
  expect(m.heightMm).toBeCloseTo(doc.heightMm, 0);
  expect(m.symbols.map((s) => [s.text, s.matrix])).toEqual([[code, doc.matrix]]);
  // Within half a millimetre: the corners libdmtx fits are a pixel or so off the module edges.
  expect(m.symbols[0]!.acrossMm).toBeCloseTo(doc.symbolAcrossMm, 0);
  expect(m.symbols[0]!.alongMm).toBeCloseTo(doc.symbolAlongMm, 0);
}

/** `expectDocumentedLabel` on one size's label printed as a PDF page and as ZPL, each read back. */
export async function expectDocumentedPdfAndZpl(
  printed: { pdf: Buffer; zpl: Buffer },
  doc: DocumentedSize,
  code: string,
  dir: string,
): Promise<void> {
  expectDocumentedLabel(await measureDataMatrixLabel(printed.pdf, "pdf", dir, `${doc.size}-pdf`), doc, code);
  expectDocumentedLabel(await measureDataMatrixLabel(printed.zpl, "zpl", dir, `${doc.size}-zpl`), doc, code);
}
