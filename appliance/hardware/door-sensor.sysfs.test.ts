import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { FakeSysfs, PI5_CHIPS } from "../../test/support/hardware.js";
import type { DoorState } from "./door-sensor.js";
import { SysfsDoorSensor } from "./door-sensor.sysfs.js";

describe("SysfsDoorSensor against a fake sysfs tree", () => {
  let fake: FakeSysfs;
  let door: SysfsDoorSensor | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await door?.stop();
    fake.dispose();
  });

  /** With `fakeClock` the pin is there before start (no export to wait for) and time moves only when told. */
  async function startDoor(chips = undefined as typeof PI5_CHIPS | undefined, bcm = 17, fakeClock = false) {
    fake = new FakeSysfs(chips);
    if (fakeClock) {
      fake.createPin(529);
      vi.useFakeTimers();
    } else {
      fake.startKernel();
    }
    door = new SysfsDoorSensor({
      bcm,
      sysfsRoot: fake.root,
      debounceMs: 80,
      pollMs: 2,
      logger: silentLogger,
    });
    const changes: DoorState[] = [];
    door.onChange((s) => changes.push(s));
    await door.start();
    return { door, changes };
  }

  it("exports the base-adjusted pin and configures an input watching both edges", async () => {
    const { door } = await startDoor();
    expect(fake.read(529, "direction")).toBe("in");
    expect(fake.read(529, "edge")).toBe("both");
    expect(fake.read(529, "active_low")).toBe("0");
    expect(door.state()).toBe("closed");
  });

  it("uses the Pi 5 base", async () => {
    await startDoor(PI5_CHIPS, 17);
    expect(fake.read(588, "edge")).toBe("both");
  });

  it("reports one change for a bouncing open, 80 ms after the bouncing stops", async () => {
    const { door, changes } = await startDoor(undefined, 17, true);
    for (const v of ["1", "0", "1", "0", "1"]) {
      fake.write(529, "value", v);
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(70);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(10);
    expect(changes).toEqual(["open"]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(changes).toEqual(["open"]);
    expect(door.state()).toBe("open");
  });

  it("ignores a glitch shorter than the debounce time", async () => {
    const { door, changes } = await startDoor(undefined, 17, true);
    fake.write(529, "value", "1");
    await vi.advanceTimersByTimeAsync(70);
    fake.write(529, "value", "0");
    await vi.advanceTimersByTimeAsync(1000);
    expect(changes).toEqual([]);
    expect(door.state()).toBe("closed");
  });
});
