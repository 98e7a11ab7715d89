// The decoder's worker threads for per-region work. Regions go to whichever worker is free; a
// worker that dies fails its region and is replaced. Size 0 runs regions on the calling thread.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { RegionRequest } from "./region.worker.js";
import { type RegionResult, type RegionTask, runRegion } from "./second-pass.js";
import type { GreyImage } from "./types.js";

/** The frame as workers see it: its pixels in memory they share with the main thread. */
export interface SharedFrame {
  grey: GreyImage;
  shared: RegionRequest["frame"];
}

interface Pending {
  request: RegionRequest;
  resolve: (r: RegionResult) => void;
  reject: (e: Error) => void;
}

/**
 * Pi 4 and 5 have four cores: the main thread keeps one for zxing's full-frame pass and the service.
 * A worker for every core (two on a two-core host) read curved frames' second pass faster once
 * warm, but each worker compiles the second pass's code anew, and over a run of 40 frames that cost
 * more than it saved (bench/NOTEBOOK.md, 2026-12-07, late morning).
 */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

// Under tsx or vitest this module is TypeScript, and so is the worker beside it: the worker then
// registers tsx's loader before importing it (Node 20 ignores --import in a worker's execArgv).
const fromSource = import.meta.url.endsWith(".ts");
const WORKER_URL = new URL(fromSource ? "./region.worker.ts" : "./region.worker.js", import.meta.url);

function startWorker(): Worker {
  if (!fromSource) return new Worker(WORKER_URL);
  const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true });
}

export class RegionPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly waiting: Pending[] = [];
  /** Workers started and not yet lost. */
  private readonly live = new Set<Worker>();
  private nextId = 0;
  /** Without workers, regions run one after another on this thread, as zxing's module expects. */
  private inline: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 0)
      throw new RangeError(`workers must be a whole number >= 0 (got ${size})`);
  }

  /** Copies the frame once into memory the workers share (no copy without workers). */
  share(grey: GreyImage): SharedFrame {
    if (this.size === 0) return { grey, shared: { data: new SharedArrayBuffer(0), width: 0, height: 0 } };
    const data = new SharedArrayBuffer(grey.data.length);
    new Uint8Array(data).set(grey.data);
    return { grey, shared: { data, width: grey.width, height: grey.height } };
  }

  run(frame: SharedFrame, task: RegionTask): Promise<RegionResult> {
    if (this.closed) return Promise.reject(new Error("the label decoder is closed"));
    if (this.size === 0) {
      const run = this.inline.then(() => runRegion(frame.grey, task));
      this.inline = run.catch(() => undefined);
      return run;
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { id: this.nextId++, frame: frame.shared, task }, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.reject(new Error("the label decoder is closed"));
    const workers = [...this.live];
    this.live.clear();
    this.idle.length = 0;
    for (const job of this.busy.values()) job.reject(new Error("the label decoder is closed"));
    this.busy.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length) {
      const worker = this.idle.pop() ?? (this.live.size < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.waiting.shift()!;
      this.busy.set(worker, job);
      worker.postMessage(job.request);
    }
  }

  private spawn(): Worker {
    const worker = startWorker();
    this.live.add(worker);
    worker.on("message", (msg: { id: number; result?: RegionResult; error?: string }) => {
      const job = this.busy.get(worker);
      if (!job || job.request.id !== msg.id) return;
      this.busy.delete(worker);
      this.idle.push(worker);
      if (msg.error !== undefined) job.reject(new Error(`second-pass worker: ${msg.error}`));
      else job.resolve(msg.result!);
      this.dispatch();
    });
    // A crash reports an error and then an exit; the worker is accounted for once.
    const lost = (err: Error) => {
      if (!this.live.delete(worker)) return;
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      job?.reject(err);
      this.dispatch();
    };
    worker.on("error", lost);
    worker.on("exit", (code) => lost(new Error(`second-pass worker exited with code ${code}`)));
    return worker;
  }
}
