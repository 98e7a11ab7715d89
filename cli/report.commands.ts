// `lilo cloud report run`: a report of an organization as a CSV or PDF file, recorded as a run and an
// audited export. Declarations only; the work loads from report.handlers.ts when the command runs.
import type { Command } from "commander";

const handlers = () => import("./report.handlers.js");

export function registerReportCommands(cloud: Command): void {
  cloud
    .command("report")
    .description("reports (docs/reports.md)")
    .command("run")
    .description(
      "run a report over every cabinet of the organization and write it to a file; prints {run_id, file, rows, bytes}",
    )
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption(
      "--kind <kind>",
      "inventory_by_location | expiring_soon | transactions | alert_response_times | audit_log | controlled_substance_log",
    )
    .option("--format <format>", "csv | pdf", "pdf")
    .option("--from <iso>", "period start, ISO 8601 with offset (default: 30 days before --to)")
    .option("--to <iso>", "period end, ISO 8601 with offset (default: now)")
    .option(
      "--out <file>",
      "where to write it, `-` for standard output (default: the report's file name here)",
    )
    .action(async (opts) => (await handlers()).runReport(opts));
}
