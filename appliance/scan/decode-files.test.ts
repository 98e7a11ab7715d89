import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderShelf } from "../sim/shelf-renderer.js";
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
});
