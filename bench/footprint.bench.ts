// Memory footprint of the cabinet controller: the real appliance process (`lilo appliance run --sim`)
// from cold start to ready, then its resident memory after 1, 5 and N scans, each scan asked for as
// the kiosk's "scan now" does (POST /api/scan). Three runs:
//   sim          the simulator's cameras, whose renderer draws every frame inside the process, with
//                as many decoder workers as this machine gets by default;
//   recorded     the same cabinet with the frames the sim run captured replayed from disk (the
//                recorded camera driver), the renderer never loaded: what a cabinet's sensor leaves;
//                no decoder worker, as on a 1 GB board (appliance/scan/decoder-workers.ts);
//   recorded-1w  the same with one decoder worker, as on a 2 GB board.
// The process gets the environment and V8 heap limit of systemd/lilo-appliance.service, read from the
// unit: jemalloc preloaded (this machine's build of Debian's libjemalloc2) with its MALLOC_CONF.
// After the last scan the run also waits for RSS to settle (a scan's transient buffers handed back:
// jemalloc returns freed pages after its 300 ms decay), the memory a cabinet holds between scans.
// Where the memory goes comes from the process itself (GET /api/status `memory`); zxing's
// WebAssembly heap is measured here, by decoding the recorded frames as the appliance does.
//
//   npm run bench:footprint                  # 20 scans per run
//   npm run bench:footprint -- --scans 10
//   npm run bench:footprint -- --frames DIR  # only the recorded run, on DIR/shelf1 ... DIR/shelf4
//   LD_PRELOAD= npm run bench:footprint           # glibc's malloc (held to the unit's two arenas)
//   NODE_OPTIONS= npm run bench:footprint         # V8's own heap limit instead of the service's 96 MB
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { createLabelDecoder, ensureZxing } from "@lilo/vision";
import Sqlite from "better-sqlite3";
import { prepareZXingModule } from "zxing-wasm";
import { KIOSK_KEY_FILE, KIOSK_KEY_HEADER } from "../appliance/kiosk-guard.middleware.js";
import type { ProcessMemory } from "../appliance/process-memory.js";
import { simConfigInput } from "../appliance/sim/sim-config.js";
import { fromRoot } from "../shared/paths.js";
import { waitForSimReady } from "../test/support/sim-ready.js";

function argInt(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

const SCANS = Math.max(5, argInt("--scans", 20));
/** Frames recorded earlier (a folder per camera: shelf1 ... shelf4): the sim run is skipped. */
const FRAMES_DIR = process.argv.includes("--frames")
  ? process.argv[process.argv.indexOf("--frames") + 1]
  : undefined;
/** Scans after which the process is measured: the first, then every fifth. */
const isCheckpoint = (scan: number) => scan === 1 || scan % 5 === 0 || scan === SCANS;
const READY_TIMEOUT_MS = 120_000;
const MIB = 1024 * 1024;

/**
 * What systemd/lilo-appliance.service gives the process: its Environment= lines, and its ExecStart's
 * V8 flags — the heap sizes as NODE_OPTIONS (so the environment can override them), the rest
 * (--single-threaded-gc, which NODE_OPTIONS refuses) on the command line. The unit preloads the
 * arm64 build of jemalloc; this machine's own build stands in for it.
 */
function serviceEnv(): { env: Record<string, string>; args: string[] } {
  const unit = readFileSync(fromRoot("systemd", "lilo-appliance.service"), "utf8");
  const env: Record<string, string> = {};
  for (const [, line] of unit.matchAll(/^Environment=(.*)$/gm))
    for (const pair of line!.split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  const flags = /^ExecStart=\S+ ((?:--\S+ )*)/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  const heap = (f: string) => /^--max-(old|semi)-space-size=/.test(f);
  if (flags.some(heap)) env.NODE_OPTIONS = flags.filter(heap).join(" ");
  delete env.LILO_RELEASE_FILE;
  delete env.NODE_ENV;
  if (env.LD_PRELOAD) {
    const multiarch = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
    const here = env.LD_PRELOAD.replace("aarch64-linux-gnu", multiarch);
    if (existsSync(here)) env.LD_PRELOAD = here;
    else {
      console.error(
        `${here} is missing (apt-get install libjemalloc2): measuring with glibc's malloc instead`,
      );
      delete env.LD_PRELOAD;
    }
  }
  return { env, args: flags.filter((f) => f && !heap(f)) };
}
const { env: SERVICE_ENV, args: SERVICE_ARGS } = serviceEnv();

interface Sample {
  scans: number;
  /** VmRSS, VmHWM (peak RSS) and RssAnon (RSS less mapped files: malloc, V8, WebAssembly) from /proc/<pid>/status. */
  rss: number;
  hwm: number;
  anon: number;
  memory: ProcessMemory;
}

interface RunResult {
  name: string;
  readyMs: number;
  readyRss: number;
  samples: Sample[];
  scanMs: number[];
  /** CPU seconds per scan, the process's threads together (steadier than wall time on a busy host). */
  scanCpu: number;
  codesRead: number;
  /** RSS and its anonymous part once settled after the last scan, and how long that took. */
  settled: { rss: number; anon: number; ms: number };
}

/** Sampling period and patience of settledMemory. */
const SETTLE_POLL_MS = 250;
const SETTLE_QUIET_MS = 1_500;
const SETTLE_MAX_MS = 10_000;

/**
 * RSS once the process has let go of a scan's transient memory: read every SETTLE_POLL_MS until it
 * has not fallen by half a MiB for SETTLE_QUIET_MS, or SETTLE_MAX_MS have passed (then the last
 * reading). Waiting is the measurement here: how much stays resident between scans.
 */
async function settledMemory(pid: number): Promise<{ rss: number; anon: number; ms: number }> {
  const started = performance.now();
  let low = procMemory(pid).rss;
  let lowAt = started;
  for (;;) {
    await delay(SETTLE_POLL_MS);
    const now = performance.now();
    const m = procMemory(pid);
    if (m.rss < low - MIB / 2) {
      low = m.rss;
      lowAt = now;
    }
    if (now - lowAt >= SETTLE_QUIET_MS || now - started >= SETTLE_MAX_MS)
      return { rss: m.rss, anon: m.anon, ms: lowAt - started };
  }
}

/** CPU seconds the process has used, all its threads (utime + stime of /proc/<pid>/stat). */
function procCpuSeconds(pid: number): number {
  // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
/** USER_HZ, 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

function procMemory(pid: number): { rss: number; hwm: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024, anon: kib("RssAnon") * 1024 };
}

async function runAppliance(name: string, dataDir: string): Promise<RunResult> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...SERVICE_ARGS,
      fromRoot("bin/lilo.js"),
      "appliance",
      "run",
      "--sim",
      "--data-dir",
      dataDir,
      "--port",
      "0",
    ],
    // As systemd/lilo-appliance.service runs it, unless the environment says otherwise.
    {
      env: { ...SERVICE_ENV, ...process.env, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    const api = await waitForSimReady(child, {
      timeoutMs: READY_TIMEOUT_MS,
      onLine: (line, entry) => {
        if (entry?.level !== undefined && entry.level >= 50) console.error(`appliance: ${line}`);
      },
    });
    const readyMs = performance.now() - started;
    const pid = child.pid!;
    const readyRss = procMemory(pid).rss;
    const key = readFileSync(join(dataDir, KIOSK_KEY_FILE), "utf8").trim();
    const samples: Sample[] = [];
    const scanMs: number[] = [];
    let codesRead = 0;
    const cpu0 = procCpuSeconds(pid);
    for (let scan = 1; scan <= SCANS; scan++) {
      const t0 = performance.now();
      const res = await fetch(`${api}/scan`, {
        method: "POST",
        headers: { "content-type": "application/json", [KIOSK_KEY_HEADER]: key },
        body: "{}",
      });
      if (!res.ok) throw new Error(`scan ${scan}: HTTP ${res.status} ${await res.text()}`);
      const outcome = (await res.json()) as { shelves: { ok: boolean; codes: string[] }[] };
      scanMs.push(performance.now() - t0);
      codesRead += outcome.shelves.reduce((n, s) => n + s.codes.length, 0);
      if (isCheckpoint(scan)) {
        const status = (await (await fetch(`${api}/status`)).json()) as { memory: ProcessMemory };
        samples.push({ scans: scan, ...procMemory(pid), memory: status.memory });
      }
    }
    const scanCpu = (procCpuSeconds(pid) - cpu0) / SCANS;
    const settled = await settledMemory(pid);
    return { name, readyMs, readyRss, samples, scanMs, scanCpu, codesRead, settled };
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
}

/**
 * The shelf frames a run stored as its scans' evidence, one folder per camera (`shelf1`, ...): the
 * evidence store names images by their SHA-256, so the scans' rows say which shelf each shows.
 */
function recordFrames(fromDataDir: string, toDir: string): Map<string, string> {
  const dirs = new Map<string, string>();
  const db = new Sqlite(join(fromDataDir, "appliance.db"), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `SELECT DISTINCT s.shelf_id AS shelf, e.image_key AS key, e.path AS path
         FROM scan_results s JOIN evidence_images e ON e.image_key = s.image_s3_key`,
      )
      .all() as { shelf: number; key: string; path: string }[];
    for (const { shelf, key, path } of rows) {
      const dir = join(toDir, `shelf${shelf}`);
      mkdirSync(dir, { recursive: true });
      copyFileSync(path, join(dir, `${key}.jpg`));
      dirs.set(`shelf${shelf}`, dir);
    }
  } finally {
    db.close();
  }
  return dirs;
}

/** The standalone simulator's config with every camera replaying its recorded frames. */
function writeRecordedConfig(dataDir: string, frames: Map<string, string>, decoderWorkers: number): void {
  const config = simConfigInput(dataDir, 0);
  config.scan = { ...config.scan, decoderWorkers };
  config.hardware.cameras = (config.hardware.cameras ?? []).map((c) => {
    const dir = frames.get(c.id);
    if (!dir) throw new Error(`the sim run recorded no frame for camera ${c.id}`);
    return { ...c, driver: "recorded" as const, dir };
  });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "appliance.json"), JSON.stringify(config, null, 2));
}

/** zxing's WebAssembly memory after decoding every recorded frame the way a scan does; it never shrinks. */
async function zxingHeapAfter(frames: Map<string, string>): Promise<number> {
  await ensureZxing();
  // On this thread only (each of the decoder's workers holds an instance of its own, as large).
  const decoder = createLabelDecoder({ workers: 0 });
  for (const dir of frames.values())
    for (const file of readdirSync(dir)) await decoder.decode(readFileSync(join(dir, file)));
  await decoder.close();
  // With no overrides, zxing-wasm hands back the instance ensureZxing prepared. Emscripten sets
  // HEAPU8 on it (the view of the whole linear memory); zxing-wasm's types leave it out.
  const module = (await prepareZXingModule({ fireImmediately: true })) as unknown as { HEAPU8: Uint8Array };
  return module.HEAPU8.byteLength;
}

const mib = (bytes: number) => (bytes / MIB).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function report(runs: RunResult[], zxingHeap: number): void {
  const at = (r: RunResult, n: number) => r.samples.find((s) => s.scans === n)!;
  const env = { ...SERVICE_ENV, ...process.env };
  console.log(
    `\nRSS in MiB (VmRSS; peak = VmHWM over the run). ${SCANS} scans per run, 4 shelves of 1920x1080, LD_PRELOAD=${env.LD_PRELOAD || "(none)"}, MALLOC_CONF=${env.MALLOC_CONF ?? ""}, MALLOC_ARENA_MAX=${env.MALLOC_ARENA_MAX ?? ""}, NODE_OPTIONS=${env.NODE_OPTIONS ?? ""}, node ${SERVICE_ARGS.join(" ")}.`,
  );
  console.log(
    `| run | ready (s) | RSS ready | after 1 | after 5 | after ${SCANS} | settled after ${SCANS} (anonymous) | peak | growth 5→${SCANS} | scan median (s) | CPU per scan (s) | codes read |`,
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of runs) {
    const last = at(r, SCANS);
    console.log(
      `| ${r.name} | ${(r.readyMs / 1000).toFixed(2)} | ${mib(r.readyRss)} | ${mib(at(r, 1).rss)} | ${mib(at(r, 5).rss)} | ${mib(last.rss)} | ${mib(r.settled.rss)} (${mib(r.settled.anon)}) after ${(r.settled.ms / 1000).toFixed(1)} s | ${mib(last.hwm)} | ${(last.rss / at(r, 5).rss).toFixed(3)} | ${(median(r.scanMs) / 1000).toFixed(2)} | ${r.scanCpu.toFixed(2)} | ${r.codesRead} |`,
    );
  }
  console.log(
    `\nWhere it goes after ${SCANS} scans (MiB; process.memoryUsage() and sharp.cache() in the appliance):`,
  );
  console.log("| run | RSS | V8 heap used | external | of which ArrayBuffers | sharp cache (items) |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of runs) {
    const { memory: m } = at(r, SCANS);
    console.log(
      `| ${r.name} | ${mib(m.rss_bytes)} | ${mib(m.heap_used_bytes)} | ${mib(m.external_bytes)} | ${mib(m.array_buffers_bytes)} | ${mib(m.sharp_cache.bytes)} (${m.sharp_cache.items}) |`,
    );
  }
  console.log("\nRSS / of which anonymous / V8 heap used / external (MiB), after each checkpoint's scans:");
  for (const r of runs)
    console.log(
      `${r.name}: ${r.samples.map((x) => `${x.scans}: ${mib(x.rss)} / ${mib(x.anon)} / ${mib(x.memory.heap_used_bytes)} / ${mib(x.memory.external_bytes)}`).join(", ")}`,
    );
  console.log(`\nzxing-wasm's WebAssembly memory after decoding every recorded frame: ${mib(zxingHeap)} MiB`);
}

const root = mkdtempSync(join(tmpdir(), "lilo-footprint-"));
try {
  const runs: RunResult[] = [];
  let frames: Map<string, string>;
  if (FRAMES_DIR) {
    frames = new Map(readdirSync(FRAMES_DIR).map((camera) => [camera, join(FRAMES_DIR, camera)]));
  } else {
    runs.push(await runAppliance("sim", join(root, "sim")));
    frames = recordFrames(join(root, "sim"), join(root, "frames"));
  }
  for (const [name, workers] of [
    ["recorded", 0],
    ["recorded-1w", 1],
  ] as const) {
    writeRecordedConfig(join(root, name), frames, workers);
    runs.push(await runAppliance(name, join(root, name)));
  }
  report(runs, await zxingHeapAfter(frames));
} finally {
  rmSync(root, { recursive: true, force: true });
}
