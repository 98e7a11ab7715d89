import { describe, expect, it } from "vitest";
import { type CylinderModel, cylinderToImage, imageToCylinder, unwrap } from "./curved-unwrap.js";

const model: CylinderModel = {
  axis: [Math.sin(0.1), Math.cos(0.1)],
  across: [Math.cos(-0.05), Math.sin(-0.05)],
  origin: [200, 150],
  radius: 90,
  sag: 30,
};

describe("cylinder unwrap geometry", () => {
  it("maps label coordinates to the image and back", () => {
    for (let u = -120; u <= 120; u += 15) {
      for (let v = -60; v <= 60; v += 15) {
        const [x, y] = cylinderToImage(model, u, v);
        const [u2, v2] = imageToCylinder(model, x, y);
        expect(u2).toBeCloseTo(u, 6);
        expect(v2).toBeCloseTo(v, 6);
      }
    }
  });

  it("flattens a grid drawn on the cylinder back into a square grid", () => {
    // Draw dark grid lines every 10 label px onto a bent image, by inverse mapping each pixel.
    const w = 400;
    const h = 300;
    const data = new Uint8Array(w * h);
    const pitch = 10;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [u, v] = imageToCylinder(model, x + 0.5, y + 0.5);
        const onLine = (t: number) => Math.abs(t - Math.round(t / pitch) * pitch) < 1.5;
        data[y * w + x] = onLine(u) || onLine(v) ? 0 : 255;
      }
    }
    const flat = unwrap({ data, width: w, height: h }, model, { u0: -80, u1: 80, v0: -50, v1: 50, scale: 1 });
    expect(flat.width).toBe(160);
    expect(flat.height).toBe(100);
    // Every grid line lands on its own output column/row; cells in between stay white.
    for (let y = 3; y < flat.height - 3; y++) {
      for (let x = 3; x < flat.width - 3; x++) {
        const u = -80 + x + 0.5;
        const v = -50 + y + 0.5;
        const dist = (t: number) => Math.abs(t - Math.round(t / pitch) * pitch);
        const px = flat.data[y * flat.width + x]!;
        if (dist(u) < 0.6 || dist(v) < 0.6) expect(px).toBeLessThan(100);
        if (dist(u) > 3 && dist(v) > 3) expect(px).toBeGreaterThan(200);
      }
    }
  });
});
