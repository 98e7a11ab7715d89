// Geometry of a label wrapped round an upright bottle, seen from a camera above it: the label's
// columns follow the bottle's axis, and its rows are arcs of ellipses (a horizontal circle on the
// cylinder seen obliquely), so they sag towards the front of the bottle and squeeze towards its
// silhouette. Near-orthographic model in the image plane, which zxing's own perspective sampling
// tolerates the residue of:
//
//   image(U, V) = origin + perp * r sin(U / r) + axis * (V - sag * (1 - cos(U / r)))
//
// U is arc length round the bottle (px at the front's scale), V the distance along the axis.
import type { GreyImage } from "./types.js";

export type Vec2 = [number, number];

export interface CylinderModel {
  /** Unit vector along the bottle's axis in the image, pointing down the label. */
  axis: Vec2;
  /** Image point on the projected axis where U = 0 and V = 0 (the front of the bottle). */
  origin: Vec2;
  /**
   * Unit vector along a label row at the front of the bottle. Orthographically it is square to
   * the axis; under perspective, off the image centre, rows stay near the image horizontal while
   * the axis leans, so it is fitted separately. Defaults to the perpendicular.
   */
  across?: Vec2;
  /** Projected radius of the bottle, px. */
  radius: number;
  /**
   * Semi-minor axis of the projected horizontal circle, px (radius * sin of the viewing angle):
   * positive when the camera looks down, so a row's ends rise above its middle.
   */
  sag: number;
}

/** Unit vector across the axis, to the right of it when the axis points down the image. */
export function perpOf(axis: Vec2): Vec2 {
  return [axis[1], -axis[0]];
}

/** Image position of the label point (U, V). */
export function cylinderToImage(m: CylinderModel, u: number, v: number): Vec2 {
  const phi = Math.max(-Math.PI / 2, Math.min(Math.PI / 2, u / m.radius));
  const across = m.radius * Math.sin(phi);
  const along = v - m.sag * (1 - Math.cos(phi));
  const [px, py] = m.across ?? perpOf(m.axis);
  return [m.origin[0] + px * across + m.axis[0] * along, m.origin[1] + py * across + m.axis[1] * along];
}

/** Label coordinates (U, V) of an image point on the visible half of the cylinder. */
export function imageToCylinder(m: CylinderModel, x: number, y: number): Vec2 {
  const dx = x - m.origin[0];
  const dy = y - m.origin[1];
  const [px, py] = m.across ?? perpOf(m.axis);
  const [ax, ay] = m.axis;
  // Solve d = across * p + along * a for the (possibly oblique) basis.
  const det = px * ay - py * ax;
  const across = (dx * ay - dy * ax) / det;
  const along = (px * dy - py * dx) / det;
  const phi = Math.asin(Math.max(-1, Math.min(1, across / m.radius)));
  return [m.radius * phi, along + m.sag * (1 - Math.cos(phi))];
}

export interface UnwrapWindow {
  /** Label-coordinate range to resample, px at the front's scale. */
  u0: number;
  u1: number;
  v0: number;
  v1: number;
  /** Output pixels per label px. */
  scale: number;
}

/** Where `unwrap` writes: a larger buffer (e.g. a PGM's pixels) with the window at an offset. */
export interface UnwrapTarget {
  data: Uint8Array;
  /** Row length of `data`, px. */
  stride: number;
  /** Index in `data` of the window's top-left pixel. */
  offset: number;
}

/**
 * Resamples the label window flat (inverse cylindrical mapping, bilinear), into `target` when
 * given. Points off the image read as its nearest edge pixel.
 */
export function unwrap(
  grey: GreyImage,
  m: CylinderModel,
  win: UnwrapWindow,
  target?: UnwrapTarget,
): GreyImage {
  const ow = Math.max(1, Math.round((win.u1 - win.u0) * win.scale));
  const oh = Math.max(1, Math.round((win.v1 - win.v0) * win.scale));
  const data = target?.data ?? new Uint8Array(ow * oh);
  const stride = target?.stride ?? ow;
  const offset = target?.offset ?? 0;
  const { width, height } = grey;
  const src = grey.data;
  const [px, py] = m.across ?? perpOf(m.axis);
  const [ax, ay] = m.axis;
  // Per output column the across/sag terms are fixed; per row only the along term changes.
  const bx = new Float64Array(ow);
  const by = new Float64Array(ow);
  for (let x = 0; x < ow; x++) {
    const u = win.u0 + (x + 0.5) / win.scale;
    const phi = Math.max(-Math.PI / 2, Math.min(Math.PI / 2, u / m.radius));
    const across = m.radius * Math.sin(phi);
    const lift = m.sag * (1 - Math.cos(phi));
    bx[x] = m.origin[0] + px * across - ax * lift - 0.5;
    by[x] = m.origin[1] + py * across - ay * lift - 0.5;
  }
  const maxX = width - 1.001;
  const maxY = height - 1.001;
  for (let y = 0; y < oh; y++) {
    const v = win.v0 + (y + 0.5) / win.scale;
    const dx = ax * v;
    const dy = ay * v;
    const o = offset + y * stride;
    for (let x = 0; x < ow; x++) {
      let fx = bx[x]! + dx;
      let fy = by[x]! + dy;
      fx = fx < 0 ? 0 : Math.min(fx, maxX);
      fy = fy < 0 ? 0 : Math.min(fy, maxY);
      const ix = fx | 0;
      const iy = fy | 0;
      const tx = fx - ix;
      const ty = fy - iy;
      const i = iy * width + ix;
      const top = src[i]! + (src[i + 1]! - src[i]!) * tx;
      const bot = src[i + width]! + (src[i + width + 1]! - src[i + width]!) * tx;
      data[o + x] = top + (bot - top) * ty + 0.5;
    }
  }
  return { data, width: ow, height: oh };
}
