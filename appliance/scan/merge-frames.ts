// Merges what several frames of one scan read on one shelf. The camera and the shelf stand still
// between frames, so a code read in any frame is on the shelf, at the same place in every frame;
// only noise and exposure differ, and a glare stripe or a noisy frame costs a code in one frame only.
import type { DecodedLabel, UnreadLabel } from "@lilo/vision";

/** One frame's decode of one shelf, or why there is none (capture or decode failed). */
export type FrameRead =
  | { ok: true; codes: readonly DecodedLabel[]; unread: readonly UnreadLabel[] }
  | { ok: false; error: string };

export interface MergedCode extends DecodedLabel {
  /** How many frames read this code. */
  frames: number;
}

export type MergedRead =
  | {
      ok: true;
      /** Every code read in any frame, once, with the corners of its most confident read. */
      codes: MergedCode[];
      /** Labels seen but not read in any frame, each once. */
      unread: UnreadLabel[];
      /** The frame that read the most codes (fewest unread on a tie, then the earliest). */
      best: number;
      /** Frames that decoded. */
      frames: number;
    }
  | { ok: false; error: string };

/** Two regions are one label when they share at least this fraction of the smaller one's area. */
const SAME_LABEL = 0.25;

/**
 * Union of the codes by text; an unread region is dropped when a code read in any frame covers it
 * (the label was read after all) or when an earlier frame already reported it. The shelf is read if
 * any frame decoded; if none did, the first frame's error stands.
 */
export function mergeFrames(frames: readonly FrameRead[]): MergedRead {
  const decoded = frames.flatMap((f, i) => (f.ok ? [{ ...f, index: i }] : []));
  if (decoded.length === 0) {
    const first = frames.find((f) => !f.ok);
    return { ok: false, error: first?.error ?? "no frame captured" };
  }

  const byText = new Map<string, MergedCode>();
  for (const f of decoded) {
    for (const c of f.codes) {
      const prev = byText.get(c.text);
      if (!prev) byText.set(c.text, { ...c, frames: 1 });
      else if (c.confidence > prev.confidence) byText.set(c.text, { ...c, frames: prev.frames + 1 });
      else prev.frames++;
    }
  }
  const codes = [...byText.values()];
  const readBoxes = codes.map((c) => codeBox(c));

  const unread: UnreadLabel[] = [];
  for (const f of decoded) {
    for (const u of f.unread) {
      if (readBoxes.some((b) => sameLabel(b, u))) continue;
      if (unread.some((kept) => sameLabel(kept, u))) continue;
      unread.push(u);
    }
  }

  let best = decoded[0]!;
  for (const f of decoded.slice(1)) {
    const more = f.codes.length - best.codes.length;
    if (more > 0 || (more === 0 && f.unread.length < best.unread.length)) best = f;
  }
  return { ok: true, codes, unread, best: best.index, frames: decoded.length };
}

/**
 * True when another frame cannot change the outcome: the shelf decoded, no label is left unread,
 * and every code expected on the shelf was read. A missing expected code would otherwise become a
 * checkout, so it is worth a second look even when no label region was flagged.
 */
export function readsEverything(merged: MergedRead, expected: Iterable<string>): boolean {
  if (!merged.ok || merged.unread.length > 0) return false;
  const read = new Set(merged.codes.map((c) => c.text));
  for (const code of expected) if (!read.has(code)) return false;
  return true;
}

/** Axis-aligned bounding box of a code's corners. */
function codeBox(c: DecodedLabel): UnreadLabel {
  const xs = c.corners.map((q) => q[0]);
  const ys = c.corners.map((q) => q[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

function sameLabel(a: UnreadLabel, b: UnreadLabel): boolean {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return false;
  const smaller = Math.min(a.w * a.h, b.w * b.h);
  return w * h >= SAME_LABEL * smaller;
}
