import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { StubBin, timerlessLock } from "../../test/support/hardware.js";
import { waitFor } from "../../test/support/wait-for.js";
import { GpiodDoorSensor } from "./door-sensor.gpiod.js";
import type { DoorState } from "./door-sensor.js";
import {
  detectGpiodVersion,
  gpiogetArgs,
  gpiomonArgs,
  gpiosetHoldArgs,
  gpiosetOnceArgs,
  parseGpiodVersion,
  parseGpiogetOutput,
  parseGpiomonLine,
} from "./gpiod-tools.js";
import { GpiodLockOutput } from "./lock.gpiod.js";

const VERSION_STUB = `case "$1" in --version|-v) echo "$(basename "$0") (libgpiod) v$GPIOD_STUB_VERSION"; echo "Copyright (C) 2017-2023 Bartosz Golaszewski"; exit 0;; esac`;

describe("libgpiod version handling", () => {
  it("parses v1 and v2 version banners", () => {
    expect(parseGpiodVersion("gpioset (libgpiod) v1.6.3\nCopyright (C) 2017-2018")).toBe(1);
    expect(parseGpiodVersion("gpioset (libgpiod) v2.1.3\nCopyright (C) 2017-2023")).toBe(2);
    expect(() => parseGpiodVersion("command not found")).toThrow(/cannot tell/);
  });

  it("detects the version by running gpioset --version from PATH", async () => {
    const bin = new StubBin({ GPIOD_STUB_VERSION: "2.2.1" });
    try {
      bin.add("gpioset", VERSION_STUB);
      expect(await detectGpiodVersion("gpioset", bin.env)).toBe(2);
      expect(bin.calls()).toEqual(["gpioset --version"]);
    } finally {
      bin.dispose();
    }
  });

  it("builds v1 and v2 argument lists", () => {
    expect(gpiosetHoldArgs(1, "gpiochip0", 27, 1)).toEqual(["--mode=signal", "gpiochip0", "27=1"]);
    expect(gpiosetHoldArgs(2, "gpiochip0", 27, 1, true)).toEqual(["-c", "gpiochip0", "--active-low", "27=1"]);
    expect(gpiosetOnceArgs(1, "gpiochip4", 27, 0)).toEqual(["--mode=exit", "gpiochip4", "27=0"]);
    expect(gpiosetOnceArgs(2, "gpiochip0", 27, 0)).toEqual(["-c", "gpiochip0", "-t0", "27=0"]);
    expect(gpiomonArgs(1, "gpiochip0", 17, "pull-up")).toEqual([
      "--line-buffered",
      "--bias=pull-up",
      "gpiochip0",
      "17",
    ]);
    expect(gpiomonArgs(2, "gpiochip0", 17, "disabled")).toEqual([
      "-c",
      "gpiochip0",
      "-e",
      "both",
      "-b",
      "disabled",
      "17",
    ]);
    expect(gpiogetArgs(1, "gpiochip0", 17, "disabled")).toEqual(["--bias=disable", "gpiochip0", "17"]);
    expect(gpiogetArgs(2, "gpiochip0", 17)).toEqual(["-c", "gpiochip0", "17"]);
  });

  it("parses gpioget and gpiomon output of both versions", () => {
    expect(parseGpiogetOutput("1\n")).toBe(1);
    expect(parseGpiogetOutput('"GPIO17"=inactive\n')).toBe(0);
    expect(parseGpiogetOutput("17=active")).toBe(1);
    expect(parseGpiomonLine("event:  RISING EDGE offset: 17 timestamp: [    1234.567890123]")).toBe(1);
    expect(parseGpiomonLine("event: FALLING EDGE offset: 17 timestamp: [1234.5]")).toBe(0);
    expect(parseGpiomonLine('10002.907638045\trising\t"GPIO17"')).toBe(1);
    expect(parseGpiomonLine("10002.907638045\tfalling\tgpiochip0 17")).toBe(0);
    expect(parseGpiomonLine("Monitoring line 17")).toBeUndefined();
  });
});

const EDGE = {
  1: {
    rising: "event:  RISING EDGE offset: 17 timestamp: [ 100.000000001]",
    falling: "event: FALLING EDGE offset: 17 timestamp: [ 100.000000002]",
  },
  2: { rising: '100.000000001\trising\t"GPIO17"', falling: '100.000000002\tfalling\t"GPIO17"' },
} as const;

describe.each([
  [1, "1.6.3"],
  [2, "2.1.3"],
] as const)("gpiod drivers with libgpiod v%i stubs", (major, version) => {
  let bin: StubBin;
  let events: string;
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
    bin.dispose();
  });

  function setup() {
    bin = new StubBin({ GPIOD_STUB_VERSION: version });
    events = join(bin.dir, "events");
    writeFileSync(events, "");
    bin.env.GPIOMON_EVENTS = events;
    bin.add("gpioget", `${VERSION_STUB}\n${major === 1 ? "echo 0" : "echo '\"17\"=inactive'"}`);
    // tail -f turns lines the test appends into gpiomon output; exec so SIGTERM reaches it.
    bin.add("gpiomon", `${VERSION_STUB}\nexec tail -n +1 -f "$GPIOMON_EVENTS"`);
    bin.add(
      "gpioset",
      `${VERSION_STUB}
for a in "$@"; do case "$a" in --mode=exit|-t0) exit 0;; esac; done
[ -n "$GPIOSET_FAIL" ] && { echo "gpioset: unable to request lines: Device or resource busy" >&2; exit 1; }
exec sleep 30`,
    );
  }

  it("door: reads the initial level, runs gpiomon with the right args and debounces edges", async () => {
    setup();
    const door = new GpiodDoorSensor({
      chip: "gpiochip0",
      line: 17,
      debounceMs: 80,
      env: bin.env,
      logger: silentLogger,
    });
    stops.push(() => door.stop());
    const changes: DoorState[] = [];
    door.onChange((s) => changes.push(s));
    await door.start();
    expect(door.state()).toBe("closed");
    const calls = bin.calls();
    expect(calls[0]).toBe("gpiomon --version");
    expect(calls[1]).toBe(major === 1 ? "gpioget gpiochip0 17" : "gpioget -c gpiochip0 17");
    await waitFor(() => bin.calls().length === 3, { what: "gpiomon to start", timeoutMs: 2000 });
    expect(bin.calls()[2]).toBe(
      major === 1 ? "gpiomon --line-buffered gpiochip0 17" : "gpiomon -c gpiochip0 -e both 17",
    );

    // Bounce: rising/falling/rising in one burst, then steady. The debounce timing itself is
    // covered with a fake clock in door-sensor.sysfs.test.ts; here the edges must reach it.
    const { rising, falling } = EDGE[major];
    appendFileSync(events, `${rising}\n${falling}\n${rising}\n`);
    await waitFor(() => changes.length > 0, { what: "the door to open", timeoutMs: 2000 });
    expect(door.state()).toBe("open");

    appendFileSync(events, `${falling}\n`);
    await waitFor(() => changes.length === 2, { what: "the door to close", timeoutMs: 2000 });
    // A bounce let through would show as more than one change before the close.
    expect(changes).toEqual(["open", "closed"]);
  });

  it("lock: holds the line with gpioset, replaces the holder on change, and exits-mode on toSafeState", async () => {
    setup();
    const output = new GpiodLockOutput({
      chip: "gpiochip0",
      line: 27,
      env: bin.env,
      settleMs: 150,
      logger: silentLogger,
    });
    const lock = timerlessLock(output);
    stops.push(() => lock.stop());
    await lock.start();
    await lock.unlock();
    lock.toSafeState();
    expect(lock.state()).toBe("locked");
    const hold = (v: number) =>
      major === 1 ? `gpioset --mode=signal gpiochip0 27=${v}` : `gpioset -c gpiochip0 27=${v}`;
    const once = major === 1 ? "gpioset --mode=exit gpiochip0 27=0" : "gpioset -c gpiochip0 -t0 27=0";
    expect(bin.calls()).toEqual(["gpioset --version", hold(0), hold(1), once]);
  });

  it("lock: toSafeState during an in-flight unlock wins", async () => {
    setup();
    const output = new GpiodLockOutput({
      chip: "gpiochip0",
      line: 27,
      env: bin.env,
      // Wide enough that the unlock is surely still settling when toSafeState runs.
      settleMs: 1000,
      logger: silentLogger,
    });
    const lock = timerlessLock(output);
    stops.push(() => lock.stop());
    await lock.start();
    const unlocking = lock.unlock();
    await waitFor(() => bin.calls().some((c) => c.endsWith("27=1")), {
      what: "the unlock's gpioset to start settling",
      timeoutMs: 900,
      intervalMs: 5,
    });
    lock.toSafeState();
    await expect(unlocking).rejects.toThrow(/superseded/);
    expect(lock.state()).toBe("locked");
    expect(bin.calls().at(-1)).toMatch(/27=0$/);
  });

  it("lock: a gpioset that exits at once (line busy) fails the write", async () => {
    setup();
    bin.env.GPIOSET_FAIL = "1";
    const output = new GpiodLockOutput({
      chip: "gpiochip0",
      line: 27,
      env: bin.env,
      settleMs: 200,
      logger: silentLogger,
    });
    await expect(output.start()).rejects.toThrow(/Device or resource busy/);
  });
});
