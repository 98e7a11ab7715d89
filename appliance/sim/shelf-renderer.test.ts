import { ensureZxing } from "@lilo/vision";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { readBarcodes } from "zxing-wasm";
import { IN_SIGHT_SHARE } from "./shelf-hazards.js";
import { layoutShelf, renderShelf, renderShelfDetailed } from "./shelf-renderer.js";

describe("renderShelf", () => {
  const scene = {
    containers: layoutShelf({ count: 3, seed: 11, difficulty: "medium" as const, width: 640, height: 360 }),
    hazards: [
      { x: 0.3, y: 0.95, radius: 0.1, kind: "spill" as const },
      { x: 0.7, y: 0.95, radius: 0.1, kind: "breakage" as const },
    ],
    seed: 11,
    difficulty: "medium" as const,
    width: 640,
    height: 360,
  };

  it("produces a JPEG of the requested size", async () => {
    const jpeg = await renderShelf(scene);
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe("jpeg");
    expect(meta.width).toBe(640);
    expect(meta.height).toBe(360);
  });

  it("defaults to a 1920x1080 frame", async () => {
    const meta = await sharp(await renderShelf({ containers: [], seed: 1, difficulty: "easy" })).metadata();
    expect([meta.width, meta.height]).toEqual([1920, 1080]);
  });

  it("is deterministic for a seed and differs across seeds", async () => {
    const a = await renderShelf(scene);
    const b = await renderShelf(scene);
    const c = await renderShelf({ ...scene, seed: 12 });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it("reports every label inside the frame near where it was placed", async () => {
    const shot = await renderShelfDetailed(scene);
    expect(shot.labels.map((l) => l.qr_code)).toEqual(scene.containers.map((c) => c.qr_code));
    for (const [i, label] of shot.labels.entries()) {
      const c = scene.containers[i]!;
      for (const [x, y] of label.corners) {
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThan(640);
        expect(y).toBeGreaterThan(0);
        expect(y).toBeLessThan(360);
      }
      // Keystone moves labels a little; never by more than a label width.
      expect(Math.hypot(label.center[0] - c.x * 640, label.center[1] - c.y * 360)).toBeLessThan(c.labelPx!);
    }
  });

  it("lays out unique L.I.L.O. codes without overlapping labels", () => {
    const cs = layoutShelf({ count: 24, seed: 3, difficulty: "hard" });
    expect(new Set(cs.map((c) => c.qr_code)).size).toBe(24);
    for (const c of cs) {
      expect(c.qr_code).toMatch(/^LILO:C:\d{6}$/);
      expect(c.labelPx!).toBeGreaterThanOrEqual(40);
      expect(Math.abs(c.rotationDeg!)).toBeLessThanOrEqual(30);
    }
    for (let i = 0; i < cs.length; i++) {
      for (let j = i + 1; j < cs.length; j++) {
        const a = cs[i]!;
        const b = cs[j]!;
        const apart = Math.hypot((a.x - b.x) * 1920, (a.y - b.y) * 1080);
        expect(apart).toBeGreaterThan((a.labelPx! + b.labelPx!) / 2);
      }
    }
  });

  describe("frames of one scene", () => {
    const mean = async (jpeg: Buffer) => (await sharp(jpeg).greyscale().stats()).channels[0]!.mean;

    it("renders exactly the scene's frame at EV 0 without a noise seed", async () => {
      const a = await renderShelf(scene);
      expect((await renderShelf({ ...scene, exposureEv: 0, specular: [] })).equals(a)).toBe(true);
    });

    it("changes only the noise between frames, and halves the light at EV -1", async () => {
      const base = await sharp(await renderShelf(scene))
        .raw()
        .toBuffer();
      const next = await sharp(await renderShelf({ ...scene, noiseSeed: 2 }))
        .raw()
        .toBuffer();
      expect(next.equals(base)).toBe(false);
      let diff = 0;
      for (let i = 0; i < base.length; i++) diff += Math.abs(base[i]! - next[i]!);
      // Same scene, blur and JPEG quality: frames differ by about the sensor noise, a few levels.
      expect(diff / base.length).toBeLessThan(8);
      const normal = await mean(await renderShelf(scene));
      const darker = await mean(await renderShelf({ ...scene, exposureEv: -1 }));
      expect(darker / normal).toBeGreaterThan(0.4);
      expect(darker / normal).toBeLessThan(0.6);
    });

    it("clips glare to white at EV 0 but not one stop darker", async () => {
      const glare = [{ x: 0.5, y: 0.5, width: 0.1, height: 0.5, intensity: 1 }];
      const under = async (exposureEv: number) => {
        const { data, info } = await sharp(await renderShelf({ ...scene, specular: glare, exposureEv }))
          .greyscale()
          .raw()
          .toBuffer({ resolveWithObject: true });
        const row = data.subarray(180 * info.width + 316, 180 * info.width + 324);
        return Math.min(...row);
      };
      expect(await under(0)).toBeGreaterThan(245);
      expect(await under(-1)).toBeLessThan(235);
    });
  });
});

describe("labels on simulated containers", () => {
  // As the simulated cabinet stocks them (sim-seed.ts): no label kind given.
  const stocked = (shape: "bottle" | "vial", label?: "qr" | "printed") =>
    renderShelfDetailed({
      containers: [
        {
          qr_code: "LILO:C:000001",
          x: 0.3,
          y: 0.55,
          shape,
          labelPx: 120,
          rotationDeg: 0,
          ...(label && { label }),
        },
        {
          qr_code: "LILO:C:000002",
          x: 0.7,
          y: 0.55,
          shape,
          labelPx: 120,
          rotationDeg: 0,
          ...(label && { label }),
        },
      ],
      seed: 5,
      difficulty: "easy",
    });

  const read = async (jpeg: Buffer) => {
    await ensureZxing();
    const found = await readBarcodes(new Uint8Array(jpeg), {
      formats: ["QRCode", "DataMatrix"],
      tryHarder: true,
      tryRotate: true,
      maxNumberOfSymbols: 8,
    });
    return found
      .filter((r) => r.isValid)
      .map((r) => `${r.format} ${r.text}`)
      .sort();
  };

  it("prints what lilo label prints by default: Data Matrix, 12x26 standing along a vial", async () => {
    expect(await read((await stocked("bottle")).jpeg)).toEqual([
      "DataMatrix LILO:C:000001",
      "DataMatrix LILO:C:000002",
    ]);
    const vials = await stocked("vial");
    expect(await read(vials.jpeg)).toEqual(["DataMatrix LILO:C:000001", "DataMatrix LILO:C:000002"]);
    // The symbol's long side runs along the vial's axis: up the frame.
    for (const { corners } of vials.labels) {
      const across = Math.hypot(corners[1][0] - corners[0][0], corners[1][1] - corners[0][1]);
      const along = Math.hypot(corners[3][0] - corners[0][0], corners[3][1] - corners[0][1]);
      expect(along / across).toBeGreaterThan(2);
    }
  });

  it("keeps the plain QR label of older stock as an option", async () => {
    expect(await read((await stocked("bottle", "qr")).jpeg)).toEqual([
      "QRCode LILO:C:000001",
      "QRCode LILO:C:000002",
    ]);
  });
});

describe("what the camera sees of a hazard", () => {
  const base = { seed: 5, difficulty: "easy" as const, width: 640, height: 360 };
  // One container whose code is at (0.5, 0.6): a small spill right behind its body is hidden.
  const containers = [{ qr_code: "LILO:C:000001", x: 0.5, y: 0.6, labelPx: 90, label: "qr" as const }];

  it("measures an open hazard in sight, one behind a bottle or out of the frame out of sight", async () => {
    const shot = await renderShelfDetailed({
      ...base,
      containers,
      hazards: [
        { x: 0.2, y: 0.9, radius: 0.08, kind: "spill" },
        { x: 0.5, y: 0.6, radius: 0.03, kind: "breakage" },
        { x: 1.3, y: 0.9, radius: 0.08, kind: "spill" },
      ],
    });
    const [open, behind, outside] = shot.hazards;
    expect(open!.visible!.share).toBeGreaterThan(IN_SIGHT_SHARE * 5);
    // The seen box lies within the drawn one (the drawing's soft rim may reach a little past it).
    const [x0, y0, x1, y1] = open!.box;
    const [vx0, vy0, vx1, vy1] = open!.visible!.box!;
    const slack = 0.25 * (x1 - x0);
    expect(vx0).toBeGreaterThan(x0 - slack);
    expect(vx1).toBeLessThan(x1 + slack);
    expect(vy0).toBeGreaterThan(y0 - slack);
    expect(vy1).toBeLessThan(y1 + slack);
    expect(vx1 - vx0).toBeGreaterThan((x1 - x0) * 0.5);
    expect(behind!.visible!.share).toBeLessThan(IN_SIGHT_SHARE);
    expect(outside!.visible).toEqual({ share: 0, box: null });
  });
});
