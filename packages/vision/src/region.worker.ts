// A worker thread of the decoder's pool: runs second-pass regions on the frame the main thread
// shares with it. The grey frame arrives as a SharedArrayBuffer, so each region costs a message,
// not a copy of the frame.
import { parentPort } from "node:worker_threads";
import { type RegionTask, runRegion } from "./second-pass.js";
import { ensureZxing } from "./zxing-module.js";

export interface RegionRequest {
  id: number;
  frame: { data: SharedArrayBuffer; width: number; height: number };
  task: RegionTask;
}

const port = parentPort;
if (!port) throw new Error("region.worker runs only as a worker thread");

port.on("message", async ({ id, frame, task }: RegionRequest) => {
  try {
    await ensureZxing();
    const grey = { data: new Uint8Array(frame.data), width: frame.width, height: frame.height };
    port.postMessage({ id, result: await runRegion(grey, task) });
  } catch (err) {
    port.postMessage({ id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
