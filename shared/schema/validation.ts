// zod schemas derived from the drizzle tables: request and sync-payload validation on both sides uses
// these, so a column added to the schema is validated everywhere at once.
import { createInsertSchema, createSelectSchema } from "drizzle-zod";
import type { z } from "zod";
import { isValidCas } from "../cas.js";
import {
  chemicalInventory,
  containerTransactions,
  safetyAlerts,
  scanResults,
  unifiedEventLog,
} from "./tenant.js";

export { isValidCas };

export const ContainerInsert = createInsertSchema(chemicalInventory, {
  shelf_level: (s) => s.int().min(1).max(20),
  cas_number: (s) => s.refine((v) => isValidCas(v), "not a valid CAS registry number"),
});
export const Container = createSelectSchema(chemicalInventory).omit({ tsv: true });
export const TransactionInsert = createInsertSchema(containerTransactions);
export const ScanResultInsert = createInsertSchema(scanResults);
export const SafetyAlertInsert = createInsertSchema(safetyAlerts);
export const EventInsert = createInsertSchema(unifiedEventLog);

export type ContainerInsert = z.infer<typeof ContainerInsert>;
export type Container = z.infer<typeof Container>;
