// The detector's default thresholds, apart from the detector so that config parsing loads no image code.
export interface DetectionThresholds {
  spill: number;
  breakage: number;
}

/**
 * Chosen on the validation set so clean shelves stay under one false alarm per hundred
 * (model/MODEL_CARD.md); appliance config `safety.spillThreshold` / `safety.breakageThreshold`.
 */
export const DEFAULT_THRESHOLDS: Readonly<DetectionThresholds> = { spill: 0.694, breakage: 0.549 };
