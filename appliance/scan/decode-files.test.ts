import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderShelf, type ShelfScene } from "../sim/shelf-renderer.js";
import { decodeFiles } from "./decode-files.js";

describe("decodeFiles", () => {
  let dir: string;
  let good: string;
  let bad: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lilo-decode-"));
    good = join(dir, "shelf.jpg");
    bad = join(dir, "notes.txt");
    await writeFile(
      good,
      await renderShelf({
        containers: [{ qr_code: "LILO:C:000042", x: 0.5, y: 0.5, labelPx: 120 }],
        seed: 9,
        difficulty: "easy",
        width: 800,
        height: 600,
      }),
    );
    await writeFile(bad, "this is not an image");
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints one JSON line per file and reports success", async () => {
    const lines: string[] = [];
    expect(await decodeFiles([good, good], (l) => lines.push(l))).toBe(true);
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first.file).toBe(good);
    expect(first.codes).toHaveLength(1);
    expect(first.codes[0].text).toBe("LILO:C:000042");
    expect(first.codes[0].corners).toHaveLength(4);
    expect(first.unread).toEqual([]);
    expect(typeof first.ms).toBe("number");
    expect(first.error).toBeUndefined();
  });

  it("prints an error line for a bad or missing file, keeps going, and reports failure", async () => {
    const lines: string[] = [];
    const missing = join(dir, "missing.jpg");
    expect(await decodeFiles([bad, good, missing], (l) => lines.push(l))).toBe(false);
    expect(lines).toHaveLength(3);
    const [a, b, c] = lines.map((l) => JSON.parse(l));
    expect(a.file).toBe(bad);
    expect(typeof a.error).toBe("string");
    expect(a.codes).toBeUndefined();
    expect(b.codes[0].text).toBe("LILO:C:000042");
    expect(c.file).toBe(missing);
    expect(c.error).toMatch(/ENOENT|no such file/i);
  });

  describe("with glare", () => {
    // Two labels; the cabinet light washes out the middle of the first in the normal exposure.
    const scene: ShelfScene = {
      containers: [
        { qr_code: "LILO:C:000001", x: 0.14, y: 0.55 },
        { qr_code: "LILO:C:000002", x: 0.32, y: 0.55 },
      ],
      seed: 1,
      specular: [{ x: 0.14, y: 0.55, width: 0.02, height: 0.14, intensity: 1 }],
    };
    let glared: string;
    let darker: string;
    beforeAll(async () => {
      glared = join(dir, "frame0.jpg");
      darker = join(dir, "frame1.jpg");
      await writeFile(glared, await renderShelf(scene));
      await writeFile(darker, await renderShelf({ ...scene, exposureEv: -1, noiseSeed: 2 }));
    });

    it("lists the labels seen but not read on each line", async () => {
      const lines: string[] = [];
      expect(await decodeFiles([glared], (l) => lines.push(l))).toBe(true);
      const line = JSON.parse(lines[0]!);
      expect(line.codes.map((c: { text: string }) => c.text)).toEqual(["LILO:C:000002"]);
      expect(line.unread).toHaveLength(1);
      const [u] = line.unread;
      expect(Object.keys(u).sort()).toEqual(["h", "w", "x", "y"]);
      // The region is where the first label was placed (x 0.14, y 0.55 of 1920x1080).
      expect(u.x).toBeLessThan(0.14 * 1920);
      expect(u.x + u.w).toBeGreaterThan(0.14 * 1920 - 40);
      expect(u.y).toBeLessThan(0.55 * 1080);
      expect(u.y + u.h).toBeGreaterThan(0.55 * 1080);
    });

    it("--frames merges each group of files into one line, as a scan does", async () => {
      const lines: string[] = [];
      expect(await decodeFiles([glared, darker, good, good], (l) => lines.push(l), { frames: 2 })).toBe(true);
      expect(lines).toHaveLength(2);
      const [scan, other] = lines.map((l) => JSON.parse(l));
      expect(scan.files).toEqual([glared, darker]);
      expect(scan.file).toBeUndefined();
      expect(scan.codes.map((c: { text: string; frames: number }) => [c.text, c.frames])).toEqual([
        ["LILO:C:000002", 2],
        ["LILO:C:000001", 1],
      ]);
      expect(scan.unread).toEqual([]);
      expect(other.codes).toEqual([expect.objectContaining({ text: "LILO:C:000042", frames: 2 })]);
    });

    it("--frames reports a group with an unreadable file as an error, and refuses a partial group", async () => {
      const lines: string[] = [];
      expect(await decodeFiles([glared, bad], (l) => lines.push(l), { frames: 2 })).toBe(false);
      const line = JSON.parse(lines[0]!);
      expect(line.files).toEqual([glared, bad]);
      expect(line.error).toContain(bad);
      await expect(decodeFiles([glared, darker, good], () => {}, { frames: 2 })).rejects.toThrow(
        /multiple of 2 files \(got 3\)/,
      );
    });
  });
});
