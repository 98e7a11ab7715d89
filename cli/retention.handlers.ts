// What `lilo cloud retention ...` runs (declared in retention.commands.ts). Progress goes to stderr, a
// line per batch; results go to stdout.
import { userInfo } from "node:os";
import { createBlobStore } from "../cloud/blobs/blob-store.factory.js";
import { loadCloudConfig } from "../cloud/config.js";
import { ensurePartitions } from "../cloud/db/partitions.js";
import { type Actor, RetentionService } from "../cloud/retention/retention.service.js";
import { HOLD_SCOPES, type HoldScope, RECORD_CLASSES, type RecordClass } from "../shared/enums.js";
import { AppError } from "../shared/errors.js";
import { withDatabase } from "./cloud.handlers.js";

function withRetention<T>(fn: (retention: RetentionService) => Promise<T>): Promise<T> {
  const config = loadCloudConfig();
  return withDatabase((db) => fn(new RetentionService(db, createBlobStore(config), config.retentionDays)));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const cliActor = (): Actor => ({ name: `cli:${userInfo().username}` });
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const progress = (line: string) => process.stderr.write(`${line}\n`);

function oneOf<T extends string>(list: readonly T[], value: string, option: string): T {
  if (!(list as readonly string[]).includes(value)) {
    throw new AppError("validation_failed", `${option} must be one of ${list.join(", ")}`, {
      [option]: value,
    });
  }
  return value as T;
}

export async function runRetention(o: { org?: string; dryRun?: boolean; json?: boolean }): Promise<void> {
  const opts = { dryRun: o.dryRun, onProgress: progress };
  const report = await withDatabase(async (db) => {
    const config = loadCloudConfig();
    const retention = new RetentionService(db, createBlobStore(config), config.retentionDays);
    if (o.org) return retention.runOrg(o.org, opts);
    if (!o.dryRun) await db.asOwner((tx) => ensurePartitions(tx));
    return retention.runAll({
      ...opts,
      onError: (org, err) => progress(`${org}: failed: ${err instanceof Error ? err.message : String(err)}`),
    });
  });
  if (o.json) print(report);
  else progress(o.dryRun ? "dry run: nothing was changed" : "retention run complete");
}

export async function showRetention(o: { org: string }): Promise<void> {
  const classes = await withRetention((r) => r.policy(o.org));
  for (const c of classes) {
    const own = c.configured_days === null ? "" : ` (organization: ${c.configured_days})`;
    process.stdout.write(
      `${c.record_class.padEnd(22)} ${String(c.effective_days).padStart(6)} days${own}  ${c.source}\n`,
    );
  }
}

export async function setRetention(o: { org: string; class: string; days: string }): Promise<void> {
  const recordClass = oneOf<RecordClass>(RECORD_CLASSES, o.class, "--class");
  const days = Number(o.days);
  if (!Number.isInteger(days))
    throw new AppError("validation_failed", "--days must be a whole number", { "--days": o.days });
  print(await withRetention((r) => r.setPeriod(o.org, cliActor(), recordClass, days)));
}

export async function placeHold(o: {
  org: string;
  scope: string;
  id?: string;
  reason: string;
}): Promise<void> {
  const scope_type = oneOf<HoldScope>(HOLD_SCOPES, o.scope, "--scope");
  if (o.id !== undefined && !UUID.test(o.id)) {
    throw new AppError("validation_failed", "--id must be a cabinet or container id (a UUID)", {
      "--id": o.id,
    });
  }
  print(
    await withRetention((r) =>
      r.placeHold(o.org, cliActor(), { scope_type, scope_id: o.id, reason: o.reason }),
    ),
  );
}

export async function releaseHold(o: { org: string; hold: string; reason: string }): Promise<void> {
  print(await withRetention((r) => r.releaseHold(o.org, cliActor(), o.hold, o.reason)));
}

export async function listHolds(o: { org: string; all?: boolean }): Promise<void> {
  print(await withRetention((r) => r.holds(o.org, !o.all)));
}
