import type { DecodedLabel, UnreadLabel } from "@lilo/vision";
import { describe, expect, it } from "vitest";
import { type FrameRead, mergeFrames, readsEverything } from "./merge-frames.js";

/** A code whose symbol is the axis-aligned square at (x, y) with edge `size`. */
function code(text: string, x: number, y: number, confidence = 1, size = 60): DecodedLabel {
  return {
    text,
    corners: [
      [x, y],
      [x + size, y],
      [x + size, y + size],
      [x, y + size],
    ],
    confidence,
  };
}

const frame = (codes: DecodedLabel[], unread: UnreadLabel[] = []): FrameRead => ({ ok: true, codes, unread });
const failed = (error: string): FrameRead => ({ ok: false, error });

describe("mergeFrames", () => {
  it("keeps every code read in any frame, once, and counts the frames that read it", () => {
    const m = mergeFrames([
      frame([code("LILO:C:000001", 100, 100), code("LILO:C:000002", 300, 100)]),
      frame([code("LILO:C:000002", 301, 101), code("LILO:C:000003", 500, 100)]),
    ]);
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.codes.map((c) => [c.text, c.frames])).toEqual([
      ["LILO:C:000001", 1],
      ["LILO:C:000002", 2],
      ["LILO:C:000003", 1],
    ]);
    expect(m.frames).toBe(2);
  });

  it("keeps the corners of the most confident read of a code", () => {
    const m = mergeFrames([
      frame([code("LILO:C:000001", 100, 100, 0.75)]),
      frame([code("LILO:C:000001", 102, 98, 1)]),
      frame([code("LILO:C:000001", 104, 96, 0.9)]),
    ]);
    if (!m.ok) throw new Error("expected a merged read");
    expect(m.codes).toHaveLength(1);
    expect(m.codes[0]).toMatchObject({ confidence: 1, frames: 3 });
    expect(m.codes[0]!.corners[0]).toEqual([102, 98]);
  });

  it("drops a label seen but not read in one frame when another frame read a code there", () => {
    const glared = { x: 95, y: 95, w: 40, h: 70 }; // the left part of code 1, around two finders
    const m = mergeFrames([
      frame([code("LILO:C:000002", 300, 100)], [glared]),
      frame([code("LILO:C:000001", 100, 100), code("LILO:C:000002", 300, 100)]),
    ]);
    if (!m.ok) throw new Error("expected a merged read");
    expect(m.unread).toEqual([]);
    expect(m.codes.map((c) => c.text)).toEqual(["LILO:C:000002", "LILO:C:000001"]);
  });

  it("keeps a label no frame read, once, even when every frame saw it", () => {
    const a = { x: 600, y: 100, w: 64, h: 64 };
    const b = { x: 604, y: 98, w: 64, h: 64 };
    const elsewhere = { x: 900, y: 100, w: 64, h: 64 };
    const m = mergeFrames([frame([code("LILO:C:000001", 100, 100)], [a]), frame([], [b, elsewhere])]);
    if (!m.ok) throw new Error("expected a merged read");
    expect(m.unread).toEqual([a, elsewhere]);
  });

  it("does not let a code suppress a neighbour's unread label that merely touches it", () => {
    // 4 px of a 64 px region overlap the code's box: a different label.
    const neighbour = { x: 156, y: 100, w: 64, h: 64 };
    const m = mergeFrames([frame([code("LILO:C:000001", 100, 100)], [neighbour])]);
    if (!m.ok) throw new Error("expected a merged read");
    expect(m.unread).toEqual([neighbour]);
  });

  it("is read when any frame decoded, and picks the frame that read the most as evidence", () => {
    const m = mergeFrames([
      failed("capture failed: timeout"),
      frame([code("LILO:C:000001", 100, 100)], [{ x: 300, y: 100, w: 60, h: 60 }]),
      frame([code("LILO:C:000001", 100, 100), code("LILO:C:000002", 300, 100)]),
      frame([code("LILO:C:000001", 100, 100), code("LILO:C:000002", 300, 100)]),
    ]);
    expect(m).toMatchObject({ ok: true, best: 2, frames: 3, unread: [] });
  });

  it("on a tie in codes, prefers the frame with fewer unread labels", () => {
    const m = mergeFrames([
      frame([code("LILO:C:000001", 100, 100)], [{ x: 300, y: 100, w: 60, h: 60 }]),
      frame([code("LILO:C:000001", 100, 100)]),
    ]);
    expect(m).toMatchObject({ ok: true, best: 1 });
  });

  it("fails with the first error when every frame failed", () => {
    expect(mergeFrames([failed("capture failed: no camera"), failed("decode: bad JPEG")])).toEqual({
      ok: false,
      error: "capture failed: no camera",
    });
    expect(mergeFrames([])).toEqual({ ok: false, error: "no frame captured" });
  });
});

describe("readsEverything", () => {
  const one = frame([code("LILO:C:000001", 100, 100)]);

  it("is true once every expected code is read and no label is left unread", () => {
    expect(readsEverything(mergeFrames([one]), ["LILO:C:000001"])).toBe(true);
    expect(readsEverything(mergeFrames([one]), [])).toBe(true);
  });

  it("asks for another frame when an expected code is missing, a label is unread, or nothing decoded", () => {
    expect(readsEverything(mergeFrames([one]), ["LILO:C:000001", "LILO:C:000002"])).toBe(false);
    const unread = frame([code("LILO:C:000001", 100, 100)], [{ x: 300, y: 100, w: 60, h: 60 }]);
    expect(readsEverything(mergeFrames([unread]), ["LILO:C:000001"])).toBe(false);
    expect(readsEverything(mergeFrames([failed("x")]), [])).toBe(false);
  });
});
