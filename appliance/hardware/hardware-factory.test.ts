import sharp from "sharp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { FakeSysfs } from "../../test/support/hardware.js";
import { waitFor } from "../../test/support/wait-for.js";
import { RpicamCamera } from "./camera.rpicam.js";
import { SimCamera } from "./camera.sim.js";
import { GpiodDoorSensor } from "./door-sensor.gpiod.js";
import { SysfsDoorSensor } from "./door-sensor.sysfs.js";
import {
  createHardware,
  type Hardware,
  hardwareConfigSchema,
  parseHardwareConfig,
} from "./hardware-factory.js";
import { SimCabinet } from "./sim-cabinet.js";

const shelves = [{ shelf: 1, roi: { x: 0, y: 0, w: 1, h: 1 } }];

describe("hardware config schema", () => {
  it("applies defaults", () => {
    const c = parseHardwareConfig({
      mode: "real",
      gpio: { doorPin: 17, lockPin: 27 },
      cameras: [{ id: "c0", shelves }],
    });
    expect(c.gpio).toMatchObject({
      driver: "gpiod",
      sysfsRoot: "/sys/class/gpio",
      chip: "gpiochip0",
      debounceMs: 50,
    });
    expect(c.lock).toEqual({ mode: "fail-secure", autoRelockMs: 10_000, ajarAlarmMs: 60_000 });
    expect(c.cameras[0]).toMatchObject({ index: 0, retries: 2, timeoutMs: 15_000 });
    expect(c.badge).toEqual({ driver: "none" });
  });

  it("rejects bad configs", () => {
    expect(hardwareConfigSchema.safeParse({ mode: "real" }).success).toBe(false);
    const roi = { x: 0.5, y: 0, w: 0.6, h: 1 };
    expect(
      hardwareConfigSchema.safeParse({ mode: "sim", cameras: [{ id: "a", shelves: [{ shelf: 1, roi }] }] })
        .success,
    ).toBe(false);
    expect(
      hardwareConfigSchema.safeParse({
        mode: "sim",
        cameras: [
          { id: "a", shelves },
          { id: "a", shelves },
        ],
      }).success,
    ).toBe(false);
  });
});

describe("createHardware", () => {
  let hw: Hardware | undefined;
  let fake: FakeSysfs | undefined;
  afterEach(async () => {
    await hw?.stop();
    hw = undefined;
    fake?.dispose();
    fake = undefined;
  });

  it("sim mode: cabinet drives door and badge, lock state shows in the snapshot", async () => {
    const cabinet = new SimCabinet({ shelves: [1] });
    const renderShelf = vi.fn(async () =>
      sharp({ create: { width: 4, height: 4, channels: 3, background: "#fff" } })
        .png()
        .toBuffer(),
    );
    const config = parseHardwareConfig({
      mode: "sim",
      lock: { mode: "fail-secure", autoRelockMs: 30, ajarAlarmMs: 0 },
      cameras: [{ id: "c0", shelves, width: 32, height: 24 }],
    });
    hw = createHardware(config, { logger: silentLogger, cabinet, renderShelf });
    expect(hw.cameras[0]).toBeInstanceOf(SimCamera);
    await hw.start();
    const badges: string[] = [];
    hw.badge.onBadge((b) => badges.push(b));
    cabinet.swipeBadge("CARD-1");
    expect(badges).toEqual(["CARD-1"]);

    await hw.lock.unlock();
    expect(cabinet.snapshot().lock).toBe("unlocked");
    await waitFor(() => cabinet.snapshot().lock === "locked", { what: "the auto relock", timeoutMs: 1000 });

    cabinet.setDoor(true);
    expect(hw.door.state()).toBe("open");
    const jpeg = await hw.cameras[0]!.capture();
    expect((await sharp(jpeg).metadata()).width).toBe(32);
  });

  it("sim mode requires the cabinet and a renderer", () => {
    const config = parseHardwareConfig({ mode: "sim", cameras: [{ id: "c0", shelves }] });
    expect(() => createHardware(config, { logger: silentLogger })).toThrow(/cabinet/);
    expect(() =>
      createHardware(config, { logger: silentLogger, cabinet: new SimCabinet({ shelves: [1] }) }),
    ).toThrow(/renderShelf/);
  });

  it("real mode with the sysfs driver runs against a fake tree", async () => {
    fake = new FakeSysfs();
    fake.startKernel();
    const config = parseHardwareConfig({
      mode: "real",
      gpio: { driver: "sysfs", sysfsRoot: fake.root, doorPin: 17, lockPin: 27, debounceMs: 10, pollMs: 2 },
      lock: { mode: "fail-safe", autoRelockMs: 0, ajarAlarmMs: 0 },
    });
    hw = createHardware(config, { logger: silentLogger });
    expect(hw.door).toBeInstanceOf(SysfsDoorSensor);
    await hw.start();
    expect(fake.read(539, "value")).toBe("1"); // fail-safe: locked = energised
    fake.write(529, "value", "1");
    await waitFor(() => hw!.door.state() === "open", { what: "the door to read open", timeoutMs: 1000 });
    await hw.stop();
    hw = undefined;
    expect(fake.read(539, "value")).toBe("0"); // stop leaves it de-energised
  });

  it("real mode with gpiod builds gpiod drivers and rpicam cameras without touching hardware", () => {
    const config = parseHardwareConfig({
      mode: "real",
      gpio: { doorPin: 17, lockPin: 27 },
      cameras: [{ id: "c0", shelves }],
    });
    const built = createHardware(config, { logger: silentLogger });
    expect(built.door).toBeInstanceOf(GpiodDoorSensor);
    expect(built.cameras[0]).toBeInstanceOf(RpicamCamera);
  });
});
