// `lilo appliance detect FILE...`: the built CLI, one JSON line per image, and an unreadable file
// reported on its own line with exit status 1 while the other files are still scored.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lilo } from "../../test/support/cli.js";
import { renderShelf } from "../sim/shelf-renderer.js";

async function detect(...files: string[]): Promise<{ code: number; lines: Record<string, unknown>[] }> {
  const out = await lilo(["appliance", "detect", ...files]);
  return {
    code: out.code,
    lines: out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l)),
  };
}

describe("lilo appliance detect", () => {
  let dir: string;
  let spill: string;
  let clean: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lilo-detect-"));
    spill = join(dir, "spill.jpg");
    clean = join(dir, "clean.png");
    const scene = { containers: [], seed: 31, width: 640, height: 360, difficulty: "easy" as const };
    await writeFile(
      spill,
      await renderShelf({ ...scene, hazards: [{ kind: "spill", x: 0.4, y: 0.95, radius: 0.13 }] }),
    );
    await writeFile(clean, await renderShelf(scene));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("prints one JSON line per image with both findings and the time taken", async () => {
    const { code, lines } = await detect(spill, clean);
    expect(code).toBe(0);
    expect(lines).toHaveLength(2);
    type Finding = { detected: boolean; confidence: number; box: { x: number; w: number } | null };
    const [s, c] = lines as { file: string; spill: Finding; breakage: Finding; ms: number }[];
    expect(s!.file).toBe(spill);
    expect(s!.spill.detected).toBe(true);
    expect(s!.spill.box!.x).toBeLessThan(0.4);
    expect(s!.spill.box!.x + s!.spill.box!.w).toBeGreaterThan(0.4);
    expect(Object.keys(s!.breakage).sort()).toEqual(["box", "confidence", "detected"]);
    expect(s!.ms).toBeGreaterThan(0);
    expect(c!.spill).toMatchObject({ detected: false, box: null });
    expect(c!.breakage).toMatchObject({ detected: false, box: null });
  });

  it("reports an unreadable file as {file, error}, scores the rest and exits 1", async () => {
    const notes = join(dir, "notes.txt");
    await writeFile(notes, "not an image");
    const missing = join(dir, "missing.jpg");
    const { code, lines } = await detect(notes, spill, missing);
    expect(code).toBe(1);
    expect(lines.map((l) => Object.keys(l).sort())).toEqual([
      ["error", "file"],
      ["breakage", "file", "ms", "spill"],
      ["error", "file"],
    ]);
    expect(lines[0]).toMatchObject({ file: notes, error: expect.stringMatching(/unsupported image format/) });
    expect(lines[2]).toMatchObject({ file: missing, error: expect.stringMatching(/ENOENT/) });
  });
});
