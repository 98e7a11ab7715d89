// `lilo label`: a container's label as PDF or ZPL, recorded in the tenant's event log. Declared here with
// commander and the label choices only; the renderers and the database load from label.handlers.ts.
import { type Command, Option } from "commander";
import { LABEL_FORMATS, LABEL_SIZE_NAMES, PAGE_KINDS, SYMBOLOGIES } from "../shared/labels/options.js";

export function registerLabelCommands(program: Command): void {
  program
    .command("label")
    .description(
      "print a container's label (code, name, CAS, GHS pictograms, signal word) as PDF or ZPL and record it " +
        "in the tenant's event log (DATABASE_URL or embedded PGlite)",
    )
    .requiredOption("--container <id>", "container_id (UUID) or printed code (qr_code), e.g. LILO:C:000001")
    .option("--org <org>", "organization id or slug (may be omitted when there is only one)")
    .addOption(new Option("--size <size>", "label size").choices(LABEL_SIZE_NAMES).default("bottle"))
    .addOption(new Option("--format <format>", "output format").choices(LABEL_FORMATS).default("pdf"))
    .addOption(
      new Option(
        "--symbology <symbology>",
        "code symbology (default: datamatrix; on a vial the 12x26, turned along the vial's axis)",
      ).choices(SYMBOLOGIES),
    )
    .addOption(
      new Option("--page <page>", "PDF page: a4 or letter sheets, or label-sized pages")
        .choices(PAGE_KINDS)
        .default("a4"),
    )
    .option("--copies <n>", "copies of the label (1-100)", "1")
    .option("--out <file>", "write here instead of standard output")
    .action(async (opts) => (await import("./label.handlers.js")).printLabel(opts));
}
