// The detector's default thresholds, apart from the detector so that config parsing loads no image code.
export interface DetectionThresholds {
  spill: number;
  breakage: number;
}

/**
 * Chosen on the validation set so clean shelves stay under one false alarm per hundred
 * (model/MODEL_CARD.md); appliance config `safety.spillThreshold` / `safety.breakageThreshold`.
 */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: spill-v7's threshold from validation, not √½
export const DEFAULT_THRESHOLDS: Readonly<DetectionThresholds> = { spill: 0.707, breakage: 0.507 };
