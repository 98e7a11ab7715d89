// Writes the spill detector's training and validation sets for train.py: `<split>.bin` holds the
// images as the detector sees them (RGB, 448x256, uint8, one after another) and `<split>.json`
// each image's seed and hazard boxes (fractions of the frame). Usage:
//   node --import tsx appliance/safety/training/build-dataset.ts OUT_DIR TRAIN_COUNT VAL_COUNT
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderShelfDetailed } from "../../sim/shelf-renderer.js";
import { MODEL_INPUT, modelImageFrom } from "../spill-detector.js";
import { SCENE_SIZE, SPLIT_SEEDS, type Split, sceneFor } from "./spill-scenes.js";

async function writeSplit(dir: string, split: Split, count: number): Promise<void> {
  const bin = createWriteStream(join(dir, `${split}.bin`));
  const meta: { seed: number; hazards: { kind: string; box: number[] }[] }[] = [];
  const { width, height } = SCENE_SIZE;
  for (let i = 0; i < count; i++) {
    const { seed, scene } = sceneFor(SPLIT_SEEDS[split] + i);
    const shot = await renderShelfDetailed(scene);
    const { rgb } = await modelImageFrom(shot.jpeg);
    if (!bin.write(rgb)) await new Promise<void>((r) => bin.once("drain", () => r()));
    meta.push({
      seed,
      hazards: shot.hazards.map(({ kind, box }) => ({
        kind,
        box: [box[0] / width, box[1] / height, box[2] / width, box[3] / height].map(
          (v) => Math.round(v * 1e4) / 1e4,
        ),
      })),
    });
    if ((i + 1) % 200 === 0) process.stderr.write(`${split}: ${i + 1}/${count}\n`);
  }
  await new Promise<void>((r) => bin.end(() => r()));
  await writeFile(
    join(dir, `${split}.json`),
    JSON.stringify({ width: MODEL_INPUT.width, height: MODEL_INPUT.height, images: meta }),
  );
}

const [dir, train = "2400", val = "400"] = process.argv.slice(2);
if (!dir) throw new Error("usage: build-dataset.ts OUT_DIR [TRAIN_COUNT] [VAL_COUNT]");
await mkdir(dir, { recursive: true });
await writeSplit(dir, "val", Number(val));
await writeSplit(dir, "train", Number(train));
