// What the shelf-photograph benches (qr-curved, datamatrix) share: their command-line numbers, the
// run that times the pipeline against zxing-wasm on the same images taking turns going first, and
// the table both print. Each bench keeps its scene, its decoders, its buckets and its targets.
import type { CurvedCode, CurvedShot } from "./curved-scene.js";

export const METHODS = ["pipeline", "zxing single"] as const;
export type Method = (typeof METHODS)[number];

/** A positive whole number after `name` on the command line, or `fallback`. */
export function argInt(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

/** A count that may be 0 (argInt takes positive numbers only). */
export function argCount(name: string): number {
  const v = Number(process.argv[process.argv.indexOf(name) + 1]);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} needs a whole number >= 0`);
  return v;
}

/** `--warm N`: untimed frames decoded first (default none); `--warm 40` gives the decoder's steady state. */
export const WARM = argInt("--warm", 0);

/**
 * Warms the JIT on every path before timing: two of the timed frames, and `--warm N` frames of other
 * seeds (`render(k)` draws the k-th), which are not timed. V8 goes on compiling for the first few
 * dozen frames, which a cabinet decoding every scan for months pays once.
 */
export async function warmUp(
  shots: readonly CurvedShot[],
  render: (k: number) => Promise<CurvedShot>,
  decodeWith: (method: Method, shot: CurvedShot) => Promise<unknown>,
): Promise<void> {
  const warm: CurvedShot[] = [];
  for (let k = 0; k < WARM; k++) warm.push(await render(k));
  for (const s of [...shots.slice(0, 2), ...warm]) for (const m of METHODS) await decodeWith(m, s);
}

export const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : "-");
export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** A way to sort the readable codes into table rows (e.g. by module size). */
export interface Bucket {
  name: string;
  of: (c: CurvedCode) => string;
}

interface Row {
  n: number;
  hit: Record<Method, number>;
}

export interface Comparison {
  /** Readable codes and the reads of each method, by `bucket|value` and under "all". */
  rows: Map<string, Row>;
  all: Row;
  /** Wall and process CPU time (every thread) per image, ms. */
  ms: Record<Method, number[]>;
  cpu: Record<Method, number[]>;
  falses: Record<Method, number>;
  /** Codes marked unreadable (modules < 2 px or > 10% hidden), and how many each read anyway. */
  unreadableN: number;
  unreadable: Record<Method, number>;
}

/** Process CPU time (every thread) in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const perMethod = <T>(make: () => T): Record<Method, T> => ({ pipeline: make(), "zxing single": make() });

/**
 * Decodes every shot with both methods, the first going second on the next shot, and counts reads
 * of readable codes by bucket, false decodes and time. `onMiss` hears of each readable code the
 * pipeline did not read (shot index, code, what each method found).
 */
export async function compareMethods(
  shots: readonly CurvedShot[],
  decodeWith: (method: Method, shot: CurvedShot) => Promise<string[]>,
  buckets: readonly Bucket[],
  onMiss?: (index: number, code: CurvedCode, found: Record<Method, Set<string>>) => void,
): Promise<Comparison> {
  const rows = new Map<string, Row>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) {
      r = { n: 0, hit: perMethod(() => 0) };
      rows.set(key, r);
    }
    return r;
  };
  const ms = perMethod<number[]>(() => []);
  const cpu = perMethod<number[]>(() => []);
  const falses = perMethod(() => 0);
  const unreadable = perMethod(() => 0);
  let unreadableN = 0;
  for (const [k, shot] of shots.entries()) {
    const order = k % 2 ? [...METHODS].reverse() : [...METHODS];
    const found = {} as Record<Method, Set<string>>;
    const truth = new Set(shot.codes.map((c) => c.text));
    for (const m of order) {
      const t = performance.now();
      const c0 = cpuMs();
      found[m] = new Set(await decodeWith(m, shot));
      cpu[m].push(cpuMs() - c0);
      ms[m].push(performance.now() - t);
      falses[m] += [...found[m]].filter((x) => !truth.has(x)).length;
    }
    for (const c of shot.codes) {
      if (!c.readable) {
        unreadableN++;
        for (const m of METHODS) if (found[m].has(c.text)) unreadable[m]++;
        continue;
      }
      for (const key of ["all", ...buckets.map((b) => `${b.name}|${b.of(c)}`)]) {
        const r = row(key);
        r.n++;
        for (const m of METHODS) if (found[m].has(c.text)) r.hit[m]++;
      }
      if (onMiss && !found.pipeline.has(c.text)) onMiss(k, c, found);
    }
  }
  return { rows, all: row("all"), ms, cpu, falses, unreadableN, unreadable };
}

/** Prints recall by bucket, overall, false decodes and mean times, the two methods side by side. */
export function printComparison(c: Comparison, buckets: readonly Bucket[]): void {
  const head = `${"bucket".padEnd(26)}${"codes".padStart(6)}${"pipeline".padStart(11)}${"zxing single".padStart(14)}`;
  const line = (label: string, n: number | string, a: string, b: string) =>
    console.log(`${label.padEnd(26)}${String(n).padStart(6)}${a.padStart(11)}${b.padStart(14)}`);
  const recall = (r: Row) => [pct(r.hit.pipeline, r.n), pct(r.hit["zxing single"], r.n)] as const;
  console.log(head);
  console.log("-".repeat(head.length));
  for (const b of buckets) {
    for (const key of [...c.rows.keys()].filter((k) => k.startsWith(`${b.name}|`)).sort()) {
      const r = c.rows.get(key)!;
      line(`${b.name} ${key.split("|")[1]}`, r.n, ...recall(r));
    }
  }
  console.log("-".repeat(head.length));
  line("readable, overall", c.all.n, ...recall(c.all));
  line(
    "unreadable, read anyway",
    c.unreadableN,
    String(c.unreadable.pipeline),
    String(c.unreadable["zxing single"]),
  );
  line("false decodes", "", String(c.falses.pipeline), String(c.falses["zxing single"]));
  line("wall ms/image (mean)", "", mean(c.ms.pipeline).toFixed(1), mean(c.ms["zxing single"]).toFixed(1));
  line("CPU ms/image (mean)", "", mean(c.cpu.pipeline).toFixed(1), mean(c.cpu["zxing single"]).toFixed(1));
}

/** Prints the targets both benches hold the pipeline to: recall, no false decodes, CPU time. */
export function printTargets(c: Comparison): void {
  const { all, falses } = c;
  const cpuRatio = mean(c.cpu.pipeline) / mean(c.cpu["zxing single"]);
  console.log(
    `  readable recall >= 95%: ${pct(all.hit.pipeline, all.n)} ${all.hit.pipeline / all.n >= 0.95 ? "MET" : "NOT MET"}`,
  );
  console.log(`  zero false decodes: ${falses.pipeline} ${falses.pipeline === 0 ? "MET" : "NOT MET"}`);
  console.log(
    `  CPU <= 3x zxing single (means): ${cpuRatio.toFixed(2)}x ${cpuRatio <= 3 ? "MET" : "NOT MET"}`,
  );
}
