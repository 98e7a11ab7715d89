// The sync protocol's unit: one recorded change of one entity on one device. Both the appliance's
// outbox and the cloud's ingest use this definition.
import { z } from "zod";

/** Tenant tables whose rows the appliance creates or changes and uploads. */
export const SYNCED_ENTITIES = [
  "chemical_inventory",
  "container_transactions",
  "scan_results",
  "safety_alerts",
  "unified_event_log",
] as const;
export type SyncedEntity = (typeof SYNCED_ENTITIES)[number];

export const Change = z.object({
  seq: z.number().int().positive(),
  entity: z.enum(SYNCED_ENTITIES),
  entity_id: z.uuid(),
  op: z.enum(["insert", "update"]),
  /** The whole row after the change, in canonical JSON (sorted keys, ISO timestamps). */
  payload: z.record(z.string(), z.unknown()),
  recorded_at: z.iso.datetime({ offset: true }),
});
export type Change = z.infer<typeof Change>;
