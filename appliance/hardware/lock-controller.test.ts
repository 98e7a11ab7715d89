import { afterEach, describe, expect, it, vi } from "vitest";
import type { LockMode } from "../../shared/enums.js";
import { silentLogger } from "../../shared/logger.js";
import { FakeSysfs } from "../../test/support/hardware.js";
import { SimDoorSensor } from "./door-sensor.sim.js";
import type { LockState } from "./lock.js";
import { SysfsLockOutput } from "./lock.sysfs.js";
import { type DoorAjarEvent, LockController } from "./lock-controller.js";
import { SimCabinet } from "./sim-cabinet.js";

const LOCK_BCM = 27;
const LOCK_SYSFS = 512 + LOCK_BCM;

describe("LockController on the sysfs relay driver", () => {
  let fake: FakeSysfs;
  const started: LockController[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of started.splice(0)) await c.stop();
    fake.dispose();
  });

  async function make(
    mode: LockMode,
    opts: { activeLow?: boolean; autoRelockMs?: number; ajarAlarmMs?: number; door?: SimDoorSensor } = {},
  ) {
    fake = new FakeSysfs();
    fake.startKernel();
    const output = new SysfsLockOutput({
      bcm: LOCK_BCM,
      sysfsRoot: fake.root,
      activeLow: opts.activeLow,
      logger: silentLogger,
    });
    const lock = new LockController({
      output,
      door: opts.door,
      mode,
      autoRelockMs: opts.autoRelockMs ?? 0,
      ajarAlarmMs: opts.ajarAlarmMs ?? 0,
      logger: silentLogger,
    });
    const changes: LockState[] = [];
    lock.onChange((s) => changes.push(s));
    await lock.start();
    started.push(lock);
    return { lock, changes };
  }

  it("fail-secure: locked is de-energised (0), unlocked energised (1)", async () => {
    const { lock, changes } = await make("fail-secure");
    expect(fake.read(LOCK_SYSFS, "direction")).toBe("low");
    expect(fake.read(LOCK_SYSFS, "active_low")).toBe("0");
    expect(lock.state()).toBe("locked");
    await lock.unlock();
    expect(fake.read(LOCK_SYSFS, "value")).toBe("1");
    await lock.lock();
    expect(fake.read(LOCK_SYSFS, "value")).toBe("0");
    expect(changes).toEqual(["unlocked", "locked"]);
  });

  it("fail-safe: locked is energised (1), unlocked de-energised (0)", async () => {
    const { lock } = await make("fail-safe");
    expect(fake.read(LOCK_SYSFS, "value")).toBe("1");
    await lock.unlock();
    expect(fake.read(LOCK_SYSFS, "value")).toBe("0");
  });

  it("active-low relay boards get active_low=1 and a raw-high (de-energised) first level", async () => {
    await make("fail-secure", { activeLow: true });
    expect(fake.read(LOCK_SYSFS, "active_low")).toBe("1");
    expect(fake.read(LOCK_SYSFS, "direction")).toBe("high");
  });

  it("toSafeState de-energises synchronously: locked in fail-secure, unlocked in fail-safe", async () => {
    const secure = await make("fail-secure");
    await secure.lock.unlock();
    secure.lock.toSafeState();
    expect(fake.read(LOCK_SYSFS, "value")).toBe("0");
    expect(secure.lock.state()).toBe("locked");
    await secure.lock.stop();
    started.pop();
    fake.dispose();

    const safe = await make("fail-safe");
    expect(fake.read(LOCK_SYSFS, "value")).toBe("1");
    safe.lock.toSafeState();
    expect(fake.read(LOCK_SYSFS, "value")).toBe("0");
    expect(safe.lock.state()).toBe("unlocked");
  });

  // The timed cases start the controller on real timers (the fake kernel exports the pin), then move
  // a fake clock: the windows are exact, whatever the machine's load.
  it("relocks automatically after autoRelockMs", async () => {
    const { lock, changes } = await make("fail-secure", { autoRelockMs: 40 });
    vi.useFakeTimers();
    await lock.unlock();
    await vi.advanceTimersByTimeAsync(39);
    expect(lock.state()).toBe("unlocked");
    await vi.advanceTimersByTimeAsync(1);
    expect(lock.state()).toBe("locked");
    expect(fake.read(LOCK_SYSFS, "value")).toBe("0");
    expect(changes).toEqual(["unlocked", "locked"]);
  });

  it("waits for the door to close before relocking, and raises/clears door-ajar", async () => {
    const cabinet = new SimCabinet({ shelves: [1] });
    const door = new SimDoorSensor(cabinet, silentLogger);
    await door.start();
    const { lock } = await make("fail-secure", { autoRelockMs: 30, ajarAlarmMs: 60, door });
    const ajar: DoorAjarEvent[] = [];
    lock.onAjar((e) => ajar.push(e));
    vi.useFakeTimers();

    await lock.unlock();
    cabinet.setDoor(true);
    await vi.advanceTimersByTimeAsync(59);
    expect(lock.state()).toBe("unlocked"); // relock due, but the door is open
    expect(ajar).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ajar).toEqual([{ ajar: true, openMs: 60 }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lock.state()).toBe("unlocked");

    cabinet.setDoor(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(lock.state()).toBe("locked");
    expect(ajar[1]).toEqual({ ajar: false, openMs: 10_060 });
    await door.stop();
  });

  it("does not raise ajar when the door closes in time", async () => {
    const cabinet = new SimCabinet({ shelves: [1] });
    const door = new SimDoorSensor(cabinet, silentLogger);
    await door.start();
    const { lock } = await make("fail-secure", { ajarAlarmMs: 40, door });
    const ajar: DoorAjarEvent[] = [];
    lock.onAjar((e) => ajar.push(e));
    vi.useFakeTimers();
    cabinet.setDoor(true);
    await vi.advanceTimersByTimeAsync(39);
    cabinet.setDoor(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ajar).toEqual([]);
    await door.stop();
  });

  it("stop() leaves the relay de-energised", async () => {
    const { lock } = await make("fail-secure");
    await lock.unlock();
    await lock.stop();
    started.pop();
    expect(fake.read(LOCK_SYSFS, "value")).toBe("0");
  });
});
