// Cheap per-photo quality scores from the luminance buffer the decoder already has, so a scan
// can say "the picture was dark/blurred" instead of silently reporting missing containers.
import type { GreyImage } from "./types.js";

export interface ImageQuality {
  /** Overall usefulness for reading labels, 0..1 (geometric mean of the two below). */
  image_quality: number;
  /** Exposure and contrast, 0..1: mid-grey mean, healthy spread, little clipping. */
  lighting_quality: number;
  /** Sharpness, 0..1, from the variance of the Laplacian. */
  focus_quality: number;
}

/** Sampling every STEP-th pixel each way keeps this well under a millisecond per megapixel. */
const STEP = 2;
/**
 * Laplacian variance at which focus scores ~0.63; a sharp shelf photo sits well above it, a
 * defocused one (sigma >= 2 px) well below.
 */
const FOCUS_SCALE = 120;
/** Standard deviation of luminance below which a frame is treated as flat (fog, lens cap, glare). */
const CONTRAST_TARGET = 45;

function clamp01(v: number): number {
  return Math.max(0, Math.min(1, v));
}

export function imageQuality(grey: GreyImage): ImageQuality {
  const { data, width, height } = grey;
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let clipped = 0;
  let lapSum = 0;
  let lapSq = 0;
  for (let y = 1; y < height - 1; y += STEP) {
    const row = y * width;
    for (let x = 1; x < width - 1; x += STEP) {
      const i = row + x;
      const v = data[i]!;
      sum += v;
      sumSq += v * v;
      if (v <= 4 || v >= 251) clipped++;
      const lap = data[i - 1]! + data[i + 1]! + data[i - width]! + data[i + width]! - 4 * v;
      lapSum += lap;
      lapSq += lap * lap;
      n++;
    }
  }
  if (n === 0) return { image_quality: 0, lighting_quality: 0, focus_quality: 0 };
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  const exposure = 1 - Math.abs(mean - 128) / 128;
  const contrast = clamp01(sd / CONTRAST_TARGET);
  const clipFrac = clipped / n;
  const lighting = clamp01(Math.sqrt(exposure * contrast) * (1 - 2 * clipFrac));
  const lapMean = lapSum / n;
  const lapVar = Math.max(0, lapSq / n - lapMean * lapMean);
  // A dark frame's Laplacian is small because its whole signal is small; judge focus relative
  // to the exposure actually present.
  const exposureGain = mean > 8 ? Math.min(4, 128 / mean) : 4;
  const focus = clamp01(1 - Math.exp(-(lapVar * exposureGain * exposureGain) / FOCUS_SCALE));
  return {
    image_quality: round3(Math.sqrt(lighting * focus)),
    lighting_quality: round3(lighting),
    focus_quality: round3(focus),
  };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
