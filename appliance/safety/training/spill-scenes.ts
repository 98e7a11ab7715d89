// Random shelf scenes for the spill detector, drawn by the simulator's renderer with varied hazards,
// look-alikes, boards, light, camera pitch and lens. A scene is a pure function of its seed, and the
// splits use disjoint seed ranges, so training never sees a validation or test image.
import { createRng } from "../../sim/rng.js";
import type { BoardMaterial, Distractor, DistractorKind, HazardStyle } from "../../sim/shelf-hazards.js";
import {
  type ContainerShape,
  type Difficulty,
  layoutShelf,
  type ShelfContainer,
  type ShelfHazard,
  type ShelfLabelKind,
  type ShelfScene,
} from "../../sim/shelf-renderer.js";

/**
 * "train-close" and "val-close" hold close-up shelves (`closeUpSceneFor`): hard negatives added to
 * the training and validation sets, never to the test split.
 */
export type Split = "train" | "val" | "test" | "train-close" | "val-close";

/** First seed of each split; a split never holds more than a million scenes. */
export const SPLIT_SEEDS: Record<Split, number> = {
  train: 1_000_000,
  val: 2_000_000,
  test: 3_000_000,
  "train-close": 4_000_000,
  "val-close": 5_000_000,
};

/** Rendered size: the detector scales every shelf image to 448x256, so this is enough detail. */
export const SCENE_SIZE = { width: 640, height: 360 } as const;

const SPILL_COLOURS = [
  "#d4b106",
  "#2e86c1",
  "#27ae60",
  "#c0392b",
  "#8e44ad",
  "#e67e22",
  "#6e4b2a",
  "#1b1b1b",
  "#f2f2ee",
  "#cfe3ea",
  "#b03a7a",
  "#7fb800",
];
const GLASS_COLOURS = ["#dfe8ec", "#e8f4f8", "#8a5a1c", "#3f7a4a", "#c9d3d6", "#f6f6f6"];
const BODY_COLOURS = [
  "#8a4b12",
  "#c9d3d6",
  "#f2f0ea",
  "#2f5d9e",
  "#3d7a45",
  "#6b2f1a",
  "#d8c27a",
  "#9aa5ad",
  "#b8d8e8",
  "#ffffff",
  "#222222",
  "#c0392b",
];
const BOARDS: BoardMaterial[] = ["wood", "metal", "white", "dark"];
const DISTRACTORS: DistractorKind[] = ["tag", "sticker", "shadow", "reflection", "gloss"];
const SHAPES: ContainerShape[] = ["bottle", "jar", "vial"];
const DIFFICULTIES: Difficulty[] = ["easy", "medium", "hard"];
/** Tops of the boards in the renderer's frame (SHELF_TIERS): where liquid and glass come to rest. */
const BOARD_Y = [1 / 3, 2 / 3, 0.985];

export interface SceneSpec {
  seed: number;
  scene: ShelfScene;
}

type Rng = () => number;

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length) % xs.length]!;
}

/** A spill or broken glass resting on one of the boards, in one of the drawn styles. */
function randomHazard(rng: Rng, kind: "spill" | "breakage"): ShelfHazard {
  const shape: HazardStyle["shape"] =
    kind === "spill"
      ? pick(rng, ["pool", "pool", "drops", "trail"] as const)
      : pick(rng, ["shards", "shards", "toppled", "cracked"] as const);
  const x = 0.1 + rng() * 0.8;
  const y = pick(rng, BOARD_Y) - rng() * 0.06;
  const radius = kind === "spill" ? 0.04 + rng() * 0.14 : 0.05 + rng() * 0.1;
  // Any colour, not only the listed ones: the detector must not learn a palette.
  const colour =
    rng() < 0.4 ? randomColour(rng) : pick(rng, kind === "spill" ? SPILL_COLOURS : GLASS_COLOURS);
  const style: HazardStyle = {
    seed: Math.floor(rng() * 2 ** 31),
    color: colour,
    opacity: kind === "spill" ? 0.3 + rng() * 0.5 : 0.35 + rng() * 0.45,
    shape,
  };
  // One hazard in five is the simulator's own plain drawing, as a cabinet scan draws it.
  return rng() < 0.2 ? { kind, x, y, radius } : { kind, x, y, radius, style };
}

/** The scene round its containers and hazards: look-alikes, board, light, camera pitch and lens. */
function randomLook(
  rng: Rng,
  seed: number,
  containers: ShelfContainer[],
  hazards: ShelfHazard[],
  distractorCount: number,
): ShelfScene {
  const { width, height } = SCENE_SIZE;
  const distractors: Distractor[] = Array.from({ length: distractorCount }, () => ({
    kind: pick(rng, DISTRACTORS),
    x: rng(),
    y: pick(rng, BOARD_Y) - rng() * 0.25,
    size: 0.03 + rng() * 0.1,
    seed: Math.floor(rng() * 2 ** 31),
  }));
  const warm = rng() - 0.5;
  return {
    containers,
    hazards,
    seed,
    difficulty: pick(rng, DIFFICULTIES),
    width,
    height,
    exposureEv: (rng() - 0.5) * 1.2,
    look: {
      board: pick(rng, BOARDS),
      tint: [1 + warm * 0.25, 1, 1 - warm * 0.3],
      brightness: 0.7 + rng() * 0.5,
      pitch: (rng() - 0.5) * 0.3,
      lens: (rng() - 0.5) * 0.2,
      distractors,
    },
  };
}

function randomColour(rng: () => number): string {
  const c = () =>
    Math.floor(rng() * 256)
      .toString(16)
      .padStart(2, "0");
  return `#${c()}${c()}${c()}`;
}

/** The scene for one seed: about 40 % clean, 35 % with a spill, 25 % with broken glass (some both). */
export function sceneFor(seed: number): SceneSpec {
  const rng = createRng(seed);
  const tiers = 1 + Math.floor(rng() * 3);
  const containers: ShelfContainer[] = [];
  const count = Math.floor(rng() * 9);
  for (let i = 0; i < count; i++) {
    const tier = Math.floor(rng() * tiers);
    const top = tier === 0 ? 0 : BOARD_Y[tier - 1]!;
    containers.push({
      qr_code: `LILO:C:${String(1 + Math.floor(rng() * 999_999)).padStart(6, "0")}`,
      x: 0.06 + rng() * 0.88,
      y: top + (BOARD_Y[tier]! - top) * (0.55 + rng() * 0.15),
      shape: pick(rng, SHAPES),
      color: pick(rng, BODY_COLOURS),
      labelPx: 14 + Math.round(rng() * 22),
      rotationDeg: (rng() - 0.5) * 30,
      label: "qr",
    });
  }
  const roll = rng();
  const hazards: ShelfHazard[] = [];
  if (roll >= 0.4 && roll < 0.75) hazards.push(randomHazard(rng, "spill"));
  if (roll >= 0.75) hazards.push(randomHazard(rng, "breakage"));
  if (roll >= 0.92) hazards.push(randomHazard(rng, "spill"));
  return { seed, scene: randomLook(rng, seed, containers, hazards, Math.floor(rng() * 5)) };
}

/**
 * A close-up shelf, as a cabinet's camera sees its containers (layoutShelf at the cabinet's label
 * sizes: the median label is 1.5 times the largest of `sceneFor`): big printed Data Matrix and QR
 * labels with their text near the camera, some unreadable, and more look-alikes. 70 % clean (hard
 * negatives), the rest with one spill or broken glass, so a big label never means "no hazard".
 */
export function closeUpSceneFor(seed: number): SceneSpec {
  const rng = createRng(seed);
  const { width, height } = SCENE_SIZE;
  const containers = layoutShelf({
    count: 1 + Math.floor(rng() * 8),
    seed,
    difficulty: pick(rng, DIFFICULTIES),
    width,
    height,
  }).map((c) => ({
    ...c,
    label: pick<ShelfLabelKind>(rng, ["printed", "printed", "qr"]),
    color: pick(rng, BODY_COLOURS),
    unreadable: rng() < 0.15,
  }));
  const roll = rng();
  const hazards: ShelfHazard[] = [];
  if (roll >= 0.7 && roll < 0.85) hazards.push(randomHazard(rng, "spill"));
  if (roll >= 0.85) hazards.push(randomHazard(rng, "breakage"));
  return { seed, scene: randomLook(rng, seed, containers, hazards, 2 + Math.floor(rng() * 6)) };
}

/** The scene of a split's i-th image. */
export function sceneOf(split: Split, i: number): SceneSpec {
  const seed = SPLIT_SEEDS[split] + i;
  return split === "train-close" || split === "val-close" ? closeUpSceneFor(seed) : sceneFor(seed);
}
