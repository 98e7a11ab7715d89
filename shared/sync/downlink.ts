// What the cloud sends down to a cabinet: everything it needs to work offline. A full snapshot (a
// cabinet holds tens of people and hundreds of containers), applied by the appliance in one transaction;
// `version` lets it skip a snapshot it already has.
/** Response header of every downlink (200 and 304): the cloud's time, ISO 8601. */
export const CLOUD_TIME_HEADER = "x-lilo-cloud-time";

export interface DownlinkPerson {
  user_id: string;
  display_name: string;
  email: string | null;
  badge_hash: string | null;
  pin_hash: string | null;
  /** Typed before the PIN at the cabinet; absent from clouds older than it. */
  user_number?: number | null;
  status: string;
}

export interface DownlinkSnapshot {
  version: string;
  scope: { org_id: string; dept_id: string; lab_id: string; cabinet_id: string };
  credential_secret: string;
  /** The organization's command public key (base64 SPKI Ed25519): commands it did not sign are refused. */
  command_key?: string;
  /** Rows as the cloud stores them (JSON: timestamps as ISO strings). */
  cabinet: Record<string, unknown>;
  roles: Record<string, unknown>[];
  assignments: Record<string, unknown>[];
  people: DownlinkPerson[];
  containers: Record<string, unknown>[];
}

/**
 * Who wins when both sides changed a container: the cloud owns what a container *is* (name, CAS,
 * hazards, quantity, supplier...), the cabinet owns where it *is* (status, shelf, last seen). Each side
 * only ever writes its own fields into the other, so both edits survive.
 */
export const CABINET_OWNED_CONTAINER_FIELDS = [
  "status",
  "shelf_level",
  "last_detected",
  "last_verified_by_user",
  "last_verified_at",
] as const;
