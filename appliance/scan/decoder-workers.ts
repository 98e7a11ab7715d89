// How many worker threads the label decoder gets on this board. Each worker holds its own V8 isolate
// and zxing heap: 20-45 MiB of resident memory on top of the appliance's ~190 (bench/NOTEBOOK.md,
// 2026-12-07). A 1 GB board also runs the kiosk's browser, so it reads every region on the main thread;
// boards with more memory use their other cores (the main thread keeps one for zxing's full-frame pass).
import { availableParallelism, totalmem } from "node:os";

const GIB = 1024 ** 3;

export interface Board {
  /** Bytes of RAM (os.totalmem()). */
  memoryBytes: number;
  /** os.availableParallelism(). */
  cores: number;
}

export function decoderWorkersFor({ memoryBytes, cores }: Board): number {
  const spareCores = Math.max(0, cores - 1);
  // Pi 3 and 1 GB Pi 4 report a little under their nominal size (the GPU's share is carved out).
  if (memoryBytes <= 1.5 * GIB) return 0;
  if (memoryBytes <= 3 * GIB) return Math.min(1, spareCores);
  return Math.min(3, spareCores);
}

/** The configured count (`scan.decoderWorkers`), else what this board can afford. */
export function decoderWorkers(configured: number | undefined): number {
  return configured ?? decoderWorkersFor({ memoryBytes: totalmem(), cores: availableParallelism() });
}
