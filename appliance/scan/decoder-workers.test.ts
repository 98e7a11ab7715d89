import { describe, expect, it } from "vitest";
import { decoderWorkersFor } from "./decoder-workers.js";

const GIB = 1024 ** 3;

describe("decoder workers per board", () => {
  it("keeps a 1 GB board (Pi 3, the smallest Pi 4) on the main thread: the kiosk's browser needs the rest", () => {
    // A 1 GB Pi 4 reports about 0.9 GiB: the GPU's memory is carved out.
    expect(decoderWorkersFor({ memoryBytes: 0.9 * GIB, cores: 4 })).toBe(0);
  });

  it("gives a 2 GB board one worker and a larger one a worker per spare core, at most three", () => {
    expect(decoderWorkersFor({ memoryBytes: 1.9 * GIB, cores: 4 })).toBe(1);
    expect(decoderWorkersFor({ memoryBytes: 3.8 * GIB, cores: 4 })).toBe(3);
    expect(decoderWorkersFor({ memoryBytes: 7.8 * GIB, cores: 8 })).toBe(3);
  });

  it("never starts more workers than there are spare cores", () => {
    expect(decoderWorkersFor({ memoryBytes: 16 * GIB, cores: 2 })).toBe(1);
    expect(decoderWorkersFor({ memoryBytes: 16 * GIB, cores: 1 })).toBe(0);
    expect(decoderWorkersFor({ memoryBytes: 2 * GIB, cores: 1 })).toBe(0);
  });
});
