// The units in systemd/ as systemd itself reads them. `systemd-analyze verify` exits 0 on many bad values
// and only prints a warning, so any output at all fails; `systemd-analyze security --offline=yes` scores
// the appliance's sandbox (0 = locked down, 10 = exposed), recorded in test/artifacts/systemd/.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ApplianceConfigError } from "../appliance/config.js";
import { DEVICE_PATHS } from "../appliance/firstboot/firstboot.service.js";
import { issueKioskKey } from "../appliance/kiosk-guard.middleware.js";
import { fromRoot } from "../shared/paths.js";
import { launchChromium } from "./support/kiosk-browser.js";

const UNIT_DIR = fromRoot("systemd");
const UNITS = readdirSync(UNIT_DIR).filter((f) => /\.(service|timer|socket|path)$/.test(f));
/** The issue's target for the appliance's exposure. */
const MAX_APPLIANCE_EXPOSURE = 2.0;

/** Every value of `key=` in a unit file, continuation lines joined. */
function unitSettings(unit: string, key: string): string[] {
  const text = readFileSync(join(UNIT_DIR, unit), "utf8").replace(/\\\n\s*/g, " ");
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]!);
}

/** The kiosk unit's start-page step, run as systemd runs it: the credential and runtime directories. */
function startPage(
  url: string,
  credentials: string,
  runtime: string,
): Promise<{ code: number; stderr: string }> {
  const script = fromRoot("image-build/rootfs/usr/lib/lilo/kiosk-start-page");
  return new Promise((resolve) => {
    execFile(
      "/bin/sh",
      [script, url],
      { env: { PATH: "/usr/bin:/bin", CREDENTIALS_DIRECTORY: credentials, RUNTIME_DIRECTORY: runtime } },
      (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });
}

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

  it("opens the kiosk with the first boot's key in the URL's fragment, never on a command line", async () => {
    // Both units load the key the first boot makes, root's file, as their own credential.
    for (const unit of ["lilo-appliance.service", "lilo-kiosk.service"])
      expect(unitSettings(unit, "LoadCredential")).toEqual([`kiosk-key:${DEVICE_PATHS.kioskKey}`]);
    const [pre] = unitSettings("lilo-kiosk.service", "ExecStartPre");
    expect(pre).toBe("/bin/sh /usr/lib/lilo/kiosk-start-page http://127.0.0.1:8081/kiosk/");
    const [start] = unitSettings("lilo-kiosk.service", "ExecStart");
    expect(unitSettings("lilo-kiosk.service", "RuntimeDirectory")).toEqual(["lilo-kiosk"]);
    expect(start).toMatch(/ file:\/\/\/run\/lilo-kiosk\/start\.html$/);
    expect(start).not.toMatch(/key/i);

    // The start page, made as the unit makes it, in real Chromium against a real server.
    const key = "k".repeat(40) + "_-Z9";
    const credentials = join(scratch, "credentials");
    const runtime = join(scratch, "run-lilo-kiosk");
    mkdirSync(credentials);
    mkdirSync(runtime);
    writeFileSync(join(credentials, "kiosk-key"), `${key}\n`);
    const requested: string[] = [];
    const server = createServer((req, res) => {
      requested.push(req.url ?? "");
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>kiosk</title>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const kioskUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kiosk/`;
    const browser = await launchChromium();
    try {
      expect(await startPage(kioskUrl, credentials, runtime)).toEqual({ code: 0, stderr: "" });
      const page = join(runtime, "start.html");
      expect(statSync(page).mode & 0o777).toBe(0o600);
      const tab = await browser.newPage();
      await tab.goto(pathToFileURL(page).href);
      await tab.waitForURL(`${kioskUrl}#key=${key}`);
      expect(await tab.evaluate("location.hash")).toBe(`#key=${key}`);
      // The fragment stays in the browser: the server never saw the key.
      expect(requested).toContain("/kiosk/");
      expect(requested.join(" ")).not.toContain(key);
    } finally {
      await browser.close();
      server.close();
    }

    // A credential that is not a key: the unit's start fails, and no page is written.
    rmSync(join(runtime, "start.html"));
    writeFileSync(join(credentials, "kiosk-key"), 'x");alert(1);("\n');
    const bad = await startPage(kioskUrl, credentials, runtime);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("the kiosk-key credential is not a base64url key");
    expect(readdirSync(runtime)).toEqual([]);
  });

  it("checks the kiosk's POSTs against the key in the appliance's credential", () => {
    const credentials = join(scratch, "appliance-credentials");
    const dataDir = join(scratch, "appliance-data");
    mkdirSync(credentials);
    mkdirSync(dataDir);
    // Without the credential (a development machine): a new key at every start.
    const first = issueKioskKey(dataDir, credentials);
    const second = issueKioskKey(dataDir, credentials);
    expect(first.value).not.toBe(second.value);
    // With it, the first boot's key, whatever the start.
    const key = "a".repeat(43);
    writeFileSync(join(credentials, "kiosk-key"), `${key}\n`);
    expect(issueKioskKey(dataDir, credentials).value).toBe(key);
    expect(issueKioskKey(dataDir, credentials).value).toBe(key);
    writeFileSync(join(credentials, "kiosk-key"), "short\n");
    expect(() => issueKioskKey(dataDir, credentials)).toThrow(ApplianceConfigError);
  });
});
