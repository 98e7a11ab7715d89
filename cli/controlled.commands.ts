// `lilo cloud controlled ...`: controlled substances (docs/controlled-substances.md). Declarations only;
// the work loads from controlled.handlers.ts when a command runs.
import type { Command } from "commander";

const handlers = () => import("./controlled.handlers.js");

export function registerControlledCommands(cloud: Command): void {
  const controlled = cloud
    .command("controlled")
    .description("controlled substances: DEA-scheduled containers (docs/controlled-substances.md)");
  controlled
    .command("inventory")
    .description(
      "the biennial inventory as CSV on stdout: per substance, opening count, receipts, checkouts, " +
        "disposals and closing count (containers) over whole UTC days",
    )
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption("--from <date>", "first day, YYYY-MM-DD")
    .requiredOption("--to <date>", "last day (included), YYYY-MM-DD")
    .action(async (opts) => (await handlers()).controlledInventory(opts));
}
