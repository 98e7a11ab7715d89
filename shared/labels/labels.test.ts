import { inflateSync } from "node:zlib";
import { ensureZxing } from "@lilo/vision";
import sharp from "sharp";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { type ReadInputBarcodeFormat, readBarcodes } from "zxing-wasm";
import { rasterizeZpl } from "../../test/support/label-reader.js";
import { AppError } from "../errors.js";
import { GHS_CODES, pictogramShapes } from "./ghs.js";
import {
  encodeSymbol,
  LABEL_SIZE_NAMES,
  type LabelData,
  type LayoutOptions,
  labelSymbol,
  layoutLabel,
  renderLabels,
  renderPdf,
  renderSvg,
  renderZpl,
  SYMBOLOGIES,
  type Symbology,
  sheetGrid,
} from "./index.js";
import { Bitmap, paintShapes } from "./raster.js";

const FORMAT: Record<Symbology, ReadInputBarcodeFormat> = {
  qr: "QRCode",
  microqr: "MicroQRCode",
  rmqr: "RMQRCode",
  datamatrix: "DataMatrix",
};

const METHANOL: LabelData = {
  code: "LILO:C:004711",
  chemicalName: "Methanol",
  casNumber: "67-56-1",
  ghsPictograms: ["GHS02", "GHS06", "GHS08"],
  signalWord: "Danger",
};

async function decodePng(png: Buffer, symbology: Symbology): Promise<string[]> {
  const results = await readBarcodes(new Uint8Array(png), {
    formats: [FORMAT[symbology]],
    tryHarder: true,
    maxNumberOfSymbols: 4,
  });
  return results.filter((r) => r.isValid).map((r) => r.text);
}

/** A bitmap as a binary PGM, `scale` pixels per dot, on a white border (zxing reads PGM). */
function toPgm(bmp: Bitmap, scale: number, border = 16): Uint8Array {
  const w = bmp.width * scale + 2 * border;
  const h = bmp.height * scale + 2 * border;
  const header = Buffer.from(`P5\n${w} ${h}\n255\n`);
  const px = new Uint8Array(w * h).fill(255);
  for (let y = 0; y < bmp.height; y++)
    for (let x = 0; x < bmp.width; x++) {
      if (!bmp.get(x, y)) continue;
      for (let j = 0; j < scale; j++)
        px.fill(
          0,
          (border + y * scale + j) * w + border + x * scale,
          (border + y * scale + j) * w + border + (x + 1) * scale,
        );
    }
  return Buffer.concat([header, px]);
}

beforeAll(() => ensureZxing());

describe("symbols", () => {
  it("encodes LILO:C:004711 as rMQR R11x43 and the same text always to the same matrix", () => {
    const m = encodeSymbol("LILO:C:004711", "rmqr");
    expect([m.rows, m.cols]).toEqual([11, 43]);
    expect(encodeSymbol("LILO:C:004711", "rmqr").modules).toEqual(m.modules);
    expect(encodeSymbol("LILO:C:004711", "qr").cols).toBe(21);
  });

  it("rejects text a symbology cannot hold", () => {
    expect(() => encodeSymbol("x".repeat(200), "microqr")).toThrow(AppError);
  });
});

describe("label rendering reads back", () => {
  for (const size of LABEL_SIZE_NAMES) {
    for (const symbology of SYMBOLOGIES) {
      it(`${size} / ${symbology}: the label image (SVG → PNG) and the ZPL graphic decode to the code`, async () => {
        const layout = layoutLabel(METHANOL, { size, symbology });
        // The label as printed on a 300 dpi sheet printer.
        const png = await sharp(Buffer.from(renderSvg(layout)), { density: 300 })
          .png()
          .toBuffer();
        expect(await decodePng(png, symbology)).toEqual([METHANOL.code]);
        // The thermal-printer version: QR as a graphic too, so every symbology is rasterised from ZPL.
        const zpl = renderZpl(layout, { qr: "graphic" });
        const bmp = rasterizeZpl(zpl);
        const fromZpl = await readBarcodes(toPgm(bmp, 3), { formats: [FORMAT[symbology]], tryHarder: true });
        expect(fromZpl.filter((r) => r.isValid).map((r) => r.text)).toEqual([METHANOL.code]);
      });
    }
  }

  it("uses the printer's own ^BQ for QR, with the code as field data", () => {
    const zpl = renderZpl(layoutLabel(METHANOL, { size: "bottle", symbology: "qr" }));
    expect(zpl).toMatch(/\^FO\d+,\d+\^BQN,2,\d+\^FH_\^FDMA,LILO:C:004711\^FS/);
    expect(zpl).toMatch(/^\^XA\n\^CI28\n\^PW560\n\^LL320\n/);
    expect(zpl.trimEnd().endsWith("^XZ")).toBe(true);
  });

  it("defaults to Data Matrix (the best reader in bench:labels), 12x26 turned along a vial's axis", () => {
    const symbolOf = (opts: LayoutOptions) => {
      const symbol = layoutLabel(METHANOL, opts).items.find((i) => i.kind === "symbol");
      return (
        symbol?.kind === "symbol" && {
          rows: symbol.matrix.rows,
          cols: symbol.matrix.cols,
          module: symbol.module,
        }
      );
    };
    // 26 modules down the label's 32 mm height (the vial's axis), 1 mm each.
    expect(symbolOf({ size: "vial" })).toEqual({ rows: 26, cols: 12, module: 8 });
    expect(symbolOf({ size: "vial", symbology: "datamatrix" })).toEqual(symbolOf({ size: "vial" }));
    expect(labelSymbol("vial", { symbology: "datamatrix" })).toEqual({
      symbology: "datamatrix",
      version: "12x26",
    });
    expect(labelSymbol("vial", { symbology: "qr" })).toEqual({ symbology: "qr" });
    expect(labelSymbol("small")).toEqual({ symbology: "datamatrix" });
    // rMQR is rectangular too: turned, its long side also runs along the height.
    expect(symbolOf({ size: "bottle", symbology: "rmqr" })).toMatchObject({ rows: 43, cols: 11 });
  });

  it("keeps every item inside the label", () => {
    for (const size of LABEL_SIZE_NAMES)
      for (const symbology of SYMBOLOGIES) {
        const l = layoutLabel({ ...METHANOL, ghsPictograms: [...GHS_CODES] }, { size, symbology });
        for (const it of l.items) {
          expect(it.x).toBeGreaterThanOrEqual(0);
          expect(it.y).toBeGreaterThanOrEqual(0);
          if (it.kind === "pictogram") {
            expect(it.x + it.size).toBeLessThanOrEqual(l.width);
            expect(it.y + it.size).toBeLessThanOrEqual(l.height);
          }
          if (it.kind === "symbol") {
            expect(it.x + it.matrix.cols * it.module).toBeLessThanOrEqual(l.width);
            expect(it.y + it.matrix.rows * it.module).toBeLessThanOrEqual(l.height);
          }
          if (it.kind === "text") expect(it.y + it.height).toBeLessThanOrEqual(l.height);
        }
      }
  });
});

describe("determinism", () => {
  it("gives byte-identical ZPL for the same label", async () => {
    for (const symbology of SYMBOLOGIES) {
      const a = await renderLabels([METHANOL], { format: "zpl", size: "small", symbology });
      const b = await renderLabels([{ ...METHANOL, ghsPictograms: ["GHS02", "GHS06", "GHS08"] }], {
        format: "zpl",
        size: "small",
        symbology,
      });
      expect(a.bytes.equals(b.bytes)).toBe(true);
    }
  });

  it("gives byte-identical PDF for the same label, whatever the time it is made", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2026-03-01T08:00:00.000Z"));
      const a = await renderPdf([layoutLabel(METHANOL)]);
      vi.setSystemTime(new Date("2027-11-30T17:45:12.345Z"));
      const b = await renderPdf([layoutLabel(METHANOL)]);
      expect(a.equals(b)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** Text of all (Flate) content streams of a PDF. */
function pdfContent(pdf: Buffer): string {
  const out: string[] = [];
  const bin = pdf.toString("latin1");
  for (const m of bin.matchAll(/stream\r?\n/g)) {
    const start = m.index! + m[0].length;
    const end = bin.indexOf("endstream", start);
    try {
      out.push(inflateSync(pdf.subarray(start, end)).toString("latin1"));
    } catch {
      // not a Flate stream (or not compressed)
    }
  }
  return out.join("\n");
}

/** The strings shown by TJ operators (kerning splits them into hex runs), one per line. */
function pdfText(content: string): string {
  return [...content.matchAll(/\[([^\]]*)\] TJ/g)]
    .map((m) =>
      [...m[1]!.matchAll(/<([0-9a-f]*)>/g)].map((h) => Buffer.from(h[1]!, "hex").toString("latin1")).join(""),
    )
    .join("\n");
}

describe("PDF", () => {
  it("is a PDF with the chemical name, CAS, signal word and id on it", async () => {
    const pdf = await renderPdf([layoutLabel(METHANOL, { size: "bottle" })]);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf.toString("latin1")).toContain("Methanol");
    const text = pdfText(pdfContent(pdf)).split("\n");
    expect(text).toEqual(["Methanol", "CAS 67-56-1", "DANGER", "LILO:C:004711"]);
  });

  it("draws the pictograms: red diamonds for a hazardous chemical, none for a harmless one", async () => {
    const red = /0\.89\d* 0\.02\d* 0\.07\d* (scn|rg)/;
    const hazardous = pdfContent(await renderPdf([layoutLabel(METHANOL)]));
    expect(hazardous.match(new RegExp(red.source, "g"))?.length).toBe(3);
    const harmless = pdfContent(
      await renderPdf([
        layoutLabel({ code: "LILO:C:000099", chemicalName: "Sodium chloride", ghsPictograms: [] }),
      ]),
    );
    expect(harmless).not.toMatch(red);
  });

  it("fills sheets: several labels per A4 / Letter page, copies and skipped positions", async () => {
    const layout = layoutLabel(METHANOL, { size: "small" });
    const grid = sheetGrid("a4", layout);
    expect(grid.cols).toBeGreaterThanOrEqual(3);
    expect(grid.perPage).toBeGreaterThan(20);
    const pages = (pdf: Buffer) => pdf.toString("latin1").match(/\/Type \/Page\b/g)?.length;
    expect(pages(await renderPdf([layout], { copies: grid.perPage }))).toBe(1);
    expect(pages(await renderPdf([layout], { copies: grid.perPage, skip: 1 }))).toBe(2);
    expect(pages(await renderPdf([layout], { page: "letter", copies: 2 }))).toBe(1);
    expect(pages(await renderPdf([layout], { page: "label", copies: 2 }))).toBe(2);
    expect(sheetGrid("letter", layoutLabel(METHANOL, { size: "large" })).perPage).toBeGreaterThanOrEqual(4);
  });
});

describe("pictograms", () => {
  it("each is a red-bordered, white-filled diamond with a black symbol that shows", () => {
    for (const code of GHS_CODES) {
      const shapes = pictogramShapes(code);
      expect(shapes[0]!.fill).toBe("red");
      expect(shapes[1]!.fill).toBe("white");
      const bmp = new Bitmap(100, 100);
      paintShapes(bmp, shapes.slice(1));
      const inked = bmp.dots.reduce((a, b) => a + b, 0);
      expect(inked, code).toBeGreaterThan(250);
      // The symbol stays inside the white diamond.
      for (let y = 0; y < 100; y++)
        for (let x = 0; x < 100; x++)
          if (bmp.get(x, y)) expect(Math.abs(x + 0.5 - 50) + Math.abs(y + 0.5 - 50), code).toBeLessThan(41);
    }
  });

  it("appear on the label (and in ZPL as graphics) for a chemical that has them", () => {
    const l = layoutLabel(METHANOL, { size: "bottle", symbology: "qr" });
    expect(
      l.items.filter((i) => i.kind === "pictogram").map((i) => (i.kind === "pictogram" ? i.code : "")),
    ).toEqual(["GHS02", "GHS06", "GHS08"]);
    expect(renderZpl(l).match(/\^GFA/g)?.length).toBe(3);
    expect(renderSvg(l)).toContain("#e30613");
    const none = layoutLabel({ ...METHANOL, ghsPictograms: null, signalWord: null });
    expect(none.items.some((i) => i.kind === "pictogram")).toBe(false);
    expect(renderSvg(none)).not.toContain("#e30613");
  });
});

describe("ZPL text", () => {
  it("escapes ^ ~ and _ in field data", () => {
    const zpl = renderZpl(layoutLabel({ ...METHANOL, chemicalName: "A^B~C_D" }, { size: "large" }));
    expect(zpl).toContain("^FH_^FDA_5EB_7EC_5FD^FS");
  });
});
