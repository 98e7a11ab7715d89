// What `lilo label` runs (declared in label.commands.ts): prints a container's label (PDF sheets or ZPL
// for thermal printers) and records the print in the tenant's unified_event_log, as `label_reprinted`
// when the container was labelled before.
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Database } from "../cloud/db/database.js";
import { type LabelRequestInput, LabelService, type PrintedLabel } from "../cloud/labels/label.service.js";
import { AppError } from "../shared/errors.js";
import { organizations } from "../shared/schema/platform.js";
import { withDatabase } from "./cloud.handlers.js";

export interface PrintLabelRequest extends LabelRequestInput {
  /** org_id or slug; may be omitted when the database holds exactly one organization. */
  org?: string;
  /** File to write; undefined: the bytes are only returned. Nothing is recorded if writing fails. */
  out?: string;
}

/** The organization to print for: by id or slug, or the only one there is. */
export async function resolveOrg(db: Database, org?: string): Promise<string> {
  const orgs = await db.asService((tx) =>
    tx.select({ org_id: organizations.org_id, org_slug: organizations.org_slug }).from(organizations),
  );
  if (org) {
    const found = orgs.find((o) => o.org_id === org || o.org_slug === org);
    if (!found) throw new AppError("not_found", `unknown organization "${org}"`);
    return found.org_id;
  }
  if (orgs.length === 1) return orgs[0]!.org_id;
  if (!orgs.length)
    throw new AppError("not_found", "no organizations in the database (run `lilo cloud org create`)");
  const slugs = orgs
    .map((o) => o.org_slug)
    .sort()
    .join(", ");
  throw new AppError("validation_failed", `several organizations; choose one with --org (${slugs})`, {
    org: "required",
  });
}

/** Renders the container's label, writes it to `out` (if given) and records the print. */
export async function printContainerLabel(db: Database, req: PrintLabelRequest): Promise<PrintedLabel> {
  const { org, out, ...request } = req;
  return new LabelService(db).print(await resolveOrg(db, org), request, {
    deliver: out ? (label) => writeAtomically(out, label.bytes) : undefined,
  });
}

function writeAtomically(file: string, bytes: Buffer): void {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new AppError(
      "validation_failed",
      `cannot write ${file}: ${err instanceof Error ? err.message : err}`,
    );
  }
}

export interface PrintLabelOptions {
  container: string;
  org?: string;
  size: string;
  format: string;
  symbology?: string;
  page: string;
  copies: string;
  out?: string;
}

export function printLabel(o: PrintLabelOptions): Promise<void> {
  return withDatabase(async (db) => {
    const copies = /^\d+$/.test(o.copies) ? Number(o.copies) : Number.NaN;
    if (!o.out && o.format === "pdf" && process.stdout.isTTY) {
      throw new AppError("validation_failed", "refusing to write a PDF to a terminal; use --out FILE");
    }
    const r = await printContainerLabel(db, { ...o, copies });
    if (!o.out) process.stdout.write(r.bytes);
    process.stderr.write(
      `${r.action}: ${r.qr_code} ${r.chemical_name} (${r.size}, ${r.symbology}${r.version ? ` ${r.version}` : ""}, ${r.format})` +
        `${o.out ? ` -> ${o.out}` : ""}\n`,
    );
  });
}
