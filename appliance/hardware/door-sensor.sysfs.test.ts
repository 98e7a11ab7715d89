import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import type { DoorState } from "./door-sensor.js";
import { SysfsDoorSensor } from "./door-sensor.sysfs.js";
import { delay, FakeSysfs, PI5_CHIPS, waitFor } from "./test-support.js";

describe("SysfsDoorSensor against a fake sysfs tree", () => {
  let fake: FakeSysfs;
  let door: SysfsDoorSensor | undefined;
  afterEach(async () => {
    await door?.stop();
    fake.dispose();
  });

  async function startDoor(chips = undefined as typeof PI5_CHIPS | undefined, bcm = 17) {
    fake = new FakeSysfs(chips);
    fake.startKernel();
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

  it("reports one change for a bouncing open", async () => {
    const { door, changes } = await startDoor();
    for (const v of ["1", "0", "1", "0", "1"]) {
      fake.write(529, "value", v);
      await delay(5);
    }
    await waitFor(() => changes.length > 0);
    await delay(100);
    expect(changes).toEqual(["open"]);
    expect(door.state()).toBe("open");
  });

  it("ignores a glitch shorter than the debounce time", async () => {
    const { door, changes } = await startDoor();
    fake.write(529, "value", "1");
    await delay(10);
    fake.write(529, "value", "0");
    await delay(120);
    expect(changes).toEqual([]);
    expect(door.state()).toBe("closed");
  });
});
