// zod schemas derived from the drizzle tables: request and sync-payload validation on both sides uses
// these, so a column added to the schema is validated everywhere at once.
import { createInsertSchema, createSelectSchema } from "drizzle-zod";
import type { z } from "zod";
import {
  chemicalInventory,
  containerTransactions,
  safetyAlerts,
  scanResults,
  unifiedEventLog,
} from "./tenant.js";

const CAS_NUMBER = /^\d{2,7}-\d{2}-\d$/;

/** CAS numbers carry a check digit; a typo is caught here rather than in a report months later. */
export function isValidCas(cas: string): boolean {
  if (!CAS_NUMBER.test(cas)) return false;
  const digits = cas.replaceAll("-", "");
  const check = Number(digits.at(-1));
  const body = digits.slice(0, -1).split("").reverse();
  const sum = body.reduce((acc, d, i) => acc + Number(d) * (i + 1), 0);
  return sum % 10 === check;
}

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
