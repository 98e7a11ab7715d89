// Where the appliance process's memory goes, in the kiosk's status and for `npm run bench:footprint`:
// a Pi 3 or a 1 GB Pi 4 runs the kiosk browser beside this process.
import sharp from "sharp";

export interface ProcessMemory {
  /** Resident set: what the kernel counts against the board's RAM. */
  rss_bytes: number;
  /** JavaScript objects on V8's heap. */
  heap_used_bytes: number;
  /** Memory of C++ objects bound to JavaScript ones, Buffers included. */
  external_bytes: number;
  /** ArrayBuffers and Buffers (part of external). */
  array_buffers_bytes: number;
  /** libvips' cache of recent operations (sharp.cache()), outside V8's accounting. */
  sharp_cache: { bytes: number; items: number; files: number };
}

const MIB = 1024 * 1024;

export function processMemory(): ProcessMemory {
  const m = process.memoryUsage();
  const cache = sharp.cache();
  return {
    rss_bytes: m.rss,
    heap_used_bytes: m.heapUsed,
    external_bytes: m.external,
    array_buffers_bytes: m.arrayBuffers,
    // sharp reports its cache in MiB.
    sharp_cache: {
      bytes: Math.round(cache.memory.current * MIB),
      items: cache.items.current,
      files: cache.files.current,
    },
  };
}
