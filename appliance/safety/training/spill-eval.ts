// `npm run eval:spill`: the shipped model through onnxruntime-node, as the cabinet runs it, on
//  1. the renderer's held-out test split (seeds no training or validation image used), and
//  2. shelves drawn by alt-scenes.ts, a drawing routine that shares none of the renderer's code,
// printing precision, recall, false alarms per 100 clean shelves and ms per image (decode, scale,
// infer), then the cost on a full 1920x1080 camera frame. Usage:
//   node --import tsx appliance/safety/training/spill-eval.ts [TEST_COUNT] [ALT_COUNT] [FIRST]
// FIRST (default 0) skips the first images of both sets: `300 300 300` scores the next 300 of each.

// LILO_SPILL_EVAL_CACHE=DIR keeps the drawn images there, so evaluating another model skips drawing;
// LILO_SPILL_MODEL=FILE evaluates another ONNX file at the thresholds in the .json beside it.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { IN_SIGHT_SHARE } from "../../sim/shelf-hazards.js";
import { renderShelfDetailed } from "../../sim/shelf-renderer.js";
import { type Detection, HAZARD_KINDS, type HazardKind, modelImageFrom } from "../spill-detector.js";
import { OnnxSpillDetector } from "../spill-detector.onnx.js";
import { DEFAULT_THRESHOLDS, type DetectionThresholds } from "../thresholds.js";
import { type AltKind, drawAltShelf } from "./alt-scenes.js";
import { SPLIT_SEEDS, sceneFor } from "./spill-scenes.js";

const print = (line: string) => process.stdout.write(`${line}\n`);

/** First seed of the alternative set; never a seed of the renderer's splits. */
const ALT_SEED = 5_000_000;

/** A drawn hazard and whether the camera sees it. */
interface Truth {
  kind: HazardKind;
  inSight: boolean;
}

interface Scored {
  /** The hazards in sight (IN_SIGHT_SHARE); a shelf is a positive of these kinds. */
  truth: Set<HazardKind>;
  /** Hazards drawn but out of sight (behind a bottle, cut by the frame): neither positive nor clean. */
  hidden: Set<HazardKind>;
  detection: Detection;
  ms: number;
  /** CPU time of decode, scale and inference: on a machine shared with other work, wall time is not. */
  cpuMs: number;
}

function report(name: string, scored: Scored[]) {
  const clean = scored.filter((s) => s.truth.size === 0 && s.hidden.size === 0);
  const out: Record<string, unknown> = { set: name, images: scored.length, clean: clean.length };
  for (const kind of HAZARD_KINDS) {
    const pos = scored.filter((s) => s.truth.has(kind));
    const tp = pos.filter((s) => s.detection[kind].detected).length;
    const fp = scored.filter(
      (s) => !s.truth.has(kind) && !s.hidden.has(kind) && s.detection[kind].detected,
    ).length;
    const hidden = scored.filter((s) => s.hidden.has(kind) && !s.truth.has(kind));
    out[kind] = {
      positives: pos.length,
      recall: pos.length ? Math.round((1000 * tp) / pos.length) / 10 : null,
      // Shelves whose only hazard of this kind is out of sight: how many, and how many flagged anyway.
      out_of_sight: hidden.length,
      out_of_sight_flagged: hidden.filter((s) => s.detection[kind].detected).length,
      precision: tp + fp ? Math.round((1000 * tp) / (tp + fp)) / 10 : null,
      false_alarms_per_100_clean: clean.length
        ? Math.round((1000 * clean.filter((s) => s.detection[kind].detected).length) / clean.length) / 10
        : null,
    };
  }
  const anyAlarm = clean.filter((s) => s.detection.spill.detected || s.detection.breakage.detected).length;
  out.any_false_alarm_per_100_clean = clean.length ? Math.round((1000 * anyAlarm) / clean.length) / 10 : null;
  const ms = scored.map((s) => s.ms).sort((a, b) => a - b);
  out.ms_per_image = {
    mean: Math.round((10 * ms.reduce((a, b) => a + b, 0)) / ms.length) / 10,
    p95: Math.round(10 * ms[Math.floor(ms.length * 0.95)]!) / 10,
    inference_mean: Math.round((10 * scored.reduce((a, s) => a + s.detection.ms, 0)) / scored.length) / 10,
    cpu_mean: Math.round((10 * scored.reduce((a, s) => a + s.cpuMs, 0)) / scored.length) / 10,
  };
  print(JSON.stringify(out));
}

async function score(detector: OnnxSpillDetector, jpeg: Buffer, hazards: readonly Truth[]): Promise<Scored> {
  const truth = new Set(hazards.filter((h) => h.inSight).map((h) => h.kind));
  const hidden = new Set(hazards.filter((h) => !h.inSight).map((h) => h.kind));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const detection = await detector.detect(await modelImageFrom(jpeg));
  const cpu = process.cpuUsage(cpu0);
  return { truth, hidden, detection, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const cacheDir = process.env.LILO_SPILL_EVAL_CACHE;
if (cacheDir) await mkdir(cacheDir, { recursive: true });

/** A drawn image and its truth, from the cache when there is one. */
async function drawn(name: string, draw: () => Promise<{ jpeg: Buffer; truth: Truth[] }>) {
  const file = cacheDir && join(cacheDir, name);
  if (file) {
    const hit = await readFile(`${file}.json`, "utf8").then(
      async (t) => ({ jpeg: await readFile(`${file}.jpg`), truth: JSON.parse(t) as Truth[] }),
      () => undefined,
    );
    if (hit) return hit;
  }
  const made = await draw();
  if (file) {
    await writeFile(`${file}.jpg`, made.jpeg);
    await writeFile(`${file}.json`, JSON.stringify(made.truth));
  }
  return made;
}

const [testCount = "300", altCount = "300", firstArg = "0"] = process.argv.slice(2);
if (![testCount, altCount, firstArg].every((a) => /^\d+$/.test(a)))
  throw new Error(
    `usage: spill-eval.ts [TEST_COUNT] [ALT_COUNT] [FIRST], whole numbers (got ${process.argv.slice(2).join(" ")})`,
  );
const first = Number(firstArg);
const modelPath = process.env.LILO_SPILL_MODEL;
// Another model is judged at the thresholds train.py chose for it on validation (its .json).
const thresholds: DetectionThresholds = modelPath
  ? (
      JSON.parse(await readFile(modelPath.replace(/\.onnx$/, ".json"), "utf8")) as {
        thresholds: DetectionThresholds;
      }
    ).thresholds
  : DEFAULT_THRESHOLDS;
const detector = await OnnxSpillDetector.load({ thresholds, threads: 1, modelPath });
print(JSON.stringify({ model: modelPath ?? "shipped", thresholds, threads: 1 }));
try {
  const test: Scored[] = [];
  let frame: Buffer | undefined;
  for (let i = first; i < first + Number(testCount); i++) {
    const shot = await drawn(`test-${i}`, async () => {
      const r = await renderShelfDetailed(sceneFor(SPLIT_SEEDS.test + i).scene);
      const truth = r.hazards.map((h) => ({
        kind: h.kind,
        inSight: (h.visible?.share ?? 1) >= IN_SIGHT_SHARE,
      }));
      return { jpeg: r.jpeg, truth };
    });
    frame ??= shot.jpeg;
    test.push(await score(detector, shot.jpeg, shot.truth));
  }
  report("renderer test split", test);

  const alt: Scored[] = [];
  const kinds: AltKind[] = ["clean", "clean", "spill", "breakage"];
  for (let i = first; i < first + Number(altCount); i++) {
    const shot = await drawn(`alt-${i}`, async () => {
      const r = await drawAltShelf(ALT_SEED + i, kinds[i % kinds.length]!);
      // alt-scenes keeps its one hazard in sight (containers stand back from it).
      return { jpeg: r.jpeg, truth: r.kind === "clean" ? [] : [{ kind: r.kind, inSight: true }] };
    });
    alt.push(await score(detector, shot.jpeg, shot.truth));
  }
  report("independent drawing (alt-scenes)", alt);

  if (frame) {
    // A camera's full frame: decoding and scaling it costs more than the model.
    const big = await sharp(frame).resize(1920, 1080).jpeg({ quality: 90 }).toBuffer();
    const runs: Scored[] = [];
    for (let i = 0; i < 20; i++) runs.push(await score(detector, big, []));
    const mean = (f: (s: Scored) => number) =>
      Math.round((10 * runs.reduce((a, s) => a + f(s), 0)) / runs.length) / 10;
    print(
      JSON.stringify({
        set: "1920x1080 frame",
        runs: runs.length,
        ms_total: mean((s) => s.ms),
        ms_inference: mean((s) => s.detection.ms),
        cpu_ms_total: mean((s) => s.cpuMs),
      }),
    );
  }
} finally {
  await detector.close();
}
