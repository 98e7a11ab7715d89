import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { removeDir, tempDir } from "../../test/support/hardware.js";
import { RecordedCamera, RecordedCameraError } from "./camera.recorded.js";
import { createHardware, hardwareConfigSchema, parseHardwareConfig } from "./hardware-factory.js";
import { SimCabinet } from "./sim-cabinet.js";

const shelves = [{ shelf: 1, roi: { x: 0, y: 0, w: 1, h: 1 } }];

describe("RecordedCamera", () => {
  let dir: string;
  afterEach(() => removeDir(dir));

  function camera(folder = dir) {
    return new RecordedCamera({ id: "top", dir: folder, shelves, logger: silentLogger });
  }

  it("replays the folder's JPEGs in name order, then from the first again", async () => {
    dir = tempDir("lilo-recorded-");
    writeFileSync(join(dir, "b.JPEG"), "frame b");
    writeFileSync(join(dir, "a.jpg"), "frame a");
    writeFileSync(join(dir, "notes.txt"), "not a frame");
    mkdirSync(join(dir, "sub.jpg"));
    const cam = camera();
    await cam.start();
    const frames = [];
    for (let i = 0; i < 3; i++) frames.push((await cam.capture({ ev: -1 })).toString());
    expect(frames).toEqual(["frame a", "frame b", "frame a"]);
    expect((await cam.probe()).ok).toBe(true);
  });

  it("refuses to start on a folder without a JPEG, or one that does not exist, naming it", async () => {
    dir = tempDir("lilo-recorded-");
    writeFileSync(join(dir, "frame.png"), "png");
    await expect(camera().start()).rejects.toThrow(
      new RecordedCameraError("top", `no .jpg or .jpeg file in ${dir}`),
    );
    await expect(camera(join(dir, "missing")).start()).rejects.toThrow(
      /camera top \(recorded\): cannot read .*missing/,
    );
  });
});

describe("recorded camera config", () => {
  it("needs a folder", () => {
    const r = hardwareConfigSchema.safeParse({
      mode: "sim",
      cameras: [{ id: "c0", driver: "recorded", shelves }],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toMatchObject([
      { path: ["cameras", 0, "dir"], message: "required by the recorded driver" },
    ]);
  });

  it("keeps the simulator's renderer to sim mode", () => {
    const r = hardwareConfigSchema.safeParse({
      mode: "real",
      gpio: { doorPin: 17, lockPin: 27 },
      cameras: [{ id: "c0", driver: "sim", shelves }],
    });
    expect(r.error?.issues).toMatchObject([{ path: ["cameras", 0, "driver"] }]);
  });

  it("is built in sim mode without a renderer, and in real mode instead of rpicam", () => {
    const cameras = [{ id: "c0", driver: "recorded" as const, dir: "/frames", shelves }];
    const sim = createHardware(parseHardwareConfig({ mode: "sim", cameras }), {
      logger: silentLogger,
      cabinet: new SimCabinet({ shelves: [1] }),
    });
    expect(sim.cameras[0]).toBeInstanceOf(RecordedCamera);
    const real = createHardware(
      parseHardwareConfig({ mode: "real", gpio: { doorPin: 17, lockPin: 27 }, cameras }),
      {
        logger: silentLogger,
      },
    );
    expect(real.cameras[0]).toBeInstanceOf(RecordedCamera);
  });
});
