// The `--steps` table: each second-pass step's regions, first reads and time, summed over a run.
import type { StepReport } from "../src/index.js";

export type { StepReport };

/** Sums per-image step reports by step name, keeping the steps' order. */
export function sumSteps(perImage: readonly StepReport[][]): StepReport[] {
  const out: StepReport[] = [];
  for (const reports of perImage) {
    for (const r of reports) {
      const into = out.find((x) => x.name === r.name);
      if (into) {
        into.regions += r.regions;
        into.ms += r.ms;
        into.reads += r.reads;
      } else out.push({ ...r });
    }
  }
  return out;
}

/** One line per step: regions run, codes first read, ms in all and per image, share of the time. */
export function stepTable(steps: readonly StepReport[], images: number): string[] {
  const total = steps.reduce((a, s) => a + s.ms, 0);
  const head = `${"step".padEnd(20)}${"regions".padStart(8)}${"reads".padStart(7)}${"ms".padStart(9)}${"ms/image".padStart(10)}${"share".padStart(7)}${"ms/read".padStart(9)}`;
  return [
    head,
    "-".repeat(head.length),
    ...steps.map(
      (s) =>
        `${s.name.padEnd(20)}${String(s.regions).padStart(8)}${String(s.reads).padStart(7)}${s.ms.toFixed(0).padStart(9)}${(s.ms / images).toFixed(1).padStart(10)}${`${total ? ((100 * s.ms) / total).toFixed(0) : 0}%`.padStart(7)}${(s.reads ? (s.ms / s.reads).toFixed(0) : "-").padStart(9)}`,
    ),
  ];
}
