// The app as the device image lays it out (/opt/lilo: package.json, bin, dist, and the files the
// compiled code reads from the package root), copied by image-build/stage-app.sh itself, started from
// that copy: a file the image leaves out fails here in a minute instead of on an emulated boot.
// Only the dependencies differ from the image (this machine's node_modules, not arm64's).
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRoot } from "../shared/paths.js";
import { waitForSimReady } from "./support/sim-ready.js";

const run = promisify(execFile);
let dir: string;
let app: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lilo-layout-"));
  await run("bash", [fromRoot("image-build/stage-app.sh"), "--layout-only", join(dir, "root")]);
  app = join(dir, "root/opt/lilo");
  symlinkSync(fromRoot("node_modules"), join(app, "node_modules"));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the image's app layout", () => {
  it("starts a simulated cabinet from the staged copy and answers its health check", async () => {
    const child = spawn(
      process.execPath,
      [join(app, "bin/lilo.js"), "appliance", "run", "--sim", "--data-dir", join(dir, "data"), "--port", "0"],
      { cwd: dir, env: { ...process.env, LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const stderr: string[] = [];
    child.stderr.on("data", (b: Buffer) => stderr.push(b.toString()));
    try {
      const api = await waitForSimReady(child, { timeoutMs: 60_000, context: () => stderr.join("") });
      const health = await fetch(`${api}/health`);
      expect(health.status).toBe(200);
      // The touchscreen's pages come from the staged copy too.
      const page = await fetch(api.replace(/\/api$/, "/kiosk/"));
      expect(await page.text()).toContain("<html");
    } finally {
      child.kill("SIGTERM");
    }
  }, 90_000);

  it("loads the spill model from the staged copy (lilo appliance detect)", async () => {
    const file = join(dir, "shelf.jpg");
    await sharp({ create: { width: 640, height: 360, channels: 3, background: "#8a7f70" } })
      .jpeg()
      .toFile(file);
    const { stdout } = await run(process.execPath, [join(app, "bin/lilo.js"), "appliance", "detect", file]);
    const result = JSON.parse(stdout.trim()) as {
      file: string;
      spill?: { detected: boolean };
      error?: string;
    };
    expect(result.error).toBeUndefined();
    expect(result.spill?.detected).toBe(false);
  }, 60_000);
});
