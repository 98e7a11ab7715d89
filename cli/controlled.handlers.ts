// What `lilo cloud controlled ...` runs (declared in controlled.commands.ts).
import { ControlledInventoryService } from "../cloud/controlled/controlled-inventory.service.js";
import type { ReportTable } from "../cloud/reports/report-table.js";
import { withDatabase } from "./cloud.handlers.js";

export async function controlledInventory(o: { org: string; from: string; to: string }): Promise<void> {
  const table = await withDatabase((db) =>
    new ControlledInventoryService(db).inventory(o.org, { from: o.from, to: o.to }),
  );
  process.stdout.write(csv(table));
}

/** RFC 4180 CSV with a header row; a text cell that a spreadsheet would run as a formula is quoted as text. */
function csv(table: ReportTable): string {
  const cell = (v: string | number | null | undefined): string => {
    if (v === null || v === undefined) return "";
    let s = String(v);
    if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [
    table.columns.map((c) => cell(c.label)).join(","),
    ...table.rows.map((r) => table.columns.map((c) => cell(r[c.key])).join(",")),
  ];
  return `${lines.join("\r\n")}\r\n`;
}
