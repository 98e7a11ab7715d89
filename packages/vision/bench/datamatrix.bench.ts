// Data Matrix decoding benchmark on realistic shelf photographs (bench/curved-scene.ts with the
// labels L.I.L.O. prints: squares on large bottles, rectangles along the axis of small ones): the
// pipeline against zxing-wasm's default single call, on the same images in the same run, taking
// turns going first. Readable as in the QR benches: modules of 2 px or more, at most 10% hidden.
//
//   npm run bench:datamatrix                  # 24 images
//   npm run bench:datamatrix -- --images 8    # quicker
import sharp from "sharp";
import { readBarcodes } from "zxing-wasm";
import { ensureZxing } from "../src/zxing-module.js";
import { type CurvedCode, type CurvedShot, renderCurvedShelf } from "./curved-scene.js";
import { loadDecoder } from "./shipped-decoder.js";

const { createLabelDecoder, origin } = await loadDecoder();
const decoder = createLabelDecoder();

function argInt(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

const IMAGES = argInt("--images", 24);
const SEED = argInt("--seed", 9_000);
const VERBOSE = process.argv.includes("--verbose");
const METHODS = ["pipeline", "zxing single"] as const;
type Method = (typeof METHODS)[number];

async function decodeWith(method: Method, jpeg: Buffer): Promise<string[]> {
  if (method === "pipeline") return (await decoder.decode(jpeg)).codes.map((c) => c.text);
  // zxing-wasm's defaults: every format, rotations, inversions and downscaling tried.
  const r = await readBarcodes(jpeg);
  return r.filter((x) => x.isValid).map((x) => x.text);
}

const BUCKETS: { name: string; of: (c: CurvedCode) => string }[] = [
  { name: "symbol", of: (c) => c.size },
  {
    name: "module px",
    of: (c) => (c.modulePx < 3 ? "2-3" : c.modulePx < 4 ? "3-4" : c.modulePx < 6 ? "4-6" : ">= 6"),
  },
  {
    name: "bend (modules)",
    of: (c) => (c.bendModules < 0.25 ? "< 0.25" : c.bendModules < 0.75 ? "0.25-0.75" : ">= 0.75"),
  },
  { name: "glare", of: (c) => (c.glare ? "yes" : "no") },
  { name: "occlusion", of: (c) => (c.occlusion === 0 ? "0" : c.occlusion <= 0.05 ? "0-5%" : "5-10%") },
];

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : "-");
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

async function main(): Promise<void> {
  sharp.cache(false);
  await ensureZxing();
  const started = performance.now();
  const shots: CurvedShot[] = [];
  for (let k = 0; k < IMAGES; k++)
    shots.push(await renderCurvedShelf({ seed: SEED + k, symbology: "datamatrix" }));
  const renderMs = performance.now() - started;

  // Warm the JIT on every path before timing.
  for (const s of shots.slice(0, 2)) for (const m of METHODS) await decodeWith(m, s.jpeg);

  const rows = new Map<string, { n: number; hit: Record<Method, number> }>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) {
      r = { n: 0, hit: { pipeline: 0, "zxing single": 0 } };
      rows.set(key, r);
    }
    return r;
  };
  const ms: Record<Method, number[]> = { pipeline: [], "zxing single": [] };
  const cpu: Record<Method, number[]> = { pipeline: [], "zxing single": [] };
  const falses: Record<Method, number> = { pipeline: 0, "zxing single": 0 };
  const unreadable: Record<Method, number> = { pipeline: 0, "zxing single": 0 };
  let unreadableN = 0;
  for (const [k, shot] of shots.entries()) {
    const order = k % 2 ? [...METHODS].reverse() : [...METHODS];
    const found = {} as Record<Method, Set<string>>;
    const truth = new Set(shot.codes.map((c) => c.text));
    for (const m of order) {
      const t = performance.now();
      const c = process.cpuUsage();
      found[m] = new Set(await decodeWith(m, shot.jpeg));
      const used = process.cpuUsage(c);
      ms[m].push(performance.now() - t);
      cpu[m].push((used.user + used.system) / 1000);
      falses[m] += [...found[m]].filter((x) => !truth.has(x)).length;
    }
    for (const c of shot.codes) {
      if (!c.readable) {
        unreadableN++;
        for (const m of METHODS) if (found[m].has(c.text)) unreadable[m]++;
        continue;
      }
      for (const key of ["all", ...BUCKETS.map((b) => `${b.name}|${b.of(c)}`)]) {
        const r = row(key);
        r.n++;
        for (const m of METHODS) if (found[m].has(c.text)) r.hit[m]++;
      }
      if (VERBOSE && !found.pipeline.has(c.text)) {
        console.log(
          `  miss seed ${SEED + k} ${c.text} ${c.size} bend ${c.bendModules.toFixed(2)} mod ${c.modulePx.toFixed(2)} blur ${c.blurPx.toFixed(2)} glare ${c.glare} occ ${c.occlusion.toFixed(3)} at ${c.center.map((v) => v.toFixed(0)).join(",")} R ${c.radiusMm.toFixed(0)} zxing ${found["zxing single"].has(c.text)}`,
        );
      }
    }
  }

  const all = row("all");
  console.log(
    `\nData Matrix bench: ${IMAGES} images 1920x1080, seed ${SEED}; ${all.n} readable codes, ${unreadableN} marked unreadable (modules < 2 px or > 10% hidden); decoder: ${origin}\n`,
  );
  const head = `${"bucket".padEnd(26)}${"codes".padStart(6)}${"pipeline".padStart(11)}${"zxing single".padStart(14)}`;
  const line = (label: string, n: number | string, a: string, b: string) =>
    console.log(`${label.padEnd(26)}${String(n).padStart(6)}${a.padStart(11)}${b.padStart(14)}`);
  console.log(head);
  console.log("-".repeat(head.length));
  for (const b of BUCKETS) {
    for (const key of [...rows.keys()].filter((k) => k.startsWith(`${b.name}|`)).sort()) {
      const r = rows.get(key)!;
      line(`${b.name} ${key.split("|")[1]}`, r.n, pct(r.hit.pipeline, r.n), pct(r.hit["zxing single"], r.n));
    }
  }
  console.log("-".repeat(head.length));
  line("readable, overall", all.n, pct(all.hit.pipeline, all.n), pct(all.hit["zxing single"], all.n));
  line(
    "unreadable, read anyway",
    unreadableN,
    String(unreadable.pipeline),
    String(unreadable["zxing single"]),
  );
  line("false decodes", "", String(falses.pipeline), String(falses["zxing single"]));
  const [pw, zw, pc, zc] = [
    mean(ms.pipeline),
    mean(ms["zxing single"]),
    mean(cpu.pipeline),
    mean(cpu["zxing single"]),
  ];
  line("wall ms/image (mean)", "", pw.toFixed(1), zw.toFixed(1));
  line("CPU ms/image (mean)", "", pc.toFixed(1), zc.toFixed(1));
  console.log(
    `\nRatios, pipeline / zxing single: recall ${(all.hit.pipeline / Math.max(1, all.hit["zxing single"])).toFixed(2)}x, wall ${(pw / zw).toFixed(2)}x, CPU ${(pc / zc).toFixed(2)}x`,
  );
  const recall = all.hit.pipeline / all.n;
  console.log("Targets:");
  console.log(
    `  readable recall >= 95%: ${pct(all.hit.pipeline, all.n)} ${recall >= 0.95 ? "MET" : "NOT MET"}`,
  );
  console.log(`  zero false decodes: ${falses.pipeline} ${falses.pipeline === 0 ? "MET" : "NOT MET"}`);
  console.log(
    `  CPU <= 3x zxing single (means): ${(pc / zc).toFixed(2)}x ${pc / zc <= 3 ? "MET" : "NOT MET"}`,
  );
  console.log(
    `\nrender ${(renderMs / 1000).toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

try {
  await main();
} finally {
  await decoder.close();
}
