// The biennial inventory of controlled substances (DEA, 21 CFR 1304.11) from the cloud's records, per
// substance (name, CAS number, schedule), counted in containers over a period of whole UTC days:
// opening (received before the period and not disposed before it), received in it, checked out in it,
// disposed of in it, and closing (opening + received - disposed). A checkout dispenses without leaving
// stock: the container comes back through the cabinet, and every access is signed there.
import { z } from "zod";
import { parseInput } from "../../shared/errors.js";
import type { Database } from "../db/database.js";
import type { ReportTable } from "../reports/report-table.js";
import {
  type ControlledContainerRow,
  controlledInventoryRepository,
} from "./controlled-inventory.repository.js";

const day = z.iso.date();
export const InventoryPeriod = z
  .object({ from: day, to: day })
  .refine((p) => p.from <= p.to, { message: "from must not be after to", path: ["to"] });
export type InventoryPeriod = z.infer<typeof InventoryPeriod>;

export const INVENTORY_COLUMNS = [
  { key: "substance", label: "Substance" },
  { key: "cas_number", label: "CAS number" },
  { key: "dea_schedule", label: "Schedule" },
  { key: "opening", label: "Opening count" },
  { key: "received", label: "Receipts" },
  { key: "checked_out", label: "Checkouts" },
  { key: "disposed", label: "Disposals" },
  { key: "closing", label: "Closing count" },
];

const received = (c: ControlledContainerRow) =>
  c.date_received ?? c.created_at?.toISOString().slice(0, 10) ?? "0000-01-01";
/** The day it left stock: its disposal date, or when it was marked disposed without one. */
const disposed = (c: ControlledContainerRow) =>
  c.disposal_date ??
  (c.status === "disposed" ? (c.updated_at?.toISOString().slice(0, 10) ?? "0000-01-01") : undefined);

export class ControlledInventoryService {
  constructor(private readonly database: Database) {}

  /** The inventory of the organization's controlled substances for the period (dates inclusive). */
  async inventory(orgId: string, input: unknown): Promise<ReportTable> {
    const period = parseInput(InventoryPeriod, input);
    const from = new Date(`${period.from}T00:00:00Z`);
    const until = new Date(Date.parse(`${period.to}T00:00:00Z`) + 86_400_000);
    const { containers, checkouts } = await this.database.withTenant(orgId, async (tx) => {
      const containers = await controlledInventoryRepository.controlledContainers(tx);
      const ids = containers.map((c) => c.container_id);
      return { containers, checkouts: await controlledInventoryRepository.checkouts(tx, ids, from, until) };
    });
    const rows = new Map<string, Record<string, string | number | null>>();
    for (const c of containers) {
      const key = [c.chemical_name, c.cas_number ?? "", c.dea_schedule].join("\u0000");
      const row = rows.get(key) ?? {
        substance: c.chemical_name,
        cas_number: c.cas_number,
        dea_schedule: c.dea_schedule,
        opening: 0,
        received: 0,
        checked_out: 0,
        disposed: 0,
        closing: 0,
      };
      rows.set(key, row);
      const inOn = received(c);
      const outOn = disposed(c);
      const add = (k: string, n: number) => {
        row[k] = (row[k] as number) + n;
      };
      if (inOn < period.from && !(outOn && outOn < period.from)) add("opening", 1);
      if (inOn >= period.from && inOn <= period.to) add("received", 1);
      if (outOn && outOn >= period.from && outOn <= period.to) add("disposed", 1);
      if (inOn <= period.to && !(outOn && outOn <= period.to)) add("closing", 1);
      add("checked_out", checkouts.get(c.container_id) ?? 0);
    }
    return {
      title: `Controlled substances inventory ${period.from} to ${period.to}`,
      columns: INVENTORY_COLUMNS,
      rows: [...rows.values()].sort(
        (a, b) =>
          String(a.substance).localeCompare(String(b.substance)) ||
          String(a.dea_schedule).localeCompare(String(b.dea_schedule)),
      ),
    };
  }
}
