// What one scan saw on each shelf, and on whose behalf it ran: the scan service produces these and
// the scan-result repository stores them.
import type { DecodedLabel } from "@lilo/vision";
import type { ScanTriggerType } from "../../shared/enums.js";
import type { AuthorizedUser } from "../auth/auth.service.js";
import type { DoorAuthentication } from "../event-bus.js";
import type { Detection } from "../safety/spill-detector.js";
import type { StoredImage } from "./evidence.store.js";

export interface ScanContext {
  trigger: ScanTriggerType;
  session_id?: string;
  /** The person the session belongs to: takes and returns are attributed to them. */
  user?: AuthorizedUser;
  /** Who authenticated at the door for the session: they sign each controlled-substance access. */
  authentication?: DoorAuthentication;
  triggered_by?: string;
}

export interface ShelfObservation {
  shelf: number;
  ok: boolean;
  error?: string;
  codes: DecodedLabel[];
  /** Label-like regions where no code could be read in any frame (shelf-image pixels). */
  unread?: { x: number; y: number; w: number; h: number }[];
  /** Frames merged into this observation. */
  frames?: number;
  /** The evidence image, present when the shelf decoded. */
  image?: StoredImage;
  resolution?: string;
  processing_ms: number;
  started_at: Date;
  quality?: { image_quality: number; lighting_quality: number; focus_quality: number };
  /** Spill and breakage findings; absent when no detector ran. */
  hazards?: Detection;
}
