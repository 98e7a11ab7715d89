// The one door into @lilo/vision: read the labels in a shelf photograph and score its quality.
// Everything else in src/ is the pipeline's inside and may change without notice.
export { type ImageQuality, imageQuality } from "./image-quality.js";
export { decodeLabels, LABEL_FORMATS } from "./qr-decoder.js";
export type {
  DecodedLabel,
  DecodeOptions,
  DecodeResult,
  DecodeTimings,
  GreyImage,
  Point,
  UnreadLabel,
} from "./types.js";
export { ensureZxing } from "./zxing-module.js";
