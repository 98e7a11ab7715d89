import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { removeDir, tempDir } from "../../test/support/hardware.js";
import { SimBadgeReader } from "./badge-reader.sim.js";
import { type ShelfRenderFn, SimCamera } from "./camera.sim.js";
import { SimDoorSensor } from "./door-sensor.sim.js";
import { SimLockOutput } from "./lock.sim.js";
import { SimCabinet } from "./sim-cabinet.js";

describe("SimCabinet", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) removeDir(dir);
    dir = undefined;
  });

  it("tracks door, containers and hazards in snapshot()", () => {
    const cab = new SimCabinet({ shelves: [2, 1] });
    cab.setDoor(true);
    cab.addContainer(1, { qr_code: "QR-A", x: 0.2, y: 0.3 });
    cab.addHazard(1, { x: 0.5, y: 0.5, radius: 0.1, kind: "spill" });
    expect(cab.snapshot()).toEqual({
      door: "open",
      lock: "locked",
      shelves: [
        {
          shelf: 1,
          containers: [{ qr_code: "QR-A", x: 0.2, y: 0.3 }],
          hazards: [{ x: 0.5, y: 0.5, radius: 0.1, kind: "spill" }],
        },
        { shelf: 2, containers: [], hazards: [] },
      ],
    });
    expect(cab.removeContainer(1, "QR-A")).toBe(true);
    expect(cab.removeContainer(1, "QR-A")).toBe(false);
    expect(() => cab.addContainer(9, { qr_code: "X" })).toThrow(/no shelf 9/);
  });

  it("places containers without coordinates at free random positions", () => {
    const cab = new SimCabinet({ shelves: [1] });
    for (let i = 0; i < 8; i++) cab.addContainer(1, { qr_code: `QR-${i}` });
    const cs = cab.snapshot().shelves[0]!.containers;
    for (const c of cs) {
      expect(c.x).toBeGreaterThanOrEqual(0.1);
      expect(c.x).toBeLessThanOrEqual(0.9);
    }
    for (const a of cs)
      for (const b of cs) if (a !== b) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(0.15);
    expect(() => cab.addContainer(1, { qr_code: "QR-0" })).toThrow(/already/);
  });

  it("persists every change atomically and restores it after a restart", () => {
    dir = tempDir();
    const path = join(dir, "cabinet.json");
    const first = SimCabinet.load(path, { shelves: [1, 2] });
    first.addContainer(2, { qr_code: "QR-B", x: 0.4, y: 0.6 });
    first.setDoor(true);
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(dir)).toEqual(["cabinet.json"]); // no temp file left behind
    expect(JSON.parse(readFileSync(path, "utf8")).shelves[1].containers).toEqual([
      { qr_code: "QR-B", x: 0.4, y: 0.6 },
    ]);

    const second = SimCabinet.load(path, { shelves: [1, 2] });
    expect(second.snapshot()).toEqual(first.snapshot());
  });

  it("feeds the sim door, badge reader and lock output", async () => {
    const cab = new SimCabinet({ shelves: [1] });
    const door = new SimDoorSensor(cab, silentLogger);
    const badge = new SimBadgeReader(cab, silentLogger);
    const doorCb = vi.fn();
    const badgeCb = vi.fn();
    door.onChange(doorCb);
    badge.onBadge(badgeCb);
    await door.start();
    await badge.start();
    cab.setDoor(true);
    cab.swipeBadge("04A1B2C3");
    expect(door.state()).toBe("open");
    expect(doorCb).toHaveBeenCalledWith("open");
    expect(badgeCb).toHaveBeenCalledWith("04A1B2C3");

    const failSafe = new SimLockOutput(cab, "fail-safe", silentLogger);
    await failSafe.write(true);
    expect(cab.lockState()).toBe("locked");
    failSafe.writeSync(false);
    expect(cab.lockState()).toBe("unlocked");
  });
});

describe("SimCamera", () => {
  it("renders each covered shelf into its ROI with the injected render function", async () => {
    const cab = new SimCabinet({ shelves: [1, 2] });
    cab.addContainer(1, { qr_code: "QR-1", x: 0.5, y: 0.5 });
    const colours: Record<number, string> = { 1: "#ff0000", 2: "#0000ff" };
    const render = vi.fn<ShelfRenderFn>(async ({ seed }) =>
      sharp({ create: { width: 40, height: 20, channels: 3, background: colours[seed!]! } })
        .png()
        .toBuffer(),
    );
    const cam = new SimCamera(cab, render, {
      id: "cam0",
      width: 100,
      height: 100,
      shelves: [
        { shelf: 1, roi: { x: 0, y: 0, w: 1, h: 0.5 } },
        { shelf: 2, roi: { x: 0, y: 0.5, w: 1, h: 0.5 } },
      ],
      logger: silentLogger,
    });
    expect((await cam.probe()).ok).toBe(true);
    const jpeg = await cam.capture();
    expect(jpeg[0]).toBe(0xff);
    expect(jpeg[1]).toBe(0xd8);
    expect(render).toHaveBeenCalledWith({
      containers: [{ qr_code: "QR-1", x: 0.5, y: 0.5 }],
      hazards: [],
      seed: 1,
    });
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
    ];
    expect(px(50, 25)[0]).toBeGreaterThan(200); // top half red
    expect(px(50, 75)[2]).toBeGreaterThan(200); // bottom half blue
  });
});
