// Two builds of @lilo/vision compared in one process, on the same curved-scene frames, taking turns
// with zxing-wasm's single call image by image. Separate bench runs on a shared machine see zxing's
// own time move by tens of percent between runs; turns within one process see the same load.
// Each build is a checkout with `packages/vision/dist` built (e.g. `git archive` of a commit, then
// `npm run build --workspace @lilo/vision` there); each gets its own decoder and worker threads.
//
//   node --import tsx packages/vision/bench/builds-ab.bench.ts BEFORE_DIR AFTER_DIR \
//     [--symbology qr|datamatrix] [--seed N] [--images N]
import { readBarcodes } from "zxing-wasm";
import type { LabelDecoder, LabelDecoderOptions } from "../src/index.js";
import { ensureZxing } from "../src/zxing-module.js";
import { argInt, mean } from "./bench-support.js";
import { renderCurvedShelf, type SceneSymbology } from "./curved-scene.js";

const [beforeDir, afterDir] = process.argv.slice(2, 4);
if (!beforeDir || !afterDir || beforeDir.startsWith("--") || afterDir.startsWith("--"))
  throw new Error(
    "usage: builds-ab.bench.ts BEFORE_DIR AFTER_DIR [--symbology qr|datamatrix] [--seed N] [--images N]",
  );
const at = process.argv.indexOf("--symbology");
const symbology = (at >= 0 ? process.argv[at + 1] : "qr") as SceneSymbology;
if (symbology !== "qr" && symbology !== "datamatrix") throw new Error(`unknown symbology ${symbology}`);
const SEED = argInt("--seed", symbology === "qr" ? 7_100 : 9_000);
const IMAGES = argInt("--images", symbology === "qr" ? 40 : 12);

type Build = { createLabelDecoder(o?: LabelDecoderOptions): LabelDecoder };
const load = async (dir: string): Promise<Build> =>
  import(new URL(`file://${dir.replace(/\/$/, "")}/packages/vision/dist/index.js`).href);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

await ensureZxing();
const decoders = {
  before: (await load(beforeDir)).createLabelDecoder(),
  after: (await load(afterDir)).createLabelDecoder(),
};
// The benches' baseline: QR only on the QR scene, zxing's defaults on the Data Matrix one.
const zxing = (jpeg: Buffer) => readBarcodes(jpeg, symbology === "qr" ? { formats: ["QRCode"] } : {});
type Who = keyof typeof decoders | "zxing";
const cpu: Record<Who, number[]> = { before: [], after: [], zxing: [] };
const read: Record<keyof typeof decoders, number> = { before: 0, after: 0 };
try {
  const shots = [];
  for (let k = 0; k < IMAGES; k++) shots.push(await renderCurvedShelf({ seed: SEED + k, symbology }));
  // Warm every path before timing.
  for (const s of shots.slice(0, 2)) {
    await decoders.before.decode(s.jpeg);
    await decoders.after.decode(s.jpeg);
    await zxing(s.jpeg);
  }
  // Twice over, the order turning per image so neither build always follows the other.
  const orders: Who[][] = [
    ["before", "after", "zxing"],
    ["after", "zxing", "before"],
    ["zxing", "before", "after"],
  ];
  for (let pass = 0; pass < 2; pass++) {
    for (const [k, shot] of shots.entries()) {
      for (const who of orders[(k + pass) % orders.length]!) {
        const t0 = cpuMs();
        if (who === "zxing") await zxing(shot.jpeg);
        else {
          const r = await decoders[who].decode(shot.jpeg);
          if (pass === 0) read[who] += r.codes.length;
        }
        cpu[who].push(cpuMs() - t0);
      }
    }
  }
  const z = mean(cpu.zxing);
  console.log(
    `${symbology} scene, seed ${SEED}, ${IMAGES} images, each decoded twice; process CPU ms/image (all threads):`,
  );
  for (const who of ["before", "after"] as const)
    console.log(
      `  ${who.padEnd(7)} ${mean(cpu[who]).toFixed(1).padStart(7)}  ${(mean(cpu[who]) / z).toFixed(2)}x zxing single  codes read ${read[who]}`,
    );
  console.log(`  zxing   ${z.toFixed(1).padStart(7)}`);
} finally {
  await Promise.all([decoders.before.close(), decoders.after.close()]);
}
