// The hash chain of the audit trail, as a cabinet computes it for its own events and the cloud checks
// it (docs/audit.md). A row's hash covers its audited columns, in canonical JSON, and the previous
// row's hash; the chain columns themselves are not content. The columns are named here, not read from
// the table, so that a column added later does not change the hash of rows written before it.
import { createHash } from "node:crypto";
import { canonicalJson } from "../canonical-json.js";

/** The previous hash of a chain's first row. */
export const GENESIS_HASH = "0".repeat(64);

/** A cabinet's chain id: one chain per change log (a replaced SD card starts a new one). */
export const deviceChainId = (logId: string): string => `device:${logId}`;
/** The chain of the rows the cloud writes itself (one per table per organization). */
export const CLOUD_CHAIN_ID = "cloud";

/** The seed's columns of unified_event_log, less the generated `tsv`. */
export const AUDITED_EVENT_COLUMNS = [
  "event_id",
  "event_timestamp",
  "event_type",
  "event_category",
  "severity",
  "lab_id",
  "cabinet_id",
  "shelf_id",
  "user_id",
  "user_name",
  "user_role",
  "container_id",
  "qr_code",
  "chemical_name",
  "cas_number",
  "event_details",
  "old_values",
  "new_values",
  "changes_summary",
  "image_reference",
  "video_reference",
  "related_event_id",
  "workflow_id",
  "parent_event_id",
  "ip_address",
  "user_agent",
  "request_id",
  "api_endpoint",
  "requires_review",
  "reviewed_by",
  "reviewed_at",
  "compliance_flags",
  "osha_relevant",
  "epa_relevant",
  "dea_relevant",
] as const;

export interface ChainLink {
  chain_id: string;
  chain_seq: number;
  prev_hash: string;
  row_hash: string;
}

/** The canonical content of an event row: every audited column, null when absent, instants in ISO. */
export function eventContent(row: Record<string, unknown>): string {
  const content: Record<string, unknown> = {};
  for (const column of AUDITED_EVENT_COLUMNS) content[column] = row[column] ?? null;
  return canonicalJson(content);
}

export function chainHash(prevHash: string, content: string): string {
  return createHash("sha256").update(`${prevHash}\n${content}`).digest("hex");
}

/** The link that appends an event row after `head` (undefined: the chain's first row). */
export function nextEventLink(
  chainId: string,
  head: { seq: number; hash: string } | undefined,
  row: Record<string, unknown>,
): ChainLink {
  const prev_hash = head?.hash ?? GENESIS_HASH;
  return {
    chain_id: chainId,
    chain_seq: (head?.seq ?? 0) + 1,
    prev_hash,
    row_hash: chainHash(prev_hash, eventContent(row)),
  };
}

/**
 * The hash a cabinet's signature binds (docs/controlled-substances.md): the signed event's audited
 * content, as the chain hashes it but without the previous hash, so the cabinet and the cloud compute
 * the same value from their copies of the row.
 */
export function eventRecordHash(row: Record<string, unknown>): string {
  return createHash("sha256").update(eventContent(row)).digest("hex");
}
