/** Region of interest in normalised image coordinates (0..1, origin top-left). */
export interface Roi {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface CameraShelf {
  shelf: number;
  roi: Roi;
}

export interface CameraProbe {
  ok: boolean;
  /** Binary or backend that answered, e.g. "rpicam-still" or "sim". */
  backend: string;
  /** Sensors the backend reported, by index. */
  cameras: { index: number; description: string }[];
  detail?: string;
}

export interface CaptureOptions {
  /**
   * Exposure compensation in stops (0: as the auto-exposure chose; -1: half the light). A darker
   * frame keeps a label readable under a glare that washes it out at the normal exposure.
   */
  ev?: number;
}

export interface Camera {
  readonly id: string;
  readonly shelves: readonly CameraShelf[];
  start(): Promise<void>;
  stop(): Promise<void>;
  probe(): Promise<CameraProbe>;
  /** One JPEG frame. */
  capture(options?: CaptureOptions): Promise<Buffer>;
}
