import { writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { StubBin } from "../../test/support/hardware.js";
import {
  CameraCaptureError,
  parseCameraList,
  RpicamCamera,
  type RpicamCameraOptions,
} from "./camera.rpicam.js";

const LIST = `Available cameras
-----------------
0 : imx708 [4608x2592 10-bit RGGB] (/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a)
    Modes: 'SRGGB10_CSI2P' : 1536x864 [120.13 fps - (768, 432)/3072x1728 crop]
1 : imx219 [3280x2464 8-bit RGGB] (/base/axi/pcie@120000/rp1/i2c@80000/imx219@10)`;

const STILL_STUB = `
case "$*" in *--list-cameras*) cat "$STUB_LIST"; exit 0;; esac
n=$(cat "$STUB_COUNT" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$STUB_COUNT"
[ -n "$STUB_SLEEP" ] && exec sleep "$STUB_SLEEP"
if [ "$n" -le "\${STUB_FAIL_TIMES:-0}" ]; then echo "ERROR: *** failed to acquire camera ***" >&2; exit 1; fi
cat "$STUB_JPEG"`;

describe("RpicamCamera with stub rpicam-still / libcamera-still", () => {
  let jpeg: Buffer;
  let bin: StubBin;
  beforeAll(async () => {
    jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } })
      .jpeg()
      .toBuffer();
  });
  afterEach(() => bin.dispose());

  function setup(binaries: string[], env: Record<string, string> = {}) {
    bin = new StubBin(env);
    writeFileSync(join(bin.dir, "tiny.jpg"), jpeg);
    writeFileSync(join(bin.dir, "list.txt"), LIST);
    Object.assign(bin.env, {
      STUB_JPEG: join(bin.dir, "tiny.jpg"),
      STUB_LIST: join(bin.dir, "list.txt"),
      STUB_COUNT: join(bin.dir, "count"),
    });
    for (const b of binaries) bin.add(b, STILL_STUB);
  }

  function camera(over: Partial<RpicamCameraOptions> = {}) {
    return new RpicamCamera({
      id: "top",
      index: 1,
      shelves: [{ shelf: 1, roi: { x: 0, y: 0, w: 1, h: 0.5 } }],
      width: 640,
      height: 480,
      timeoutMs: 2000,
      retries: 2,
      backoffMs: 5,
      settleMs: 100,
      env: bin.env,
      logger: silentLogger,
      ...over,
    });
  }

  it("probes with --list-cameras and captures a JPEG from stdout with an argument array", async () => {
    setup(["rpicam-still"]);
    const cam = camera();
    await cam.start();
    expect(cam.lastProbeResult()).toMatchObject({ ok: true, backend: "rpicam-still" });
    expect(cam.lastProbeResult()?.cameras.map((c) => c.index)).toEqual([0, 1]);
    const img = await cam.capture();
    expect(img.equals(jpeg)).toBe(true);
    expect(bin.calls()).toEqual([
      "rpicam-still --list-cameras",
      "rpicam-still -n --camera 1 --width 640 --height 480 -t 100 --encoding jpg -q 90 -o -",
    ]);
  });

  it("passes an exposure offset to rpicam-still as --ev, and none at EV 0", async () => {
    setup(["rpicam-still"]);
    const cam = camera();
    expect((await cam.capture({ ev: -1 })).equals(jpeg)).toBe(true);
    await cam.capture({ ev: 0.5 });
    await cam.capture({ ev: 0 });
    expect(bin.calls()).toEqual([
      "rpicam-still -n --camera 1 --width 640 --height 480 -t 100 --encoding jpg -q 90 --ev=-1 -o -",
      "rpicam-still -n --camera 1 --width 640 --height 480 -t 100 --encoding jpg -q 90 --ev=0.5 -o -",
      "rpicam-still -n --camera 1 --width 640 --height 480 -t 100 --encoding jpg -q 90 -o -",
    ]);
  });

  it("reports a probe failure when the configured index is missing", async () => {
    setup(["rpicam-still"]);
    const probe = await camera({ index: 3 }).probe();
    expect(probe.ok).toBe(false);
    expect(probe.detail).toMatch(/index 3/);
  });

  it("falls back to libcamera-still on older images", async () => {
    setup(["libcamera-still"]);
    const cam = camera();
    const probe = await cam.probe();
    expect(probe.backend).toBe("libcamera-still");
    expect((await cam.capture()).equals(jpeg)).toBe(true);
    expect(bin.calls().every((c) => c.startsWith("libcamera-still "))).toBe(true);
  });

  it("fails fast when neither binary exists", async () => {
    setup([]);
    const cam = camera();
    expect((await cam.probe()).ok).toBe(false);
    await expect(cam.capture()).rejects.toThrow(/rpicam-still\/libcamera-still: not found/);
  });

  it("retries with backoff after a failed capture", async () => {
    setup(["rpicam-still"], { STUB_FAIL_TIMES: "2" });
    const cam = camera({ retries: 2 });
    expect((await cam.capture()).equals(jpeg)).toBe(true);
    expect(bin.calls().length).toBe(3);
  });

  it("gives up after retries with the last error", async () => {
    setup(["rpicam-still"], { STUB_FAIL_TIMES: "9" });
    const err = await camera({ retries: 1 })
      .capture()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraCaptureError);
    expect((err as Error).message).toMatch(/after 2 attempt\(s\).*failed to acquire camera/);
  });

  it("kills a hung capture at the timeout", async () => {
    setup(["rpicam-still"], { STUB_SLEEP: "5" });
    const started = Date.now();
    const err = await camera({ timeoutMs: 150, retries: 1 })
      .capture()
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/no result within 150 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(bin.calls().length).toBe(2);
  });

  it("rejects output that is not a JPEG", async () => {
    setup(["rpicam-still"], { STUB_FAIL_TIMES: "0" });
    bin.env.STUB_JPEG = join(bin.dir, "list.txt");
    await expect(camera({ retries: 0 }).capture()).rejects.toThrow(/not a JPEG/);
  });

  it("parses the camera list", () => {
    expect(parseCameraList(LIST)).toEqual([
      { index: 0, description: expect.stringMatching(/^imx708/) },
      { index: 1, description: expect.stringMatching(/^imx219/) },
    ]);
    expect(parseCameraList("No cameras available!")).toEqual([]);
  });
});
