import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { fromRoot } from "../../shared/paths.js";
import { FakeSysfs, StubBin } from "../../test/support/hardware.js";
import { waitFor } from "../../test/support/wait-for.js";
import { parseHardwareConfig } from "./hardware-config.js";
import { driveLockToSafeState, installLockSafetyHandlers, type ProcessLike } from "./lock-safety.js";

class FakeProcess extends EventEmitter implements ProcessLike {
  exit = vi.fn();
}

describe("installLockSafetyHandlers", () => {
  it.each([
    ["exit", [0], undefined],
    ["uncaughtException", [new Error("x")], 1],
    ["unhandledRejection", [new Error("x"), Promise.resolve()], 1],
    ["SIGTERM", ["SIGTERM"], 143],
    ["SIGINT", ["SIGINT"], 130],
  ] as const)("%s drives the lock safe", (event, args, exitCode) => {
    const proc = new FakeProcess();
    const lock = { toSafeState: vi.fn() };
    const uninstall = installLockSafetyHandlers(lock, { logger: silentLogger, proc });
    proc.emit(event, ...args);
    expect(lock.toSafeState).toHaveBeenCalledTimes(1);
    if (exitCode === undefined) expect(proc.exit).not.toHaveBeenCalled();
    else expect(proc.exit).toHaveBeenCalledWith(exitCode);
    uninstall();
    for (const e of ["exit", "uncaughtException", "unhandledRejection", "SIGTERM", "SIGINT"]) {
      expect(proc.listenerCount(e)).toBe(0);
    }
  });

  it("hands signals to onSignal instead of exiting, and survives a failing safe-state write", () => {
    const proc = new FakeProcess();
    const onSignal = vi.fn();
    const lock = {
      toSafeState: vi.fn(() => {
        throw new Error("relay gone");
      }),
    };
    installLockSafetyHandlers(lock, { logger: silentLogger, proc, onSignal });
    proc.emit("SIGTERM");
    expect(onSignal).toHaveBeenCalledWith("SIGTERM");
    expect(proc.exit).not.toHaveBeenCalled();
  });
});

describe("crash paths in a real Node process", () => {
  async function runChild(fake: FakeSysfs, how: string, signal?: NodeJS.Signals) {
    fake.createPin(539);
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fromRoot("test/support/crash-child.ts"), fake.root, how],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await waitFor(() => out.includes("unlocked"), { what: "the child to unlock", timeoutMs: 8000 });
    const before = fake.read(539, "value");
    if (signal) child.kill(signal);
    else child.stdin.write("go\n");
    return { before, code: await exited };
  }

  // Two representative paths only (the rest are covered with a fake process above): each child
  // pays ~0.5 s of tsx start-up. Concurrent for the same reason.
  it.concurrent.each([
    ["throw", undefined, 1],
    ["wait", "SIGTERM", 143],
  ] as const)("%s %s leaves the relay de-energised", async (how, signal, code) => {
    const fake = new FakeSysfs();
    try {
      const res = await runChild(fake, how, signal);
      expect(res).toEqual({ before: "1", code });
      expect(fake.read(539, "value")).toBe("0");
    } finally {
      fake.dispose();
    }
  });
});

describe("driveLockToSafeState (ExecStopPost)", () => {
  it("de-energises a sysfs relay without a running driver", () => {
    const fake = new FakeSysfs();
    try {
      fake.createPin(539);
      fake.write(539, "value", "1");
      fake.write(539, "direction", "out");
      const config = parseHardwareConfig({
        mode: "real",
        gpio: { driver: "sysfs", sysfsRoot: fake.root, doorPin: 17, lockPin: 27, activeLow: true },
      });
      driveLockToSafeState(config);
      expect(fake.read(539, "value")).toBe("0");
      expect(fake.read(539, "active_low")).toBe("1");
      expect(fake.read(539, "direction")).toBe("high");
    } finally {
      fake.dispose();
    }
  });

  it.each([
    ["1.6.3", "gpioset --mode=exit gpiochip0 27=0"],
    ["2.1.3", "gpioset -c gpiochip0 -t0 27=0"],
  ])("runs gpioset once for libgpiod v%s", (version, expected) => {
    const bin = new StubBin({ GPIOD_STUB_VERSION: version });
    try {
      bin.add("gpioset", `[ "$1" = "--version" ] && echo "gpioset (libgpiod) v$GPIOD_STUB_VERSION"; exit 0`);
      const config = parseHardwareConfig({
        mode: "real",
        gpio: { driver: "gpiod", doorPin: 17, lockPin: 27 },
      });
      driveLockToSafeState(config, { env: bin.env });
      expect(bin.calls()).toEqual(["gpioset --version", expected]);
    } finally {
      bin.dispose();
    }
  });

  it("is a no-op in sim mode", () => {
    expect(() => driveLockToSafeState(parseHardwareConfig({ mode: "sim" }))).not.toThrow();
  });
});
