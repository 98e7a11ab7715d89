// Printing a container's label for `lilo label` and the HTTP API alike: the options checked, the
// container found in the tenant's inventory, the label rendered, and the print recorded in the
// tenant's unified_event_log (`label_printed`, or `label_reprinted` when it was labelled before).
import { z } from "zod";
import { AppError, parseInput } from "../../shared/errors.js";
import {
  LABEL_FORMATS,
  LABEL_SIZE_NAMES,
  type LabelFormat,
  type LabelSize,
  labelSymbol,
  PAGE_KINDS,
  renderLabels,
  SYMBOLOGIES,
  type Symbology,
} from "../../shared/labels/index.js";
import type { Database } from "../db/database.js";
import { type LabelAction, labelRepository, type NewEvent } from "./label.repository.js";

const oneOf = (values: readonly string[]) => ({ error: `one of ${values.join(", ")}` });
/** One request prints at most this many copies: more is a denial of service (render time, PDF size), not a job. */
export const MAX_LABEL_COPIES = 100;
const COPIES = { error: `a whole number from 1 to ${MAX_LABEL_COPIES}` };

/** Strict: a misspelt option is refused rather than silently printing (and recording) the default. */
const LabelOptions = z.strictObject({
  size: z.enum(LABEL_SIZE_NAMES, oneOf(LABEL_SIZE_NAMES)).default("bottle"),
  format: z.enum(LABEL_FORMATS, oneOf(LABEL_FORMATS)).default("pdf"),
  /** Default: the size's measured best (labelSymbol in shared/labels/layout.ts). */
  symbology: z.enum(SYMBOLOGIES, oneOf(SYMBOLOGIES)).optional(),
  page: z.enum(PAGE_KINDS, oneOf(PAGE_KINDS)).default("a4"),
  copies: z.number(COPIES).int(COPIES).min(1, COPIES).max(MAX_LABEL_COPIES, COPIES).default(1),
});

const LabelRequest = LabelOptions.extend({
  container: z.string({ error: "required" }).trim().min(1, { error: "required" }).max(100),
});

/** What a caller hands in, unchecked: flags or a request body. */
export interface LabelRequestInput {
  /** container_id (UUID) or the printed code (qr_code). */
  container: string;
  size?: string;
  format?: string;
  symbology?: string;
  page?: string;
  copies?: number;
}

/** Checks print options (as a body or flags give them), naming every bad one; nothing is looked up. */
export const parseLabelOptions = (input: unknown) => parseInput(LabelOptions, input, "label options");

/** Who asked for the print and through what, recorded on the event; the CLI prints as the operator. */
export type LabelActor = Pick<
  NewEvent,
  "user_id" | "user_name" | "user_role" | "api_endpoint" | "user_agent" | "ip_address"
>;

export interface PrintedLabel {
  org_id: string;
  container_id: string;
  qr_code: string;
  chemical_name: string;
  action: LabelAction;
  event_id: string;
  format: LabelFormat;
  size: LabelSize;
  symbology: Symbology;
  /** The symbol version the size fixes (e.g. "12x26" on a vial); absent: the smallest that fits. */
  version?: string;
  media_type: string;
  bytes: Buffer;
}

export interface PrintOptions {
  actor?: LabelActor;
  /**
   * Hands the label over (e.g. writes the file) inside the transaction, after the event is written:
   * if it throws, the print is not recorded.
   */
  deliver?: (label: PrintedLabel) => void | Promise<void>;
}

export class LabelService {
  constructor(private readonly database: Database) {}

  async print(orgId: string, input: LabelRequestInput, opts: PrintOptions = {}): Promise<PrintedLabel> {
    const req = parseInput(LabelRequest, input, "label options");
    const symbol = labelSymbol(req.size, req);
    const { symbology } = symbol;
    const printed = symbol.version ? `${symbology} ${symbol.version}` : symbology;
    return this.database.withTenant(orgId, async (tx) => {
      const c = await labelRepository.lockContainer(tx, req.container);
      if (!c)
        throw new AppError("not_found", `unknown container "${req.container}" in organization ${orgId}`);
      const action: LabelAction = (await labelRepository.wasLabelled(tx, c.container_id))
        ? "label_reprinted"
        : "label_printed";
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
        { ...symbol, size: req.size, format: req.format, page: req.page, copies: req.copies },
      );
      const event_id = await labelRepository.recordEvent(tx, {
        ...opts.actor,
        event_type: "manual",
        event_category: "inventory",
        severity: "info",
        cabinet_id: c.cabinet_id,
        shelf_id: c.shelf_level,
        container_id: c.container_id,
        qr_code: c.qr_code,
        chemical_name: c.chemical_name,
        cas_number: c.cas_number,
        event_details: { action, format: req.format, size: req.size, ...symbol },
        changes_summary: `${action === "label_printed" ? "Label printed" : "Label reprinted"}: ${c.qr_code} (${req.size}, ${printed}, ${req.format})`,
      });
      const label: PrintedLabel = {
        org_id: orgId,
        container_id: c.container_id,
        qr_code: c.qr_code,
        chemical_name: c.chemical_name,
        action,
        event_id,
        format: req.format,
        size: req.size,
        ...symbol,
        media_type: rendered.mediaType,
        bytes: rendered.bytes,
      };
      await opts.deliver?.(label);
      return label;
    });
  }
}
