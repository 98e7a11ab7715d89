// Containers over the API: search with facets, one container with where it is, and the cloud's side of
// a container's life: registration (the cabinet's "unknown label" ends here, the label printed at once),
// descriptive edits, moves and disposal. Descriptive fields belong to the cloud and reach the cabinet
// with its next downlink (cloud/sync/downlink.service.ts); where a container sits on its shelf and
// whether it is out stay the cabinet's (the ownership table in cloud/sync/ingest.service.ts).
import { z } from "zod";
import { AppError } from "../../shared/errors.js";
import { LABEL_FORMATS, LABEL_SIZE_NAMES } from "../../shared/labels/index.js";
import { labelFor } from "../../shared/labels/label-code.js";
import { isValidCas } from "../../shared/schema/validation.js";
import type { OrgAccess } from "../authz/access.service.js";
import { actingUserId, callerLabel } from "../authz/caller.middleware.js";
import { type Database, pgErrorCode, type Tx } from "../db/database.js";
import { decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import { labelRepository } from "../labels/label.repository.js";
import type { LabelService } from "../labels/label.service.js";
import { treeRepository } from "../orgs/tree.repository.js";
import {
  type ContainerFilter,
  type ContainerView,
  containerRepository,
  type Facets,
} from "./container.repository.js";

export const GHS_PICTOGRAMS = [
  "GHS01",
  "GHS02",
  "GHS03",
  "GHS04",
  "GHS05",
  "GHS06",
  "GHS07",
  "GHS08",
  "GHS09",
] as const;
export const SIGNAL_WORDS = ["Danger", "Warning"] as const;
const DATE = z.iso.date({ error: "a date, YYYY-MM-DD" });
const text = (max: number) => z.string().trim().min(1, "required").max(max);
const amount = z.number().nonnegative().max(9_999_999).transform(String);
const Cas = z.string().trim().refine(isValidCas, "not a valid CAS registry number (check digit)");

/** The cloud's descriptive fields of a container: editable after registration. */
const Descriptive = z.strictObject({
  chemical_name: text(255),
  cas_number: Cas.nullable(),
  chemical_formula: text(200).nullable(),
  supplier: text(255).nullable(),
  catalog_number: text(100).nullable(),
  lot_number: text(100).nullable(),
  quantity: amount,
  unit: text(20),
  minimum_quantity: amount.nullable(),
  container_type: text(50).nullable(),
  hazard_class: z.array(text(50)).max(20),
  ghs_pictograms: z.array(z.enum(GHS_PICTOGRAMS)).max(9),
  signal_word: z.enum(SIGNAL_WORDS).nullable(),
  h_statements: z
    .array(z.string().regex(/^(EU)?H\d{3}[A-Za-z+H\d]*$/, "a hazard statement code like H225"))
    .max(40),
  p_statements: z
    .array(z.string().regex(/^P\d{3}[+P\d]*$/, "a precautionary statement code like P210"))
    .max(40),
  expiry_date: DATE.nullable(),
  date_opened: DATE.nullable(),
  date_received: DATE.nullable(),
  notes: z.string().max(5000).nullable(),
});

export const RegisterContainerInput = Descriptive.partial()
  .required({ chemical_name: true, quantity: true, unit: true })
  .extend({
    cabinet_id: z.uuid(),
    shelf_level: z.number().int().min(1).max(20),
    /** The code on the bottle (the one the cabinet did not know); a new LILO:C code when absent. */
    qr_code: text(100).optional(),
    /** The label printed on registration; `false` for none (the bottle already carries one). */
    label: z
      .union([
        z.strictObject({
          size: z.enum(LABEL_SIZE_NAMES).default("bottle"),
          format: z.enum(LABEL_FORMATS).default("pdf"),
        }),
        z.literal(false),
      ])
      .default({ size: "bottle", format: "pdf" }),
  });
export type RegisterContainerInput = z.infer<typeof RegisterContainerInput>;

export const UpdateContainerInput = Descriptive.partial().refine((v) => Object.keys(v).length > 0, {
  message: "name at least one field to change",
});
export const MoveContainerInput = z.strictObject({
  cabinet_id: z.uuid(),
  shelf_level: z.number().int().min(1).max(20),
});
export const DisposeContainerInput = z.strictObject({
  disposal_method: text(100),
  disposal_vendor: text(255).optional(),
  disposal_date: DATE.optional(),
});

export const ContainerQuery = z.object({
  q: z.string().trim().min(1).max(200).optional(),
  cabinet_id: z.uuid().optional(),
  lab_id: z.uuid().optional(),
  status: z.string().max(50).optional(),
  hazard_class: z.string().max(50).optional(),
  ghs: z.enum(GHS_PICTOGRAMS).optional(),
  signal_word: z.enum(SIGNAL_WORDS).optional(),
  cas_number: z.string().max(50).optional(),
  expires_before: DATE.optional(),
  expired: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
  below_minimum: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
});
export type ContainerQuery = z.infer<typeof ContainerQuery>;

export interface RegisteredContainer {
  container: ContainerView;
  label: { format: string; size: string; media_type: string; event_id: string; data_base64: string } | null;
}

export class ContainerService {
  constructor(
    private readonly database: Database,
    private readonly labels: LabelService,
  ) {}

  private filter(access: OrgAccess, q: ContainerQuery): ContainerFilter {
    if (q.cabinet_id) access.cabinetResource(q.cabinet_id);
    if (q.lab_id) access.labResource(q.lab_id);
    const { cabinet_id, lab_id, ...rest } = q;
    return {
      ...rest,
      cabinet_ids: access
        .cabinetsWhere("inventory:read")
        .filter(
          (id) => (!cabinet_id || id === cabinet_id) && (!lab_id || access.tree.cabinets.get(id) === lab_id),
        ),
    };
  }

  search(access: OrgAccess, q: ContainerQuery, page: PageRequest): Promise<Page<ContainerView>> {
    access.requireSomewhere("inventory:read");
    const cursor = decodeCursor(page.cursor, 2);
    const f = this.filter(access, q);
    return this.database.withTenant(access.org_id, async (tx) =>
      pageOf(await containerRepository.search(tx, f, page.limit + 1, cursor), page.limit, (c) => [
        c.chemical_name,
        c.container_id,
      ]),
    );
  }

  facets(access: OrgAccess, q: ContainerQuery): Promise<Facets> {
    access.requireSomewhere("inventory:read");
    const f = this.filter(access, q);
    return this.database.withTenant(access.org_id, (tx) => containerRepository.facets(tx, f));
  }

  /** One container the caller may read; 404 for an unknown id (or one of another organization). */
  async get(access: OrgAccess, containerId: string): Promise<ContainerView> {
    const c = await this.database.withTenant(access.org_id, (tx) =>
      containerRepository.find(tx, containerId),
    );
    if (!c) throw notFound();
    access.require("inventory:read", access.cabinetResource(c.cabinet_id));
    return c;
  }

  async register(access: OrgAccess, input: RegisterContainerInput): Promise<RegisteredContainer> {
    const { label, cabinet_id, shelf_level, qr_code, ...fields } = input;
    access.require("container:register", access.cabinetResource(cabinet_id));
    const containerId = await this.database
      .withTenant(access.org_id, async (tx) => {
        await checkShelf(tx, cabinet_id, shelf_level);
        const code = qr_code ?? labelFor((await containerRepository.highestCodeNumber(tx)) + 1);
        const id = await containerRepository.insert(tx, {
          ...fields,
          cabinet_id,
          shelf_level,
          qr_code: code,
          initial_quantity: fields.quantity,
          status: "in_cabinet",
          created_by: actingUserId(access.caller),
        });
        await this.record(
          tx,
          access,
          id,
          "container_registered",
          `Registered ${fields.chemical_name} as ${code}`,
          {
            new_values: { ...fields, cabinet_id, shelf_level, qr_code: code },
          },
        );
        return id;
      })
      .catch((err: unknown) => {
        if (pgErrorCode(err) === "23505")
          throw new AppError("conflict", `the code ${qr_code} is already registered`, { qr_code: "taken" });
        throw err;
      });
    const printed =
      label === false
        ? null
        : await this.labels.print(
            access.org_id,
            { container: containerId, size: label.size, format: label.format },
            { actor: { user_id: actingUserId(access.caller), user_name: callerLabel(access.caller) } },
          );
    return {
      container: await this.get(access, containerId),
      label: printed && {
        format: printed.format,
        size: printed.size,
        media_type: printed.media_type,
        event_id: printed.event_id,
        data_base64: printed.bytes.toString("base64"),
      },
    };
  }

  async update(
    access: OrgAccess,
    containerId: string,
    input: z.infer<typeof UpdateContainerInput>,
  ): Promise<ContainerView> {
    await this.change(access, containerId, async (tx, before) => {
      await containerRepository.update(tx, containerId, input);
      const old = Object.fromEntries(Object.keys(input).map((k) => [k, before[k as keyof typeof before]]));
      await this.record(
        tx,
        access,
        containerId,
        "container_updated",
        `Edited ${Object.keys(input).join(", ")}`,
        {
          old_values: old,
          new_values: input,
        },
      );
    });
    return this.get(access, containerId);
  }

  async move(
    access: OrgAccess,
    containerId: string,
    input: z.infer<typeof MoveContainerInput>,
  ): Promise<ContainerView> {
    access.require("container:write", access.cabinetResource(input.cabinet_id));
    await this.change(access, containerId, async (tx, before) => {
      await checkShelf(tx, input.cabinet_id, input.shelf_level);
      await containerRepository.update(tx, containerId, input);
      await this.record(tx, access, containerId, "container_moved", "Moved to another cabinet or shelf", {
        old_values: { cabinet_id: before.cabinet_id, shelf_level: before.shelf_level },
        new_values: input,
      });
    });
    return this.get(access, containerId);
  }

  async dispose(
    access: OrgAccess,
    containerId: string,
    input: z.infer<typeof DisposeContainerInput>,
  ): Promise<ContainerView> {
    await this.change(access, containerId, async (tx, before) => {
      if (before.status === "disposed")
        throw new AppError("conflict", `container ${containerId} is already disposed`);
      const set = {
        status: "disposed",
        disposal_method: input.disposal_method,
        disposal_vendor: input.disposal_vendor ?? null,
        disposal_date: input.disposal_date ?? new Date().toISOString().slice(0, 10),
        disposed_by_user: actingUserId(access.caller),
      };
      await containerRepository.update(tx, containerId, set);
      // A controlled substance's disposal is a transaction of its own, for its disposer (and a
      // witness) to sign as controlled_substance_disposal (docs/controlled-substances.md).
      const transaction_id = before.dea_schedule
        ? await containerRepository.insertTransaction(tx, {
            container_id: containerId,
            transaction_type: "dispose",
            qr_code: before.qr_code,
            user_id: set.disposed_by_user,
            user_name: callerLabel(access.caller).slice(0, 255),
            source_cabinet_id: before.cabinet_id,
            quantity_checkout: before.quantity,
            quantity_unit: before.unit,
            status: "disposed",
          })
        : undefined;
      await this.record(tx, access, containerId, "container_disposed", `Disposed: ${input.disposal_method}`, {
        old_values: { status: before.status },
        new_values: transaction_id ? { ...set, transaction_id } : set,
      });
    });
    return this.get(access, containerId);
  }

  /** Locks the container, checks container:write at its cabinet, runs `fn` in the same transaction. */
  private async change(
    access: OrgAccess,
    containerId: string,
    fn: (tx: Tx, before: NonNullable<Awaited<ReturnType<typeof containerRepository.lock>>>) => Promise<void>,
  ): Promise<void> {
    await this.database.withTenant(access.org_id, async (tx) => {
      const before = await containerRepository.lock(tx, containerId);
      if (!before) throw notFound();
      access.require("container:write", access.cabinetResource(before.cabinet_id));
      await fn(tx, before);
    });
  }

  private async record(
    tx: Tx,
    access: OrgAccess,
    containerId: string,
    action: string,
    summary: string,
    values: { old_values?: unknown; new_values?: unknown },
  ): Promise<void> {
    const c = (await containerRepository.lock(tx, containerId))!;
    await labelRepository.recordEvent(tx, {
      event_type: "manual",
      event_category: "inventory",
      severity: "info",
      cabinet_id: c.cabinet_id,
      shelf_id: c.shelf_level,
      container_id: containerId,
      qr_code: c.qr_code,
      chemical_name: c.chemical_name,
      cas_number: c.cas_number,
      user_id: actingUserId(access.caller),
      user_name: callerLabel(access.caller).slice(0, 255),
      event_details: { action, via: access.caller.kind },
      changes_summary: summary,
      // Filed under controlled_substance in the compliance log (docs/audit.md).
      dea_relevant: c.dea_schedule !== null,
      ...values,
    });
  }
}

const notFound = () => new AppError("not_found", "no such container in this organization");

async function checkShelf(tx: Tx, cabinetId: string, shelf: number): Promise<void> {
  const cabinet = await treeRepository.findCabinet(tx, cabinetId);
  if (cabinet && shelf > cabinet.num_shelves) {
    throw new AppError(
      "validation_failed",
      `invalid request: shelf_level: the cabinet has ${cabinet.num_shelves} shelves`,
      {
        shelf_level: `the cabinet has ${cabinet.num_shelves} shelves`,
      },
    );
  }
}
