// Saved views: a person keeps the filters of an inventory search (GET /containers) or an event search
// (GET /events) under a name, private, shared with labs, or public in the organization. Whether someone
// else sees one is decided by authorizeView (cloud/authz/authorize.ts) from their grants: a shared view
// is seen by those who may read its rows in one of its labs. Only the owner changes or deletes one; a
// view the caller may not see is not found.
import { z } from "zod";
import { AppError, parseInput, validationError } from "../../shared/errors.js";
import type { Permission } from "../../shared/permissions.js";
import { recordAuditEvent } from "../audit/audit-event.js";
import type { OrgAccess } from "../authz/access.service.js";
import { authorizeView, type Resource, type SharedView } from "../authz/authorize.js";
import type { Database, Tx } from "../db/database.js";
import { cursorString, decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import { EventQuery } from "../history/history.service.js";
import { ContainerQuery } from "../inventory/container.service.js";
import { type SavedView, savedViewRepository } from "./saved-view.repository.js";

/** What a view can hold: the filters of one list of the API, and what reading its rows needs. */
export const VIEW_SOURCES = {
  chemicals: { path: "containers", query: ContainerQuery.strict(), permission: "inventory:read" },
  events: { path: "events", query: EventQuery.strict(), permission: "event:read" },
} as const satisfies Record<string, { path: string; query: z.ZodType; permission: Permission }>;
export type ViewEntity = keyof typeof VIEW_SOURCES;
const ENTITIES = Object.keys(VIEW_SOURCES) as [ViewEntity, ...ViewEntity[]];

const Fields = z.strictObject({
  name: z.string().trim().min(1, "required").max(255),
  description: z.string().max(2000).nullable(),
  entity: z.enum(ENTITIES),
  /** Query parameters of the list, as they would be sent (strings). */
  filters: z.record(z.string(), z.string().max(200)),
  visibility: z.enum(["private", "shared", "public"]),
  shared_with_labs: z.array(z.uuid()).max(50),
});
export const CreateViewInput = Fields.partial({
  description: true,
  filters: true,
  visibility: true,
  shared_with_labs: true,
});
export const UpdateViewInput = Fields.omit({ entity: true })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: "name at least one field to change" });
export const ViewListQuery = z.object({ entity: z.enum(ENTITIES).optional() });

export interface ViewOut {
  view_id: string;
  name: string;
  description: string | null;
  entity: ViewEntity;
  filters: Record<string, string>;
  /** The list this view reads, with its filters: GET it to see the rows. */
  path: string;
  visibility: SharedView["visibility"];
  shared_with_labs: string[];
  owner_user_id: string;
  mine: boolean;
  created_at: string | null;
  updated_at: string | null;
}

const notFound = () => new AppError("not_found", "no such saved view in this organization");
const filtersOf = (v: SavedView) =>
  (v.query_definition as { filters?: Record<string, string> }).filters ?? {};

export class SavedViewService {
  constructor(private readonly database: Database) {}

  async create(access: OrgAccess, input: z.input<typeof CreateViewInput>): Promise<ViewOut> {
    const owner = personOf(access);
    const v = parseInput(CreateViewInput, input, "saved view");
    const settled = this.settle(access, v.entity, {
      filters: v.filters ?? {},
      visibility: v.visibility ?? "private",
      shared_with_labs: v.shared_with_labs ?? [],
    });
    return this.database.withTenant(access.org_id, async (tx) => {
      const row = await savedViewRepository.insert(tx, {
        view_name: v.name,
        description: v.description ?? null,
        created_by: owner,
        owner_user_id: owner,
        last_modified_by: owner,
        entity: v.entity,
        query_definition: { filters: settled.filters },
        visibility: settled.visibility,
        shared_with_labs: settled.shared_with_labs,
      });
      await audit(tx, access, "saved_view_created", row, null);
      return this.out(access, row);
    });
  }

  async list(access: OrgAccess, q: z.infer<typeof ViewListQuery>, page: PageRequest): Promise<Page<ViewOut>> {
    const cursor = decodeCursor(page.cursor, 2);
    const after = cursor ? [cursorString(cursor[0]), cursorString(cursor[1])] : undefined;
    const rows = await this.database.withTenant(access.org_id, (tx) =>
      savedViewRepository.candidates(tx, viewerOf(access), q.entity),
    );
    const seen = rows
      .filter((r) => this.decide(access, r, "read"))
      .filter((r) => !after || r.view_name > after[0]! || (r.view_name === after[0] && r.view_id > after[1]!))
      .slice(0, page.limit + 1);
    const p = pageOf(seen, page.limit, (r) => [r.view_name, r.view_id]);
    return { ...p, items: p.items.map((r) => this.out(access, r)) };
  }

  async get(access: OrgAccess, id: string): Promise<ViewOut> {
    return this.database.withTenant(access.org_id, async (tx) =>
      this.out(access, await this.readable(tx, access, id)),
    );
  }

  async update(access: OrgAccess, id: string, input: z.input<typeof UpdateViewInput>): Promise<ViewOut> {
    const v = parseInput(UpdateViewInput, input, "saved view");
    return this.database.withTenant(access.org_id, async (tx) => {
      const before = await this.changeable(tx, access, id);
      const settled = this.settle(access, before.entity as ViewEntity, {
        filters: v.filters ?? filtersOf(before),
        visibility: v.visibility ?? before.visibility ?? "private",
        shared_with_labs: v.shared_with_labs ?? before.shared_with_labs ?? [],
      });
      const row = await savedViewRepository.update(tx, id, {
        view_name: v.name,
        description: v.description,
        query_definition: { filters: settled.filters },
        visibility: settled.visibility,
        shared_with_labs: settled.shared_with_labs,
        last_modified_by: viewerOf(access),
        updated_at: new Date(),
      });
      await audit(tx, access, "saved_view_updated", row, before);
      return this.out(access, row);
    });
  }

  async delete(access: OrgAccess, id: string): Promise<void> {
    await this.database.withTenant(access.org_id, async (tx) => {
      const before = await this.changeable(tx, access, id);
      await savedViewRepository.delete(tx, id);
      await audit(tx, access, "saved_view_deleted", null, before);
    });
  }

  /** Checks filters and sharing: the filters are the list's own, and one shares only where one reads. */
  private settle(
    access: OrgAccess,
    entity: ViewEntity,
    s: { filters: Record<string, string>; visibility: SharedView["visibility"]; shared_with_labs: string[] },
  ) {
    const source = VIEW_SOURCES[entity];
    access.requireSomewhere(source.permission);
    const parsed = source.query.safeParse(s.filters);
    if (!parsed.success) {
      throw validationError(
        parsed.error.issues.map((i) => ({
          ...i,
          path: ["filters", ...i.path],
          keys: "keys" in i ? i.keys.map((k) => `filters.${k}`) : undefined,
        })),
        "saved view",
      );
    }
    const f = s.filters;
    if (f.cabinet_id && !access.tree.cabinets.has(f.cabinet_id)) {
      throw new AppError("validation_failed", "no such cabinet in this organization", {
        "filters.cabinet_id": "no such cabinet in this organization",
      });
    }
    if (f.lab_id && !access.tree.labs.has(f.lab_id)) {
      throw new AppError("validation_failed", "no such laboratory in this organization", {
        "filters.lab_id": "no such laboratory in this organization",
      });
    }
    const labs = [...new Set(s.shared_with_labs)];
    if (s.visibility !== "shared" && labs.length) {
      throw new AppError("validation_failed", "only a shared view names labs", {
        shared_with_labs: "only for visibility shared",
      });
    }
    if (s.visibility === "shared") {
      if (!labs.length) {
        throw new AppError("validation_failed", "a shared view names the labs it is shared with", {
          shared_with_labs: "at least one lab",
        });
      }
      const unknown = labs.find((l) => !access.tree.labs.has(l));
      if (unknown) {
        throw new AppError("validation_failed", `no laboratory ${unknown} in this organization`, {
          shared_with_labs: "no such laboratory in this organization",
        });
      }
      if (!labs.every((l) => access.can(source.permission, access.labResource(l)))) {
        throw new AppError(
          "forbidden",
          `you may share a view only with labs where you hold ${source.permission}`,
        );
      }
    }
    if (s.visibility === "public" && !access.can(source.permission, access.orgResource())) {
      throw new AppError(
        "forbidden",
        `only someone holding ${source.permission} organization-wide may share a view with the whole organization`,
      );
    }
    return { filters: f, visibility: s.visibility, shared_with_labs: labs };
  }

  private decide(access: OrgAccess, row: SavedView, action: "read" | "change"): boolean {
    const visibility = row.visibility ?? "private";
    const scopes: Resource[] =
      visibility === "public"
        ? [
            access.orgResource(),
            ...[...access.tree.departments.keys()].map((d) => access.deptResource(d)),
            ...[...access.tree.labs.keys()].map((l) => access.labResource(l)),
            ...[...access.tree.cabinets.keys()].map((c) => access.cabinetResource(c)),
          ]
        : (row.shared_with_labs ?? [])
            .filter((l) => access.tree.labs.has(l))
            .map((l) => access.labResource(l));
    const source = VIEW_SOURCES[row.entity as ViewEntity];
    if (!source) return false;
    return authorizeView(
      access.subject,
      viewerOf(access),
      {
        org_id: access.org_id,
        owner_user_id: row.owner_user_id ?? row.created_by,
        visibility,
        permission: source.permission,
        scopes,
      },
      action,
    ).allow;
  }

  private async readable(tx: Tx, access: OrgAccess, id: string): Promise<SavedView> {
    const row = await savedViewRepository.find(tx, id);
    if (!row || !this.decide(access, row, "read")) throw notFound();
    return row;
  }

  /** Another's view one can see answers forbidden; one one cannot see, not found. */
  private async changeable(tx: Tx, access: OrgAccess, id: string): Promise<SavedView> {
    const row = await this.readable(tx, access, id);
    if (!this.decide(access, row, "change"))
      throw new AppError("forbidden", "only its owner changes a saved view");
    return row;
  }

  private out(access: OrgAccess, v: SavedView): ViewOut {
    const entity = v.entity as ViewEntity;
    const filters = filtersOf(v);
    const qs = new URLSearchParams(filters).toString();
    return {
      view_id: v.view_id,
      name: v.view_name,
      description: v.description,
      entity,
      filters,
      path: `/api/v1/orgs/${access.org_id}/${VIEW_SOURCES[entity].path}${qs ? `?${qs}` : ""}`,
      visibility: v.visibility ?? "private",
      shared_with_labs: v.shared_with_labs ?? [],
      owner_user_id: v.owner_user_id ?? v.created_by,
      mine: v.owner_user_id === viewerOf(access),
      created_at: v.created_at?.toISOString() ?? null,
      updated_at: v.updated_at?.toISOString() ?? null,
    };
  }
}

const viewerOf = (access: OrgAccess): string | null =>
  access.caller.kind === "user" ? access.caller.user_id : null;

function personOf(access: OrgAccess): string {
  const id = viewerOf(access);
  if (!id) throw new AppError("forbidden", "saved views belong to people: sign in to save one");
  return id;
}

function audit(tx: Tx, access: OrgAccess, action: string, after: SavedView | null, before: SavedView | null) {
  const name = (after ?? before)!.view_name;
  const pick = (v: SavedView | null) =>
    v && {
      name: v.view_name,
      entity: v.entity,
      filters: filtersOf(v),
      visibility: v.visibility,
      shared_with_labs: v.shared_with_labs,
    };
  return recordAuditEvent(tx, {
    action,
    type: "manual",
    category: "user_action",
    summary: `saved view ${name} ${action.replace("saved_view_", "")}`,
    actor: { user_id: viewerOf(access), name: access.caller.kind === "user" ? access.caller.email : null },
    old_values: pick(before),
    new_values: pick(after),
  });
}
