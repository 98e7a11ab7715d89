// What `lilo cloud controlled ...` runs (declared in controlled.commands.ts).
import { ControlledInventoryService } from "../cloud/controlled/controlled-inventory.service.js";
import { reportCsvText } from "../cloud/reports/report-csv.js";
import { withDatabase } from "./cloud.handlers.js";

export async function controlledInventory(o: { org: string; from: string; to: string }): Promise<void> {
  const table = await withDatabase((db) =>
    new ControlledInventoryService(db).inventory(o.org, { from: o.from, to: o.to }),
  );
  process.stdout.write(reportCsvText(table));
}
