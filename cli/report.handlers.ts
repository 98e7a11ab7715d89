// What `lilo cloud report run` runs (declared in report.commands.ts).
import { writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { z } from "zod";
import { AccessService } from "../cloud/authz/access.service.js";
import { ReportService, RunReportInput } from "../cloud/reports/report.service.js";
import { REPORT_KIND_NAMES } from "../cloud/reports/report-kinds.js";
import { parseInput } from "../shared/errors.js";
import { silentLogger } from "../shared/logger.js";
import { withDatabase } from "./cloud.handlers.js";

const Options = z.object({
  org: z.uuid({ error: "an organization id (UUID)" }),
  kind: z.enum(REPORT_KIND_NAMES),
  out: z.string().min(1).optional(),
});

export async function runReport(o: {
  org: string;
  kind: string;
  format: string;
  from?: string;
  to?: string;
  out?: string;
}): Promise<void> {
  const { org, kind, out } = parseInput(Options, o, "options");
  const input = parseInput(RunReportInput, { format: o.format, from: o.from, to: o.to }, "options");
  const file = await withDatabase((database) =>
    new ReportService({ database, access: new AccessService(database), logger: silentLogger }).runAsOperator(
      org,
      kind,
      input,
      `cli:${userInfo().username}`,
    ),
  );
  if (out === "-") {
    process.stdout.write(file.bytes);
    return;
  }
  const path = out ?? file.name;
  writeFileSync(path, file.bytes);
  console.log(JSON.stringify({ run_id: file.run_id, file: path, rows: file.rows, bytes: file.bytes.length }));
}
