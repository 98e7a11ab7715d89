// Shared fixtures for the hardware tests: a fake sysfs GPIO tree and stub CLI tools on PATH.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { LockController, type LockControllerOptions } from "../../appliance/hardware/lock-controller.js";
import { type Logger, silentLogger } from "../../shared/logger.js";

export function tempDir(prefix = "lilo-hw-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface FakeChip {
  name: string;
  label: string;
  base: number;
  ngpio?: number;
}

export const PI4_CHIPS: FakeChip[] = [
  { name: "gpiochip512", label: "pinctrl-bcm2711", base: 512, ngpio: 58 },
  { name: "gpiochip570", label: "raspberrypi-exp-gpio", base: 570, ngpio: 8 },
];

export const PI5_CHIPS: FakeChip[] = [
  { name: "gpiochip512", label: "gpio-brcmstb@107d508500", base: 512, ngpio: 32 },
  { name: "gpiochip544", label: "gpio-brcmstb@107d508520", base: 544, ngpio: 27 },
  { name: "gpiochip571", label: "pinctrl-rp1", base: 571, ngpio: 54 },
];

export class FakeSysfs {
  readonly root: string;
  private kernel: NodeJS.Timeout | undefined;

  constructor(chips: FakeChip[] = PI4_CHIPS) {
    this.root = tempDir("lilo-sysfs-");
    for (const c of chips) {
      mkdirSync(join(this.root, c.name));
      writeFileSync(join(this.root, c.name, "label"), `${c.label}\n`);
      writeFileSync(join(this.root, c.name, "base"), `${c.base}\n`);
      if (c.ngpio !== undefined) writeFileSync(join(this.root, c.name, "ngpio"), `${c.ngpio}\n`);
    }
    writeFileSync(join(this.root, "export"), "");
    writeFileSync(join(this.root, "unexport"), "");
  }

  /** Creates gpioN the way the kernel does on export; `value` is the initial input level. */
  createPin(n: number, value = "0"): void {
    const dir = join(this.root, `gpio${n}`);
    if (existsSync(dir)) return;
    mkdirSync(dir);
    for (const [attr, v] of [
      ["direction", "in"],
      ["edge", "none"],
      ["active_low", "0"],
      ["value", value],
    ]) {
      writeFileSync(join(dir, attr!), `${v}\n`);
    }
  }

  /** Emulates the kernel reacting to writes to `export`. */
  startKernel(initialValues: Record<number, string> = {}): void {
    this.kernel = setInterval(() => {
      const req = readFileSync(join(this.root, "export"), "utf8").trim();
      if (req) {
        this.createPin(Number(req), initialValues[Number(req)] ?? "0");
        writeFileSync(join(this.root, "export"), "");
      }
    }, 2);
  }

  read(n: number, attr: string): string {
    return readFileSync(join(this.root, `gpio${n}`, attr), "utf8").trim();
  }

  write(n: number, attr: string, v: string): void {
    writeFileSync(join(this.root, `gpio${n}`, attr), v);
  }

  dispose(): void {
    clearInterval(this.kernel);
    removeDir(this.root);
  }
}

/** A bin dir with stub tools; `env` puts it first on PATH and tells the stubs where to log. */
export class StubBin {
  readonly dir: string;
  readonly log: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(extraEnv: Record<string, string> = {}) {
    this.dir = tempDir("lilo-bin-");
    this.log = join(this.dir, "calls.log");
    writeFileSync(this.log, "");
    this.env = { ...process.env, PATH: `${this.dir}:${process.env.PATH}`, STUB_LOG: this.log, ...extraEnv };
  }

  add(name: string, body: string): void {
    const p = join(this.dir, name);
    writeFileSync(p, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> "$STUB_LOG"\n${body}\n`);
    chmodSync(p, 0o755);
  }

  calls(): string[] {
    return readFileSync(this.log, "utf8").split("\n").filter(Boolean);
  }

  dispose(): void {
    removeDir(this.dir);
  }
}

/** Logger that keeps its records, for asserting on what a driver logged. */
export function capturingLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) records.push(JSON.parse(line));
      cb();
    },
  });
  return { logger: pino({ level: "debug" }, stream), records };
}

/** A fail-secure lock on `output` with its relock and ajar timers off: it moves only when told to. */
export function timerlessLock(output: LockControllerOptions["output"]): LockController {
  return new LockController({
    output,
    mode: "fail-secure",
    autoRelockMs: 0,
    ajarAlarmMs: 0,
    logger: silentLogger,
  });
}
