// Varied spills, broken glass and look-alikes for the shelf renderer, so the spill detector learns
// the hazard and not one drawing of it: liquids of many colours, opacities and shapes; shards,
// toppled and cracked bottles; and hard negatives (paper tags, stickers, shadows, reflections, wet-
// looking glossy boards) that a detector must not call a spill. The plain hazards of the simulator
// (no `style`) are drawn by shelf-renderer.ts as they always were.
import { createRng } from "./rng.js";

type Point = [number, number];

export type SpillShape = "pool" | "drops" | "trail";
export type BreakageShape = "shards" | "toppled" | "cracked";

export interface HazardStyle {
  /** Seeds this hazard's own shape. */
  seed: number;
  /** CSS colour of the liquid, or of the glass. */
  color: string;
  /** Opacity of the liquid film or the glass, 0..1. */
  opacity: number;
  shape: SpillShape | BreakageShape;
}

export type DistractorKind = "tag" | "sticker" | "shadow" | "reflection" | "gloss";

/** Something on a shelf that is not a hazard but could pass for one. */
export interface Distractor {
  kind: DistractorKind;
  /** Centre, 0..1 of the frame. */
  x: number;
  y: number;
  /** Fraction of the frame height. */
  size: number;
  seed: number;
}

export type BoardMaterial = "wood" | "metal" | "white" | "dark";

/** How the cabinet looks to the camera, beyond the difficulty's noise and blur. */
export interface SceneLook {
  board: BoardMaterial;
  /** Colour of the light: a gain per channel (warm LEDs ≈ [1.08, 1, 0.88]). */
  tint: [number, number, number];
  /** Overall gain of the light. */
  brightness: number;
  /** Camera pitch as vertical keystone: > 0 narrows the top of the frame, < 0 the bottom. */
  pitch: number;
  /** Radial lens distortion k1 (> 0 barrel, < 0 pincushion) on normalised radius. */
  lens: number;
  distractors: Distractor[];
}

export interface HazardBox {
  kind: "spill" | "breakage";
  /** Pixels of the frame: left, top, right, bottom. */
  box: [number, number, number, number];
  /**
   * What a camera can see of it (set by the renderer): the frame's pixels that the hazard changes
   * by at least `VISIBLE_LEVELS` once containers in front of it and the frame's edges are taken
   * into account, as a share of the frame, and their bounding box. A hazard behind a bottle or
   * out of the frame is drawn (its `box`) but not seen.
   */
  visible?: { share: number; box: [number, number, number, number] | null };
}

/** Grey levels (of 255, any channel) by which a hazard must change a pixel to count as seen there. */
export const VISIBLE_LEVELS = 16;

/**
 * Share of the frame a hazard must show to count as in sight: about 11x11 px of the detector's
 * 448x256 input. Smaller (a hazard mostly behind a bottle or cut by the frame) nobody could see
 * in that photograph either: training ignores it and evaluation counts it apart.
 */
export const IN_SIGHT_SHARE = 0.001;

const round = (v: number) => v.toFixed(1);

function blobPath(cx: number, cy: number, rx: number, ry: number, rng: () => number, lobes = 0.3): string {
  const n = 24;
  const ph = [rng() * 6.28, rng() * 6.28, rng() * 6.28];
  const f = [2 + Math.floor(rng() * 3), 4 + Math.floor(rng() * 3), 7 + Math.floor(rng() * 4)];
  const pts: Point[] = [];
  for (let i = 0; i < n; i++) {
    const a = (i / n) * Math.PI * 2;
    const k =
      1 +
      lobes * Math.sin(f[0]! * a + ph[0]!) +
      lobes * 0.5 * Math.sin(f[1]! * a + ph[1]!) +
      lobes * 0.25 * Math.sin(f[2]! * a + ph[2]!);
    pts.push([cx + Math.cos(a) * rx * k, cy + Math.sin(a) * ry * k]);
  }
  let d = "";
  for (let i = 0; i <= n; i++) {
    const p0 = pts[i % n]!;
    const p1 = pts[(i + 1) % n]!;
    const mid = `${round((p0[0] + p1[0]) / 2)} ${round((p0[1] + p1[1]) / 2)}`;
    d += i === 0 ? `M${mid}` : `Q${round(p0[0])} ${round(p0[1])} ${mid}`;
  }
  return `${d}Z`;
}

/** The outline, sheen and body of one liquid film. */
function liquid(d: string, color: string, opacity: number, rng: () => number): string {
  const rim = rng() < 0.6;
  return (
    `<path d="${d}" fill="${color}" opacity="${opacity.toFixed(2)}"/>` +
    (rim
      ? `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5" opacity="${Math.min(1, opacity + 0.2).toFixed(2)}"/>`
      : "")
  );
}

function spillSvg(cx: number, cy: number, R: number, s: HazardStyle, rng: () => number): string {
  let out = "";
  if (s.shape === "pool") {
    out += liquid(
      blobPath(cx, cy, R, R * (0.3 + rng() * 0.25), rng, 0.15 + rng() * 0.2),
      s.color,
      s.opacity,
      rng,
    );
  } else if (s.shape === "drops") {
    const n = 4 + Math.floor(rng() * 8);
    for (let i = 0; i < n; i++) {
      const a = rng() * Math.PI * 2;
      const d = Math.sqrt(rng()) * R * 0.75;
      const r = R * (0.12 + rng() * 0.25);
      out += liquid(
        blobPath(cx + Math.cos(a) * d, cy + Math.sin(a) * d * 0.4, r, r * 0.45, rng, 0.15),
        s.color,
        s.opacity,
        rng,
      );
    }
  } else {
    // A run along the board with a drip over its front edge.
    out += liquid(blobPath(cx, cy, R, R * 0.18, rng, 0.12), s.color, s.opacity, rng);
    const dx = cx + (rng() - 0.5) * R;
    const len = R * (0.3 + rng() * 0.5);
    out += `<path d="M${round(dx - 3)} ${round(cy)}L${round(dx + 3)} ${round(cy)}L${round(dx + 1.5)} ${round(cy + len)}L${round(dx - 1.5)} ${round(cy + len)}Z" fill="${s.color}" opacity="${s.opacity.toFixed(2)}"/>`;
  }
  // The cabinet light on the wet surface.
  const n = 1 + Math.floor(rng() * 3);
  for (let i = 0; i < n; i++) {
    out += `<ellipse cx="${round(cx + (rng() - 0.5) * R)}" cy="${round(cy + (rng() - 0.5) * R * 0.3)}" rx="${round(R * (0.08 + rng() * 0.25))}" ry="${round(R * (0.02 + rng() * 0.05))}" fill="#fff" opacity="${(0.15 + rng() * 0.4).toFixed(2)}"/>`;
  }
  return out;
}

function shardsSvg(
  cx: number,
  cy: number,
  R: number,
  s: HazardStyle,
  rng: () => number,
  count: number,
): string {
  let out = "";
  for (let i = 0; i < count; i++) {
    const a = rng() * Math.PI * 2;
    const d = Math.sqrt(rng()) * R;
    const sx = cx + Math.cos(a) * d;
    const sy = cy + Math.sin(a) * d * 0.45;
    const size = R * (0.04 + rng() * 0.16);
    const k = 3 + Math.floor(rng() * 3);
    const pts = Array.from({ length: k }, (_, j) => {
      const b = (j / k) * Math.PI * 2 + rng() * 0.9;
      const r = size * (0.4 + rng() * 0.8);
      return `${round(sx + Math.cos(b) * r)},${round(sy + Math.sin(b) * r * 0.6)}`;
    });
    const edge = rng() < 0.5 ? "#ffffff" : "#20282c";
    out += `<polygon points="${pts.join(" ")}" fill="${s.color}" opacity="${s.opacity.toFixed(2)}" stroke="${edge}" stroke-width="${(0.6 + rng()).toFixed(1)}" stroke-opacity="0.8"/>`;
  }
  return out;
}

function cracksSvg(
  cx: number,
  cy: number,
  R: number,
  rng: () => number,
  count: number,
  squash: number,
): string {
  let out = "";
  for (let i = 0; i < count; i++) {
    let x = cx;
    let y = cy;
    let a = rng() * Math.PI * 2;
    let d = `M${round(x)} ${round(y)}`;
    const steps = 3 + Math.floor(rng() * 4);
    for (let k = 0; k < steps; k++) {
      a += (rng() - 0.5) * 1.1;
      const len = (R / steps) * (0.5 + rng() * 0.9);
      x += Math.cos(a) * len;
      y += Math.sin(a) * len * squash;
      d += `L${round(x)} ${round(y)}`;
    }
    out += `<path d="${d}" fill="none" stroke="${rng() < 0.7 ? "#f4fbff" : "#1a1a1a"}" stroke-width="${(0.7 + rng() * 1.2).toFixed(1)}" opacity="0.85"/>`;
  }
  return out;
}

function breakageSvg(cx: number, cy: number, R: number, s: HazardStyle, rng: () => number): string {
  if (s.shape === "shards") {
    return (
      shardsSvg(cx, cy, R, s, rng, 8 + Math.floor(rng() * 16)) +
      cracksSvg(cx, cy, R, rng, 3 + Math.floor(rng() * 5), 0.45)
    );
  }
  if (s.shape === "toppled") {
    // A bottle on its side, its neck end broken off in a jagged edge, glass around it.
    const len = R * 1.5;
    const th = R * 0.45;
    const x0 = cx - len / 2;
    const x1 = cx + len / 2;
    const teeth = Array.from({ length: 6 }, (_, i) => {
      const y = cy - th / 2 + (th * (i + 0.5)) / 6;
      return `L${round(x1 + (rng() - 0.3) * th * 0.5)} ${round(y)}`;
    }).join("");
    const body = `<path d="M${round(x0)} ${round(cy - th / 2)}L${round(x1)} ${round(cy - th / 2)}${teeth}L${round(x1)} ${round(cy + th / 2)}L${round(x0)} ${round(cy + th / 2)}Z" fill="${s.color}" opacity="${Math.max(0.5, s.opacity).toFixed(2)}" stroke="#fff" stroke-width="1" stroke-opacity="0.6"/>`;
    return (
      body +
      cracksSvg(x1, cy, th, rng, 4, 1) +
      shardsSvg(x1 + R * 0.3, cy + th * 0.3, R * 0.6, s, rng, 6 + Math.floor(rng() * 8))
    );
  }
  // A standing bottle with a crack star and a chip missing, a few pieces at its foot.
  const bw = R * 0.7;
  const bh = R * 1.1;
  const body = `<rect x="${round(cx - bw / 2)}" y="${round(cy - bh)}" width="${round(bw)}" height="${round(bh)}" rx="${round(bw * 0.1)}" fill="${s.color}" opacity="${Math.max(0.5, s.opacity).toFixed(2)}"/>`;
  const chip = `<polygon points="${round(cx + bw * 0.1)},${round(cy - bh)} ${round(cx + bw / 2)},${round(cy - bh)} ${round(cx + bw / 2)},${round(cy - bh * 0.6)} ${round(cx + bw * 0.25)},${round(cy - bh * 0.75)}" fill="#111" opacity="0.55"/>`;
  return (
    body +
    chip +
    cracksSvg(cx + bw * 0.1, cy - bh * 0.6, bw * 0.9, rng, 6 + Math.floor(rng() * 5), 1) +
    shardsSvg(cx, cy, R * 0.7, s, rng, 4 + Math.floor(rng() * 6))
  );
}

/** Draws a styled hazard and returns where it lies (before the camera warp). */
export function styledHazard(
  hz: { x: number; y: number; radius: number; kind: "spill" | "breakage"; style: HazardStyle },
  w: number,
  h: number,
): { svg: string; box: HazardBox } {
  const rng = createRng(hz.style.seed);
  const cx = hz.x * w;
  const cy = hz.y * h;
  const R = Math.max(4, hz.radius * h);
  const svg =
    hz.kind === "spill" ? spillSvg(cx, cy, R, hz.style, rng) : breakageSvg(cx, cy, R, hz.style, rng);
  return { svg, box: { kind: hz.kind, box: hazardExtent(hz.kind, hz.style.shape, cx, cy, R) } };
}

/** Box of a hazard the plain renderer draws, or of a styled one, in frame pixels. */
export function hazardExtent(
  kind: "spill" | "breakage",
  shape: HazardStyle["shape"] | undefined,
  cx: number,
  cy: number,
  R: number,
): [number, number, number, number] {
  if (kind === "spill") {
    const below = shape === "trail" ? R * 0.8 : R * 0.55;
    return [cx - R * 1.3, cy - R * 0.55, cx + R * 1.3, cy + below];
  }
  if (shape === "cracked") return [cx - R * 0.75, cy - R * 1.15, cx + R * 0.75, cy + R * 0.35];
  if (shape === "toppled") return [cx - R * 0.8, cy - R * 0.45, cx + R * 1.35, cy + R * 0.55];
  return [cx - R * 1.1, cy - R * 0.55, cx + R * 1.1, cy + R * 0.55];
}

/** A soft-edged ellipse (a radial gradient: an SVG blur filter costs more than the whole render). */
function soft(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  color: string,
  opacity: number,
  rot: number,
  id: number,
): string {
  return (
    `<defs><radialGradient id="d${id}"><stop offset="0" stop-color="${color}" stop-opacity="${opacity.toFixed(2)}"/>` +
    `<stop offset="1" stop-color="${color}" stop-opacity="0"/></radialGradient></defs>` +
    `<ellipse cx="${round(cx)}" cy="${round(cy)}" rx="${round(rx)}" ry="${round(ry)}" fill="url(#d${id})" transform="rotate(${Math.round(rot)} ${round(cx)} ${round(cy)})"/>`
  );
}

const TAG_PAPER = ["#fbfbf3", "#fff6b0", "#ffd6e0", "#d8f0ff", "#ffffff"];

/** A look-alike drawn on the board or the back wall. */
export function distractorSvg(d: Distractor, w: number, h: number): string {
  const rng = createRng(d.seed);
  const cx = d.x * w;
  const cy = d.y * h;
  const s = Math.max(4, d.size * h);
  const rot = Math.round((rng() - 0.5) * 60);
  switch (d.kind) {
    case "tag": {
      const paper = TAG_PAPER[Math.floor(rng() * TAG_PAPER.length)]!;
      const lines = Array.from(
        { length: 3 },
        (_, i) =>
          `<rect x="${round(-s * 0.4)}" y="${round(-s * 0.25 + i * s * 0.18)}" width="${round(s * (0.4 + rng() * 0.4))}" height="${round(s * 0.06)}" fill="#333" opacity="0.6"/>`,
      ).join("");
      return `<g transform="translate(${round(cx)} ${round(cy)}) rotate(${rot})"><rect x="${round(-s / 2)}" y="${round(-s * 0.35)}" width="${round(s)}" height="${round(s * 0.7)}" fill="${paper}"/>${lines}</g>`;
    }
    case "sticker": {
      const col = ["#e74c3c", "#f39c12", "#2ecc71", "#3498db", "#9b59b6", "#f1c40f"][Math.floor(rng() * 6)]!;
      return rng() < 0.5
        ? `<circle cx="${round(cx)}" cy="${round(cy)}" r="${round(s * 0.3)}" fill="${col}"/>`
        : `<rect x="${round(cx - s * 0.4)}" y="${round(cy - s * 0.15)}" width="${round(s * 0.8)}" height="${round(s * 0.3)}" rx="2" fill="${col}" transform="rotate(${rot} ${round(cx)} ${round(cy)})"/>`;
    }
    case "shadow":
      return soft(cx, cy, s * (0.8 + rng()), s * (0.15 + rng() * 0.2), "#000", 0.2 + rng() * 0.3, 0, d.seed);
    case "reflection":
      return soft(
        cx,
        cy,
        s * (0.05 + rng() * 0.12),
        s,
        "#fff",
        0.15 + rng() * 0.3,
        (rng() - 0.5) * 30,
        d.seed,
      );
    case "gloss":
      // A polished or lacquered board: a long soft highlight along its face.
      return soft(
        cx,
        cy,
        s * (1.5 + rng() * 2),
        s * (0.08 + rng() * 0.12),
        "#fff",
        0.2 + rng() * 0.35,
        0,
        d.seed,
      );
  }
}
