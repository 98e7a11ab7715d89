// zxing-wasm's default loader fetches the .wasm from a CDN; the appliance is offline, so the binary is
// read from node_modules once and handed to Emscripten directly.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { prepareZXingModule, type ReaderOptions } from "zxing-wasm";

const require = createRequire(import.meta.url);

/**
 * Printed labels default to Data Matrix (it read best on bottles, bench:labels); QR, Micro QR and rMQR
 * are vendor and older labels. Asking zxing for all four costs no measurable time over QR alone
 * (24–28 ms per 1080p shelf either way).
 */
export const LABEL_FORMATS: ReaderOptions["formats"] = ["QRCode", "DataMatrix", "MicroQRCode", "RMQRCode"];

let ready: Promise<void> | undefined;

/** Instantiates the zxing-wasm module from the local .wasm file; safe to call repeatedly. */
export function ensureZxing(): Promise<void> {
  if (!ready) {
    const file = readFileSync(require.resolve("zxing-wasm/full/zxing_full.wasm"));
    const wasmBinary = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
    ready = prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true }).then(
      () => undefined,
      (err: unknown) => {
        // A failed instantiation must not poison every later call.
        ready = undefined;
        throw err;
      },
    );
  }
  return ready;
}
