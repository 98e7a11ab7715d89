// `lilo label`: prints a container's label (PDF sheets or ZPL for thermal printers) and records the
// print in the tenant's unified_event_log, as `label_reprinted` when the container was labelled before.
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type Command, Option } from "commander";
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../cloud/db/database.js";
import { AppError } from "../shared/errors.js";
import {
  isLabelFormat,
  isLabelSize,
  isSymbology,
  LABEL_FORMATS,
  LABEL_SIZE_NAMES,
  LABEL_SIZES,
  type LabelFormat,
  type LabelSize,
  PAGE_KINDS,
  type PageKind,
  renderLabels,
  SYMBOLOGIES,
  type Symbology,
} from "../shared/labels/index.js";
import { organizations } from "../shared/schema/platform.js";
import { chemicalInventory, unifiedEventLog } from "../shared/schema/tenant.js";
import { withDatabase } from "./cloud.commands.js";

export interface PrintLabelRequest {
  /** container_id (UUID) or the printed code (qr_code). */
  container: string;
  /** org_id or slug; may be omitted when the database holds exactly one organization. */
  org?: string;
  size?: string;
  format?: string;
  symbology?: string;
  page?: string;
  copies?: number;
  /** File to write; undefined: the bytes are only returned. Written before the print is recorded. */
  out?: string;
}

export interface PrintLabelResult {
  org_id: string;
  container_id: string;
  qr_code: string;
  chemical_name: string;
  action: "label_printed" | "label_reprinted";
  event_id: string;
  format: LabelFormat;
  size: LabelSize;
  symbology: Symbology;
  bytes: Buffer;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ValidOptions {
  size: LabelSize;
  format: LabelFormat;
  symbology: Symbology;
  page: PageKind;
  copies: number;
}

function validate(req: PrintLabelRequest): ValidOptions {
  const fields: Record<string, string> = {};
  const size = req.size ?? "bottle";
  const format = req.format ?? "pdf";
  const page = req.page ?? "a4";
  const copies = req.copies ?? 1;
  if (!req.container?.trim()) fields.container = "required";
  if (!isLabelSize(size)) fields.size = `one of ${LABEL_SIZE_NAMES.join(", ")}`;
  if (!isLabelFormat(format)) fields.format = `one of ${LABEL_FORMATS.join(", ")}`;
  const symbology = req.symbology ?? (isLabelSize(size) ? LABEL_SIZES[size].defaultSymbology : "qr");
  if (!isSymbology(symbology)) fields.symbology = `one of ${SYMBOLOGIES.join(", ")}`;
  if (!(PAGE_KINDS as string[]).includes(page)) fields.page = `one of ${PAGE_KINDS.join(", ")}`;
  if (!Number.isInteger(copies) || copies < 1 || copies > 1000)
    fields.copies = "a whole number from 1 to 1000";
  if (Object.keys(fields).length) {
    const summary = Object.entries(fields)
      .map(([k, v]) => `--${k}: ${v}`)
      .join("; ");
    throw new AppError("validation_failed", `invalid label options: ${summary}`, fields);
  }
  return {
    size: size as LabelSize,
    format: format as LabelFormat,
    symbology: symbology as Symbology,
    page: page as PageKind,
    copies,
  };
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
export async function printContainerLabel(db: Database, req: PrintLabelRequest): Promise<PrintLabelResult> {
  const opts = validate(req);
  const orgId = await resolveOrg(db, req.org);
  const key = req.container.trim();
  return db.withTenant(orgId, async (tx) => {
    const [c] = await tx
      .select()
      .from(chemicalInventory)
      .where(UUID.test(key) ? eq(chemicalInventory.container_id, key) : eq(chemicalInventory.qr_code, key))
      .limit(1);
    if (!c) throw new AppError("not_found", `unknown container "${key}" in organization ${orgId}`);
    const [previous] = await tx
      .select({ event_id: unifiedEventLog.event_id })
      .from(unifiedEventLog)
      .where(
        and(
          eq(unifiedEventLog.container_id, c.container_id),
          eq(unifiedEventLog.event_type, "manual"),
          sql`${unifiedEventLog.event_details}->>'action' IN ('label_printed', 'label_reprinted')`,
        ),
      )
      .limit(1);
    const action = previous ? "label_reprinted" : "label_printed";
    const rendered = await renderLabels(
      [
        {
          code: c.qr_code,
          chemicalName: c.chemical_name,
          casNumber: c.cas_number,
          ghsPictograms: c.ghs_pictograms,
          signalWord: c.signal_word,
        },
      ],
      {
        size: opts.size,
        format: opts.format,
        symbology: opts.symbology,
        page: opts.page,
        copies: opts.copies,
      },
    );
    if (req.out) writeAtomically(req.out, rendered.bytes);
    try {
      const [event] = await tx
        .insert(unifiedEventLog)
        .values({
          event_type: "manual",
          event_category: "inventory",
          severity: "info",
          cabinet_id: c.cabinet_id,
          shelf_id: c.shelf_level,
          container_id: c.container_id,
          qr_code: c.qr_code,
          chemical_name: c.chemical_name,
          cas_number: c.cas_number,
          event_details: { action, format: opts.format, size: opts.size, symbology: opts.symbology },
          changes_summary: `${action === "label_printed" ? "Label printed" : "Label reprinted"}: ${c.qr_code} (${opts.size}, ${opts.symbology}, ${opts.format})`,
        })
        .returning({ event_id: unifiedEventLog.event_id });
      return {
        org_id: orgId,
        container_id: c.container_id,
        qr_code: c.qr_code,
        chemical_name: c.chemical_name,
        action,
        event_id: event!.event_id,
        format: opts.format,
        size: opts.size,
        symbology: opts.symbology,
        bytes: rendered.bytes,
      };
    } catch (err) {
      // The print is not recorded, so nothing must be left that looks printed.
      if (req.out) rmSync(req.out, { force: true });
      throw err;
    }
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
    .addOption(new Option("--format <format>", "output format").choices([...LABEL_FORMATS]).default("pdf"))
    .addOption(
      new Option(
        "--symbology <symbology>",
        "code symbology (default: datamatrix, 12x26 along a vial)",
      ).choices([...SYMBOLOGIES]),
    )
    .addOption(
      new Option("--page <page>", "PDF page: a4 or letter sheets, or label-sized pages")
        .choices(PAGE_KINDS)
        .default("a4"),
    )
    .option("--copies <n>", "copies of the label", "1")
    .option("--out <file>", "write here instead of standard output")
    .action(
      (o: {
        container: string;
        org?: string;
        size: string;
        format: string;
        symbology?: string;
        page: string;
        copies: string;
        out?: string;
      }) =>
        withDatabase(async (db) => {
          const copies = /^\d+$/.test(o.copies) ? Number(o.copies) : Number.NaN;
          if (!o.out && o.format === "pdf" && process.stdout.isTTY) {
            throw new AppError("validation_failed", "refusing to write a PDF to a terminal; use --out FILE");
          }
          const r = await printContainerLabel(db, { ...o, copies });
          if (!o.out) process.stdout.write(r.bytes);
          process.stderr.write(
            `${r.action}: ${r.qr_code} ${r.chemical_name} (${r.size}, ${r.symbology}, ${r.format})` +
              `${o.out ? ` -> ${o.out}` : ""}\n`,
          );
        }),
    );
}
