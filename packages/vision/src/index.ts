// The one door into @lilo/vision: read the labels in a shelf photograph and score its quality.
// Everything else in src/ is the pipeline's inside and may change without notice.
export { type ImageQuality, imageQuality } from "./image-quality.js";
export { createLabelDecoder } from "./qr-decoder.js";
export type {
  DecodedLabel,
  DecodeHints,
  DecodeResult,
  DecodeTimings,
  GreyImage,
  LabelDecoder,
  LabelDecoderOptions,
  Point,
  StepReport,
  UnreadLabel,
} from "./types.js";
export { ensureZxing, LABEL_FORMATS } from "./zxing-module.js";
