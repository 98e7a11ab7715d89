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

export interface Camera {
  readonly id: string;
  readonly shelves: readonly CameraShelf[];
  start(): Promise<void>;
  stop(): Promise<void>;
  probe(): Promise<CameraProbe>;
  /** One JPEG frame. */
  capture(): Promise<Buffer>;
}
