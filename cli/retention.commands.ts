// `lilo cloud retention ...`: retention periods by record class, legal holds, and the retention job run
// now. Declarations only; the work loads from retention.handlers.ts when a command runs.
import type { Command } from "commander";

const handlers = () => import("./retention.handlers.js");

export function registerRetentionCommands(cloud: Command): void {
  const retention = cloud
    .command("retention")
    .description("retention by record class, legal holds, archive-then-delete (docs/retention.md)");
  retention
    .command("run")
    .description(
      "create the coming time partitions, then archive and delete what is past retention and under no " +
        "legal hold, printing each batch; with --org only that organization's audit rows",
    )
    .option("--org <org_id>", "organization id (default: the hot tables' partitions and every organization)")
    .option("--dry-run", "say what would be archived and deleted; change nothing")
    .option("--json", "print the whole report as JSON at the end")
    .action(async (opts) => (await handlers()).runRetention(opts));
  retention
    .command("show")
    .description("the organization's periods by record class: default (the minimum), its own, source")
    .requiredOption("--org <org_id>", "organization id")
    .action(async (opts) => (await handlers()).showRetention(opts));
  retention
    .command("set")
    .description("lengthen a record class's period; one below the legal minimum is refused")
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption(
      "--class <record_class>",
      "event_stream | device_telemetry | system_events | audit_log | exposure_record | controlled_substance | hazardous_waste",
    )
    .requiredOption("--days <n>", "the period in days")
    .action(async (opts) => (await handlers()).setRetention(opts));
  const hold = retention.command("hold").description("legal holds: no deletion of what they cover");
  hold
    .command("place")
    .description("put the organization, a cabinet or a container on legal hold; prints the hold")
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption("--scope <scope>", "organization | cabinet | container")
    .option("--id <scope_id>", "the cabinet or container id")
    .requiredOption("--reason <text>", "why (a case, a request)")
    .action(async (opts) => (await handlers()).placeHold(opts));
  hold
    .command("release")
    .description("release a legal hold (recorded with who, when and why)")
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption("--hold <hold_id>", "the hold")
    .requiredOption("--reason <text>", "why it ends")
    .action(async (opts) => (await handlers()).releaseHold(opts));
  hold
    .command("list")
    .description("the holds in force (--all: with released ones)")
    .requiredOption("--org <org_id>", "organization id")
    .option("--all", "released holds too")
    .action(async (opts) => (await handlers()).listHolds(opts));
}
