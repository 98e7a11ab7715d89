// Data Matrix decoding benchmark on realistic shelf photographs (bench/curved-scene.ts with the
// labels L.I.L.O. prints: squares on large bottles, rectangles along the axis of small ones): the
// pipeline against zxing-wasm's default single call, on the same images in the same run, taking
// turns going first. Readable as in the QR benches: modules of 2 px or more, at most 10% hidden.
//
//   npm run bench:datamatrix                  # 24 images
//   npm run bench:datamatrix -- --images 8    # quicker
//   npm run bench:datamatrix -- --warm 24     # 24 untimed frames first: the warm decoder's time
//   npm run bench:datamatrix -- --steps       # what each second-pass step cost and read
import sharp from "sharp";
import { readBarcodes } from "zxing-wasm";
import { ensureZxing } from "../src/zxing-module.js";
import {
  argInt,
  type Bucket,
  compareMethods,
  type Method,
  mean,
  printComparison,
  printTargets,
  WARM,
  warmUp,
} from "./bench-support.js";
import { type CurvedShot, renderCurvedShelf } from "./curved-scene.js";
import { loadDecoder } from "./shipped-decoder.js";
import { type StepReport, stepTable, sumSteps } from "./step-table.js";

const { createLabelDecoder, origin } = await loadDecoder();
const decoder = createLabelDecoder();

const IMAGES = argInt("--images", 24);
const SEED = argInt("--seed", 9_000);
const VERBOSE = process.argv.includes("--verbose");
const STEPS = process.argv.includes("--steps");
const stepReports: StepReport[][] = [];

async function decodeWith(method: Method, shot: CurvedShot): Promise<string[]> {
  if (method === "pipeline") {
    const r = await decoder.decode(shot.jpeg);
    stepReports.push(r.steps);
    return r.codes.map((c) => c.text);
  }
  // zxing-wasm's defaults: every format, rotations, inversions and downscaling tried.
  const r = await readBarcodes(shot.jpeg);
  return r.filter((x) => x.isValid).map((x) => x.text);
}

const BUCKETS: Bucket[] = [
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

async function main(): Promise<void> {
  sharp.cache(false);
  await ensureZxing();
  const started = performance.now();
  const shots: CurvedShot[] = [];
  for (let k = 0; k < IMAGES; k++)
    shots.push(await renderCurvedShelf({ seed: SEED + k, symbology: "datamatrix" }));
  const renderMs = performance.now() - started;

  await warmUp(
    shots,
    (k) => renderCurvedShelf({ seed: SEED + 50_000 + k, symbology: "datamatrix" }),
    decodeWith,
  );
  stepReports.length = 0;

  const result = await compareMethods(
    shots,
    decodeWith,
    BUCKETS,
    VERBOSE
      ? (k, c, found) =>
          console.log(
            `  miss seed ${SEED + k} ${c.text} ${c.size} bend ${c.bendModules.toFixed(2)} mod ${c.modulePx.toFixed(2)} blur ${c.blurPx.toFixed(2)} glare ${c.glare} occ ${c.occlusion.toFixed(3)} at ${c.center.map((v) => v.toFixed(0)).join(",")} R ${c.radiusMm.toFixed(0)} zxing ${found["zxing single"].has(c.text)}`,
          )
      : undefined,
  );

  const { all, ms, cpu } = result;
  console.log(
    `\nData Matrix bench: ${IMAGES} images 1920x1080, seed ${SEED}; ${all.n} readable codes, ${result.unreadableN} marked unreadable (modules < 2 px or > 10% hidden); decoder: ${origin}${WARM ? `, ${WARM} untimed frames first` : ""}\n`,
  );
  printComparison(result, BUCKETS);
  const [pw, zw, pc, zc] = [
    mean(ms.pipeline),
    mean(ms["zxing single"]),
    mean(cpu.pipeline),
    mean(cpu["zxing single"]),
  ];
  console.log(
    `\nRatios, pipeline / zxing single: recall ${(all.hit.pipeline / Math.max(1, all.hit["zxing single"])).toFixed(2)}x, wall ${(pw / zw).toFixed(2)}x, CPU ${(pc / zc).toFixed(2)}x`,
  );
  console.log("Targets:");
  printTargets(result);
  if (STEPS) {
    console.log(`\nSecond-pass steps over ${stepReports.length} images, in the order they are tried:`);
    for (const line of stepTable(sumSteps(stepReports), stepReports.length)) console.log(line);
  }
  console.log(
    `\nrender ${(renderMs / 1000).toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

try {
  await main();
} finally {
  await decoder.close();
}
