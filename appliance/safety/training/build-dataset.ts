// Writes the spill detector's training and validation sets for train.py: `<split>.bin` holds the
// images as the detector sees them (RGB, 448x256, uint8, one after another) and `<split>.json`
// each image's seed and hazard boxes (fractions of the frame). Rendering is slow (~0.5 s a shelf),
// so WORKERS child processes each render a slice and the slices are joined in seed order. Usage:
//   node --import tsx appliance/safety/training/build-dataset.ts OUT_DIR TRAIN_COUNT VAL_COUNT [WORKERS]
//   node --import tsx appliance/safety/training/build-dataset.ts OUT_DIR --splits SPLIT:COUNT,... [WORKERS]
// The second form writes only the splits it names (e.g. `train-close:600,val-close:200`, the
// close-up hard negatives), next to the sets already there.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderShelfDetailed } from "../../sim/shelf-renderer.js";
import { MODEL_INPUT, modelImageFrom } from "../spill-detector.js";
import { SCENE_SIZE, SPLIT_SEEDS, type Split, sceneOf } from "./spill-scenes.js";

type Meta = {
  seed: number;
  hazards: { kind: string; box: number[]; seen: number; seenBox: number[] | null }[];
};

/** A box in pixels as fractions of the frame, to 4 places. */
const fractions = (box: readonly number[], width: number, height: number) =>
  box.map((v, i) => Math.round((v / (i % 2 ? height : width)) * 1e4) / 1e4);

/** Renders scenes first..first+count-1 of a split to `<file>.bin` and `<file>.json`. */
async function writeSlice(file: string, split: Split, first: number, count: number): Promise<void> {
  const bin = createWriteStream(`${file}.bin`);
  const meta: Meta[] = [];
  const { width, height } = SCENE_SIZE;
  for (let i = first; i < first + count; i++) {
    const { seed, scene } = sceneOf(split, i);
    const shot = await renderShelfDetailed(scene);
    const { rgb } = await modelImageFrom(shot.jpeg);
    if (!bin.write(rgb)) await new Promise<void>((r) => bin.once("drain", () => r()));
    meta.push({
      seed,
      hazards: shot.hazards.map(({ kind, box, visible }) => ({
        kind,
        box: fractions(box, width, height),
        // What the camera sees of it: train.py trains on this box and ignores a hazard out of sight.
        seen: Math.round((visible?.share ?? 0) * 1e5) / 1e5,
        seenBox: visible?.box ? fractions(visible.box, width, height) : null,
      })),
    });
    if ((i + 1 - first) % 200 === 0)
      process.stderr.write(`${split}[${first}..]: ${i + 1 - first}/${count}\n`);
  }
  await new Promise<void>((r) => bin.end(() => r()));
  await writeFile(`${file}.json`, JSON.stringify(meta));
}

function runSlice(file: string, split: Split, first: number, count: number): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      "--slice",
      file,
      split,
      String(first),
      String(count),
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`slice ${file} exited ${code}`)))),
  );
}

async function writeSplit(dir: string, split: Split, count: number, workers: number): Promise<void> {
  const per = Math.ceil(count / workers);
  const slices = Array.from({ length: workers }, (_, k) => ({
    file: join(dir, `${split}.part${k}`),
    first: k * per,
    count: Math.max(0, Math.min(per, count - k * per)),
  })).filter((s) => s.count > 0);
  await Promise.all(slices.map((s) => runSlice(s.file, split, s.first, s.count)));
  const bin = createWriteStream(join(dir, `${split}.bin`));
  const images: Meta[] = [];
  for (const s of slices) {
    bin.write(await readFile(`${s.file}.bin`));
    images.push(...(JSON.parse(await readFile(`${s.file}.json`, "utf8")) as Meta[]));
    await rm(`${s.file}.bin`);
    await rm(`${s.file}.json`);
  }
  await new Promise<void>((r) => bin.end(() => r()));
  await writeFile(
    join(dir, `${split}.json`),
    JSON.stringify({ width: MODEL_INPUT.width, height: MODEL_INPUT.height, images }),
  );
}

const args = process.argv.slice(2);
if (args[0] === "--slice") {
  const [, file, split, first, count] = args;
  await writeSlice(file!, split as Split, Number(first), Number(count));
} else if (args[1] === "--splits") {
  const [dir, , list = "", workers = "2"] = args;
  const splits = list.split(",").map((item) => {
    const [split, count] = item.split(":");
    if (!split || !(split in SPLIT_SEEDS) || !/^[1-9][0-9]*$/.test(count ?? ""))
      throw new Error(
        `--splits: "${item}" is not SPLIT:COUNT (splits: ${Object.keys(SPLIT_SEEDS).join(", ")})`,
      );
    return { split: split as Split, count: Number(count) };
  });
  await mkdir(dir!, { recursive: true });
  for (const { split, count } of splits) await writeSplit(dir!, split, count, Number(workers));
} else {
  const [dir, train = "2400", val = "400", workers = "2"] = args;
  if (!dir) throw new Error("usage: build-dataset.ts OUT_DIR [TRAIN_COUNT] [VAL_COUNT] [WORKERS]");
  await mkdir(dir, { recursive: true });
  await writeSplit(dir, "val", Number(val), Number(workers));
  await writeSplit(dir, "train", Number(train), Number(workers));
}
