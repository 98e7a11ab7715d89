// Backs `lilo appliance detect FILE...`: one JSON line per shelf image with the spill and breakage
// findings, so a set of photographs can be scored with jq or compared between model versions.
import { readFile } from "node:fs/promises";
import { type HazardFinding, modelImageFrom, type SpillDetector } from "./spill-detector.js";

const ms = (v: number) => Math.round(v * 10) / 10;
const finding = (f: HazardFinding) => ({
  detected: f.detected,
  confidence: Math.round(f.confidence * 1e4) / 1e4,
  box: f.box,
});

/**
 * Scores each file and writes one line through `out`: `{file, spill, breakage, ms}` (ms: decoding,
 * scaling and inference), or `{file, error}` for a file that cannot be read or is not an image; the
 * rest are still scored. Resolves false if any failed.
 */
export async function detectFiles(
  paths: string[],
  out: (line: string) => void,
  detector: SpillDetector,
): Promise<boolean> {
  let ok = true;
  for (const file of paths) {
    const t0 = performance.now();
    try {
      const d = await detector.detect(await modelImageFrom(await readFile(file)));
      out(
        JSON.stringify({
          file,
          spill: finding(d.spill),
          breakage: finding(d.breakage),
          ms: ms(performance.now() - t0),
        }),
      );
    } catch (err) {
      ok = false;
      out(JSON.stringify({ file, error: err instanceof Error ? err.message : String(err) }));
    }
  }
  return ok;
}
