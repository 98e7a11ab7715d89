// Which symbology and layout reads best for a given label area, on bottles from 10 mL vials to 4 L
// jugs? For every (bottle, layout, label area) the same N camera shots (bench/symbology-scene.ts:
// distance, pitch, place in the frame, yaw, blur, noise, JPEG quality, glare) are rendered and read
// with zxing-wasm `readBarcodes` limited to that symbology (tryHarder). Layouts: QR, Micro QR and
// Data Matrix printed on the bottle's side, rMQR and rectangular Data Matrix printed with their long
// side along the bottle's axis (their rows stay straight, only 11 or 12 modules wrap round), and
// QR, Micro QR and Data Matrix on the top of the cap. A label area of A mm means the same A×A mm²
// of label for every layout: by default the symbol plus the quiet zone the label layout reserves
// (shared/labels/symbology.ts: QR 4 modules, the others 2); `--area symbol` counts the symbol only.
//
//   npm run bench:labels                      # 30 shots per cell (about a minute)
//   npm run bench:labels -- --n 40 --seed 2   # more shots, other scenes
//   npm run bench:labels -- --dump /tmp/sym   # also write the first shots of every cell as JPEG
//   npm run bench:labels -- --bottle vial --areas 15,20,21.9 --n 60   # one bottle, chosen areas
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureZxing } from "@lilo/vision";
import sharp from "sharp";
import { type ReadInputBarcodeFormat, readBarcodes } from "zxing-wasm";
import type { Symbology } from "../shared/labels/options.js";
import { encodeSymbol, type SymbolMatrix } from "../shared/labels/symbology.js";
import { drawShot, FRAME, type Placement, renderShot, SCENE_RANGES } from "./symbology-scene.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const N = Math.max(1, Number(arg("--n") ?? 30) | 0);
const SEED = Number(arg("--seed") ?? 1) | 0;
const DUMP = arg("--dump");
const AREA_MODE = arg("--area") === "symbol" ? "symbol" : "footprint";
const ONLY = arg("--bottle");

interface Bottle {
  id: string;
  name: string;
  radiusMm: number;
  /** Tallest label the body takes, mm. */
  maxLabelMm: number;
  capRadiusMm: number;
}

const BOTTLES: Bottle[] = [
  { id: "vial", name: "10 mL vial", radiusMm: 12, maxLabelMm: 36, capRadiusMm: 9 },
  { id: "100ml", name: "50-100 mL bottle", radiusMm: 20, maxLabelMm: 60, capRadiusMm: 14 },
  { id: "1l", name: "500 mL-1 L bottle", radiusMm: 35, maxLabelMm: 110, capRadiusMm: 21 },
  { id: "2.5l", name: "2.5 L bottle", radiusMm: 55, maxLabelMm: 160, capRadiusMm: 21 },
  { id: "4l", name: "4 L jug", radiusMm: 80, maxLabelMm: 200, capRadiusMm: 24 },
];

/** Label areas (edge, mm) to try; `--areas 15,22` measures a printed label's own geometry. */
const AREAS = (arg("--areas") ?? "10,15,20,30,40").split(",").map(Number);
if (AREAS.some((a) => !(a > 0))) throw new Error("--areas takes edges in mm, e.g. 15,20,22");
/** A side label may span at most ±60° of the bottle; a cap label must fit 95% of the cap's disc. */
const MAX_HALF_ANGLE = Math.PI / 3;

interface Layout {
  id: string;
  symbology: Symbology;
  version?: string;
  placement: Placement;
  format: ReadInputBarcodeFormat;
  /** Decode again with the crop turned 90° when the first call finds nothing. */
  turn?: boolean;
}

const LAYOUTS: Layout[] = [
  { id: "qr side", symbology: "qr", placement: "side", format: "QRCode" },
  { id: "microqr side", symbology: "microqr", placement: "side", format: "MicroQRCode" },
  { id: "datamatrix side", symbology: "datamatrix", placement: "side", format: "DataMatrix" },
  { id: "rmqr axis", symbology: "rmqr", placement: "axis", format: "RMQRCode" },
  { id: "rmqr axis+turn", symbology: "rmqr", placement: "axis", format: "RMQRCode", turn: true },
  { id: "dm 12x26 axis", symbology: "datamatrix", version: "12x26", placement: "axis", format: "DataMatrix" },
  { id: "qr cap", symbology: "qr", placement: "cap", format: "QRCode" },
  { id: "microqr cap", symbology: "microqr", placement: "cap", format: "MicroQRCode" },
  { id: "datamatrix cap", symbology: "datamatrix", placement: "cap", format: "DataMatrix" },
];

const matrices = new Map<string, SymbolMatrix>();
function matrixFor(text: string, l: Layout): SymbolMatrix {
  const key = `${l.symbology}/${l.version ?? ""}/${text}`;
  let m = matrices.get(key);
  if (!m) {
    m = encodeSymbol(text, l.symbology, { version: l.version });
    matrices.set(key, m);
  }
  return m;
}

/** Module size giving the layout `area`×`area` mm² of label, and the label's extent; null if it won't fit. */
function sizeFor(
  l: Layout,
  b: Bottle,
  area: number,
): { moduleMm: number; across: number; along: number } | null {
  const m = matrixFor("LILO:C:004711", l);
  const qz = AREA_MODE === "footprint" ? m.quietZone : 0;
  const cols = m.cols + 2 * qz;
  const rows = m.rows + 2 * qz;
  const moduleMm = area / Math.sqrt(cols * rows);
  const symW = (m.cols + 2 * m.quietZone) * moduleMm;
  const symH = (m.rows + 2 * m.quietZone) * moduleMm;
  const across = l.placement === "axis" ? symH : symW;
  const along = l.placement === "axis" ? symW : symH;
  if (l.placement === "cap") {
    if (Math.hypot(symW, symH) > 2 * 0.95 * b.capRadiusMm) return null;
  } else if (across / 2 / b.radiusMm > MAX_HALF_ANGLE || along > b.maxLabelMm) return null;
  return { moduleMm, across, along };
}

interface Cell {
  n: number;
  ok: number;
  wrong: number;
  px: number[];
  across: number;
  along: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};

async function main() {
  await ensureZxing();
  const t0 = performance.now();
  const results = new Map<string, Cell>();
  let shots = 0;
  let renderMs = 0;
  let decodeMs = 0;
  const elevations: number[] = [];
  const bottles = BOTTLES.filter((b) => !ONLY || b.id === ONLY);
  for (const [bi, b] of bottles.entries()) {
    for (const [ai, area] of AREAS.entries()) {
      for (const l of LAYOUTS) {
        const size = sizeFor(l, b, area);
        if (!size) continue;
        const cell: Cell = { n: 0, ok: 0, wrong: 0, px: [], across: size.across, along: size.along };
        results.set(`${b.id}|${l.id}|${area}`, cell);
        for (let i = 0; i < N; i++) {
          // The same scenes for every layout of a (bottle, area): a paired comparison.
          const seed = (SEED * 1_000_003 + BOTTLES.indexOf(b) * 100_000 + ai * 1_000 + i) >>> 0;
          const params = drawShot(seed);
          const text = `LILO:C:${String((seed * 7919 + bi) % 1_000_000).padStart(6, "0")}`;
          const tr = performance.now();
          const shot = await renderShot(
            {
              matrix: matrixFor(text, l),
              placement: l.placement,
              moduleMm: size.moduleMm,
              radiusMm: b.radiusMm,
              capRadiusMm: b.capRadiusMm,
            },
            params,
          );
          const td = performance.now();
          const opts = { formats: [l.format], tryHarder: true, maxNumberOfSymbols: 4 };
          let res = await readBarcodes(new Uint8Array(shot.jpeg), opts);
          if (l.turn && !res.some((r) => r.isValid)) {
            // zxing-wasm's rMQR detector finds (nearly) only horizontal symbols; tryRotate does not help.
            const turned = await sharp(shot.jpeg).rotate(90).png({ compressionLevel: 1 }).toBuffer();
            res = await readBarcodes(new Uint8Array(turned), opts);
          }
          decodeMs += performance.now() - td;
          renderMs += td - tr;
          shots++;
          const valid = res.filter((r) => r.isValid && r.text);
          cell.n++;
          if (valid.some((r) => r.text === text)) cell.ok++;
          if (valid.some((r) => r.text !== text)) cell.wrong++;
          cell.px.push(shot.modulePx);
          elevations.push(shot.elevationDeg);
          if (DUMP && i < 3) {
            mkdirSync(DUMP, { recursive: true });
            const name = `${b.id}_${l.id.replace(/\s+/g, "-")}_${area}mm_${i}_${valid.length ? "ok" : "miss"}.jpg`;
            writeFileSync(join(DUMP, name), shot.jpeg);
          }
        }
      }
    }
  }
  const wall = (performance.now() - t0) / 1000;

  const R = SCENE_RANGES;
  console.log(
    `label symbology bench: ${N} shots per cell, seed ${SEED}, area = ${AREA_MODE === "footprint" ? "symbol + quiet zone" : "symbol only"}`,
  );
  console.log(
    `scene: ${FRAME.width}x${FRAME.height}, f=${FRAME.focalPx}px, distance ${R.distanceMm.join("-")} mm (≈${(FRAME.focalPx / R.distanceMm[1]).toFixed(1)}-${(FRAME.focalPx / R.distanceMm[0]).toFixed(1)} px/mm), pitch ${R.pitchDeg.join("-")}°, ` +
      `code anywhere in the middle ${R.frameU[1] - R.frameU[0]}×${R.frameV[1] - R.frameV[0]} of the frame, yaw ±${R.yawDeg[1]}°, skew ±${R.skewDeg[1]}°, ` +
      `blur σ ${R.blurSigma.join("-")} px, noise σ ${R.noiseSigma.join("-")}, JPEG q${R.jpegQuality.join("-")}, glare ${R.glareChance * 100}% (amp ${R.glareAmp.join("-")})`,
  );
  console.log("cells: read rate (wrong decodes) | median px/module | label across×along mm\n");
  const pad = (s: string, w: number) => s.padEnd(w);
  for (const b of bottles) {
    console.log(`${b.name}: r=${b.radiusMm} mm, label ≤${b.maxLabelMm} mm tall, cap r=${b.capRadiusMm} mm`);
    const areas = AREAS.filter((a) => LAYOUTS.some((l) => results.has(`${b.id}|${l.id}|${a}`)));
    console.log(pad("", 17) + areas.map((a) => pad(`${a}x${a} mm`, 27)).join(""));
    for (const l of LAYOUTS) {
      const cells = areas.map((a) => {
        const c = results.get(`${b.id}|${l.id}|${a}`);
        if (!c) return pad("-", 27);
        const rate = `${Math.round((100 * c.ok) / c.n)}%${c.wrong ? ` (${c.wrong}!)` : ""}`;
        return pad(`${rate} ${median(c.px).toFixed(1)}px ${c.across.toFixed(0)}x${c.along.toFixed(0)}`, 27);
      });
      if (cells.some((c) => c.trim() !== "-")) console.log(pad(l.id, 17) + cells.join(""));
    }
    // Best layout per area: highest read rate; ties go to the side of the bottle, then listing order.
    const best = areas.map((a) => {
      let top: { l: Layout; c: Cell } | undefined;
      for (const l of LAYOUTS) {
        const c = results.get(`${b.id}|${l.id}|${a}`);
        if (c && (!top || c.ok > top.c.ok)) top = { l, c };
      }
      if (!top?.c.ok) return `${a} mm: nothing reads`;
      return `${a} mm: ${top.l.id} ${Math.round((100 * top.c.ok) / top.c.n)}%`;
    });
    console.log(`best: ${best.join("; ")}`);
    const vs = areas
      .map((a) => {
        const q = results.get(`${b.id}|qr side|${a}`);
        const r = results.get(`${b.id}|rmqr axis|${a}`);
        return q && r ? `${a} mm ${q.ok}/${q.n} vs ${r.ok}/${r.n}` : undefined;
      })
      .filter(Boolean);
    if (vs.length) console.log(`qr side vs rmqr axis: ${vs.join("; ")}`);
    console.log("");
  }
  const el = [...elevations].sort((a, b) => a - b);
  const q = (f: number) => el[Math.floor(f * (el.length - 1))]!.toFixed(0);
  console.log(
    `line of sight below the horizon at the code: p10 ${q(0.1)}°, median ${q(0.5)}°, p90 ${q(0.9)}° (a cap top is foreshortened by its sine)`,
  );
  let wrong = 0;
  for (const c of results.values()) wrong += c.wrong;
  console.log(
    `${shots} shots, ${wrong} with a wrong decode; ${wall.toFixed(1)} s (render ${(renderMs / 1000).toFixed(1)} s, decode ${(decodeMs / 1000).toFixed(1)} s)`,
  );
}

await main();
