// The machine-readable part of a label: the container's code as a module matrix, encoded by bwip-js
// (a port of Barcode Writer in Pure PostScript). Every renderer draws from the same matrix, so PDF,
// SVG and ZPL graphics carry the identical symbol, and the same text always gives the same matrix.
import bwipjs from "bwip-js";
import { AppError } from "../errors.js";
import { SYMBOLOGIES, type Symbology } from "./options.js";

export interface SymbolMatrix {
  symbology: Symbology;
  /** Modules across and down, quiet zone excluded. */
  cols: number;
  rows: number;
  /** Row-major, 1 = dark module. */
  modules: Uint8Array;
  /** Light modules each side the reader needs (QR 4, Micro QR and rMQR 2, Data Matrix 1; we use 2). */
  quietZone: number;
}

const BCID: Record<Symbology, string> = {
  qr: "qrcode",
  microqr: "microqrcode",
  rmqr: "rectangularmicroqrcode",
  datamatrix: "datamatrix",
};

const QUIET_ZONE: Record<Symbology, number> = { qr: 4, microqr: 2, rmqr: 2, datamatrix: 2 };

export function isSymbology(s: string): s is Symbology {
  return (SYMBOLOGIES as readonly string[]).includes(s);
}

export interface EncodeOptions {
  /** bwip-js `version`, e.g. "R11x43" for rMQR or "M3" for Micro QR; default: the smallest that fits. */
  version?: string;
  /** QR / Micro QR / rMQR error correction (L, M, Q, H); default M. */
  eclevel?: "L" | "M" | "Q" | "H";
}

// bwip-js needs an explicit rMQR version. Narrow symbols first (a vial's circumference limits the
// length), and 11–17 modules tall before the flatter 9 and 7: "LILO:C:004711" becomes R11x43.
const RMQR_VERSIONS = [43, 59, 77, 99, 139].flatMap((w) => [11, 13, 15, 17, 9, 7].map((h) => `R${h}x${w}`));

/** Encodes `text` as a module matrix; throws a validation error when it does not fit the symbology. */
export function encodeSymbol(text: string, symbology: Symbology, opts: EncodeOptions = {}): SymbolMatrix {
  if (!text) throw new AppError("validation_failed", "label code is empty");
  if (symbology === "rmqr" && !opts.version) {
    for (const version of RMQR_VERSIONS) {
      try {
        return encodeSymbol(text, symbology, { ...opts, version });
      } catch {
        // too small for the text: try the next version
      }
    }
    throw new AppError("validation_failed", `cannot encode "${text}" as rmqr: too long for any rMQR version`);
  }
  const bwipOpts: Record<string, string | boolean> = {};
  if (opts.version) bwipOpts.version = opts.version;
  if (symbology !== "datamatrix") bwipOpts.eclevel = opts.eclevel ?? "M";
  let raw: { pixs?: number[]; pixx?: number; pixy?: number }[];
  try {
    raw = bwipjs.raw({ bcid: BCID[symbology], text, ...bwipOpts }) as typeof raw;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AppError("validation_failed", `cannot encode "${text}" as ${symbology}: ${why}`);
  }
  const sym = raw[0];
  if (!sym?.pixs || !sym.pixx || !sym.pixy) {
    throw new AppError("internal", `bwip-js returned no matrix for ${symbology}`);
  }
  const modules = new Uint8Array(sym.pixx * sym.pixy);
  for (let i = 0; i < modules.length; i++) modules[i] = sym.pixs[i] ? 1 : 0;
  return { symbology, cols: sym.pixx, rows: sym.pixy, modules, quietZone: QUIET_ZONE[symbology] };
}

export const isDark = (m: SymbolMatrix, x: number, y: number) => m.modules[y * m.cols + x] === 1;

/**
 * The symbol turned a quarter turn clockwise: its left edge becomes its top. Renderers draw the
 * turned matrix as is, so PDF, SVG and ZPL all carry the same turned symbol.
 */
export function turnClockwise(m: SymbolMatrix): SymbolMatrix {
  const modules = new Uint8Array(m.modules.length);
  // Module (x, y) of the original lands at column rows-1-y, row x of the turned one.
  for (let y = 0; y < m.rows; y++)
    for (let x = 0; x < m.cols; x++) modules[x * m.rows + (m.rows - 1 - y)] = m.modules[y * m.cols + x]!;
  return { ...m, cols: m.rows, rows: m.cols, modules };
}
