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
  /** What each second-pass step cost and read, in the order the steps are tried. */
  steps: StepReport[];
}

/** One second-pass step's share of a decode (or, summed, of many). */
export interface StepReport {
  name: string;
  /** Regions the step ran on. */
  regions: number;
  /** Time spent in the step, ms, summed over the threads that ran it. */
  ms: number;
  /** Codes this step read first (none of the full-frame pass or an earlier step had). */
  reads: number;
}

/** What the caller knows about the image. */
export interface DecodeHints {
  /**
   * Codes the caller expects to see (a shelf's containers). Once all are read, regions that hold no
   * label's finder patterns are no longer searched; a label nobody expected is still read.
   */
  expected?: readonly string[];
}

export interface LabelDecoderOptions {
  /** Defaults to true; false gives the single full-frame pass only. */
  secondPass?: boolean;
  /**
   * Worker threads for the second pass's per-region work. Defaults to one less than the cores
   * (the main thread keeps one), at most 4 and at least 1; 0 runs every step on the calling thread.
   */
  workers?: number;
}

/** Reads labels, one image at a time; owns its worker threads until closed. */
export interface LabelDecoder {
  /** Decodes every code in a JPEG/PNG (anything sharp reads). Rejects on an unreadable image. */
  decode(image: Buffer | Uint8Array, hints?: DecodeHints): Promise<DecodeResult>;
  /** Waits for queued decodes, then stops the workers; later decodes reject. */
  close(): Promise<void>;
}
