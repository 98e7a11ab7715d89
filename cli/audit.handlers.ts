// What `lilo cloud audit ...` runs (declared in audit.commands.ts).
import { userInfo } from "node:os";
import { type AuditReport, AuditService } from "../cloud/audit/audit.service.js";
import { loadSigningKey } from "../cloud/audit/audit-signing-key.js";
import { loadCloudConfig } from "../cloud/config.js";
import { withDatabase } from "./cloud.handlers.js";

/** Verifying needs no key of its own: without one, checkpoints are reported as not checked. */
function auditService<T>(create: boolean, fn: (audit: AuditService) => Promise<T>): Promise<T> {
  const file = loadCloudConfig().auditSigningKeyFile;
  const key = create ? loadSigningKey(file) : loadSigningKey(file, { create: false });
  return withDatabase((db) => fn(new AuditService(db, key)));
}

export async function verifyAudit(o: { org: string; json?: boolean }): Promise<void> {
  const report = await auditService(false, (audit) => audit.verify(o.org));
  console.log(o.json ? JSON.stringify(report, null, 2) : describe(report));
  if (!report.ok) process.exitCode = 1;
}

export async function exportAudit(o: { org: string }): Promise<void> {
  const signed = await auditService(true, (audit) =>
    audit.exportHeads(o.org, { name: `cli:${userInfo().username}` }),
  );
  console.log(JSON.stringify(signed, null, 2));
}

function describe(report: AuditReport): string {
  const lines = report.chains.map((c) => {
    const where = `${c.table} chain ${c.chain_id}`;
    if (!c.break) {
      const checkpoint = c.checkpoint ? `, checkpoint at ${c.checkpoint.seq}` : "";
      return `ok      ${where}: ${c.rows} rows${checkpoint}`;
    }
    const b = c.break;
    return `BROKEN  ${where}: ${b.kind} at row ${b.row_id ?? "-"} (place ${b.seq ?? "-"}): ${b.detail}`;
  });
  for (const w of report.warnings) lines.push(`warning ${w}`);
  lines.push(report.ok ? "audit trail intact" : "audit trail BROKEN");
  return lines.join("\n");
}
