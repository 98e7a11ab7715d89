// Shelf photographs kept as the evidence of each scan, one folder per day under the data directory;
// the scan_results row names the file.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class EvidenceStore {
  constructor(private readonly dir: string) {}

  /** Writes one shelf's image as taken at `at`; returns its path. */
  save(shelf: number, at: Date, image: Buffer): string {
    const stamp = at.toISOString();
    const dir = join(this.dir, stamp.slice(0, 10));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `shelf${shelf}-${stamp.replaceAll(":", "")}.jpg`);
    writeFileSync(path, image);
    return path;
  }
}
