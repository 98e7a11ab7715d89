// The units in systemd/ as systemd itself reads them. `systemd-analyze verify` exits 0 on many bad values
// and only prints a warning, so any output at all fails; `systemd-analyze security --offline=yes` scores
// the appliance's sandbox (0 = locked down, 10 = exposed), recorded in test/artifacts/systemd/.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fromRoot } from "../shared/paths.js";

const UNIT_DIR = fromRoot("systemd");
const UNITS = readdirSync(UNIT_DIR).filter((f) => /\.(service|timer|socket|path)$/.test(f));
/** The target for the appliance's exposure. */
const MAX_APPLIANCE_EXPOSURE = 2.0;

function analyze(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile("systemd-analyze", args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === "ENOENT")
        return reject(new Error("systemd-analyze is not installed (Debian package systemd)"));
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

async function exposure(unitPath: string): Promise<number> {
  const { output } = await analyze(["security", "--offline=yes", "--no-pager", unitPath]);
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(output);
  if (!m) throw new Error(`no exposure level in:\n${output}`);
  return Number(m[1]);
}

const scratch = mkdtempSync(join(tmpdir(), "lilo-units-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("systemd units", () => {
  it("ships the appliance, kiosk, first-boot and cloud units", () => {
    expect(UNITS).toEqual(
      expect.arrayContaining([
        "lilo-appliance.service",
        "lilo-kiosk.service",
        "lilo-firstboot.service",
        "lilo-cloud.service",
      ]),
    );
  });

  it.each(UNITS)("%s passes systemd-analyze verify without a single warning", async (unit) => {
    const { code, output } = await analyze(["verify", "--man=no", join(UNIT_DIR, unit)]);
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  it("would catch a bad value that verify only warns about", async () => {
    const bad = join(scratch, "lilo-bad.service");
    writeFileSync(bad, "[Service]\nType=notify\nProtectSystem=strictly\nExecStart=/bin/true\n");
    const { code, output } = await analyze(["verify", "--man=no", bad]);
    expect(code).toBe(0);
    expect(output).toMatch(/Failed to parse protect system value, ignoring: strictly/);
  });

  it(`scores the appliance unit at most ${MAX_APPLIANCE_EXPOSURE} and records every unit's score`, async () => {
    const scores: Record<string, number> = {};
    for (const unit of UNITS.filter((u) => u.endsWith(".service")))
      scores[unit] = await exposure(join(UNIT_DIR, unit));
    const dir = fromRoot("test/artifacts/systemd");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "security-scores.json"), `${JSON.stringify(scores, null, 2)}\n`);
    expect(scores["lilo-appliance.service"]).toBeLessThanOrEqual(MAX_APPLIANCE_EXPOSURE);
  });

  it("lets the appliance run only as its notify-type, watchdogged, sandboxed self", () => {
    const unit = readFileSync(join(UNIT_DIR, "lilo-appliance.service"), "utf8");
    const settings = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]);
    expect(settings("Type")).toEqual(["notify"]);
    expect(settings("WatchdogSec")).toHaveLength(1);
    expect(settings("Restart")).toEqual(["always"]);
    expect(settings("User")).toEqual(["lilo"]);
    expect(settings("ExecStopPost")[0]).toMatch(/appliance lock-safe --config/);
    expect(settings("CapabilityBoundingSet")).toEqual([""]);
    expect(settings("DevicePolicy")).toEqual(["closed"]);
    expect(settings("DeviceAllow").map((d) => d!.split(" ")[0])).toEqual([
      "char-gpiochip",
      "char-video4linux",
      "char-media",
      "char-dma_heap",
      "char-input",
    ]);
  });

  it("arms the hardware watchdog below the Pi's 16 s limit", () => {
    const conf = readFileSync(join(UNIT_DIR, "system.conf.d/10-lilo-watchdog.conf"), "utf8");
    expect(conf).toMatch(/^\[Manager\]$/m);
    expect(conf).toMatch(/^RuntimeWatchdogSec=14s$/m);
  });
});
