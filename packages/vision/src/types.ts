// The vision package's vocabulary: images in, codes and unread labels out. A leaf module, so every
// step can name these types without importing the decoder that runs the steps.

export type Point = [number, number];

export interface DecodedLabel {
  text: string;
  /** Symbol corners in full-frame pixels: top-left, top-right, bottom-right, bottom-left. */
  corners: [Point, Point, Point, Point];
  /** 1 for a full-frame read; lower for reads that needed an upscaled crop. */
  confidence: number;
}

/**
 * Wall-clock phases of one decode, in ms; they run back to back, so they add up to `ms` (less the
 * one-off reader start-up on the first call). sharp's decode runs concurrently with `detect`, so
 * only the part of it that outlasts detection shows up, as `decode_jpeg`.
 */
export interface DecodeTimings {
  /**
   * sharp: compressed image to raw grey (green-channel) pixels, overlapped with `detect`; this is
   * the time spent still waiting for it once detection has finished (often close to 0).
   */
  decode_jpeg: number;
  /** Wrapping sharp's output as the grey image: free for one-channel output, a copy otherwise. */
  greyscale: number;
  /** The full-frame zxing pass, including zxing's own in-wasm decode of the compressed image. */
  detect: number;
  /** Candidate-region search plus upscaled re-reads (just the search when it finds nothing). */
  second_pass: number;
}

export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A label-like region (pixels) with QR finder patterns that yielded no code. */
export interface UnreadLabel {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface DecodeResult {
  codes: DecodedLabel[];
  /** Labels seen but not read, so the technician can be asked to turn a bottle. */
  unread: UnreadLabel[];
  ms: number;
  timings: DecodeTimings;
  /** The luminance buffer the codes were read from, for quality scoring without a second decode. */
  grey: GreyImage;
}

export interface DecodeOptions {
  /** Defaults to true; false gives the single full-frame pass only. */
  secondPass?: boolean;
}
