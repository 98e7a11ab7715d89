// `lilo cloud audit ...`: verify an organization's hash-chained audit trail, export its signed chain
// heads. Declarations only; the work loads from audit.handlers.ts when a command runs.
import type { Command } from "commander";

const handlers = () => import("./audit.handlers.js");

export function registerAuditCommands(cloud: Command): void {
  const audit = cloud.command("audit").description("the tamper-evident audit trail (docs/audit.md)");
  audit
    .command("verify")
    .description(
      "walk every hash chain of the organization's audit trail; name the first broken link of each " +
        "(content changed, row missing, row inserted, order changed); exit 1 on any break",
    )
    .requiredOption("--org <org_id>", "organization id")
    .option("--json", "print the whole report as JSON")
    .action(async (opts) => (await handlers()).verifyAudit(opts));
  audit
    .command("export")
    .description(
      "verify, checkpoint and print the chain heads as JSON signed with the audit key " +
        "(LILO_AUDIT_SIGNING_KEY_FILE, created when missing); refuses a broken trail",
    )
    .requiredOption("--org <org_id>", "organization id")
    .action(async (opts) => (await handlers()).exportAudit(opts));
}
