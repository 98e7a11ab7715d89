// What happened, as the caller may see it: transactions (overdue, then open, then closed, newest first
// in each), scans, the event log with full-text search, and one container's history. Lists hold only
// the cabinets where the caller has the permission; an id of another organization is not found.
import { z } from "zod";
import { TRANSACTION_STATUSES } from "../../shared/enums.js";
import { AppError } from "../../shared/errors.js";
import type { Permission } from "../../shared/permissions.js";
import type { OrgAccess } from "../authz/access.service.js";
import type { Database } from "../db/database.js";
import { decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import {
  type EventRow,
  eventOrder,
  historyRepository,
  type Scan,
  scanOrder,
  type Transaction,
} from "./history.repository.js";

export const TransactionQuery = z.object({
  cabinet_id: z.uuid().optional(),
  container_id: z.uuid().optional(),
  user_id: z.uuid().optional(),
  status: z.enum(TRANSACTION_STATUSES).optional(),
});
export const ScanQuery = z.object({ cabinet_id: z.uuid().optional() });
export const EventQuery = z.object({
  q: z.string().trim().min(1).max(200).optional(),
  cabinet_id: z.uuid().optional(),
  container_id: z.uuid().optional(),
  event_type: z.string().max(50).optional(),
  event_category: z.string().max(50).optional(),
  since: z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .optional(),
});

const notFound = (what: string, id: string, orgId: string) =>
  new AppError("not_found", `no ${what} ${id} in organization ${orgId}`);

export class HistoryService {
  constructor(private readonly database: Database) {}

  private cabinets(access: OrgAccess, permission: Permission, cabinetId?: string): string[] {
    access.requireSomewhere(permission);
    if (cabinetId) access.cabinetResource(cabinetId);
    return access.cabinetsWhere(permission).filter((id) => !cabinetId || id === cabinetId);
  }

  transactions(
    access: OrgAccess,
    q: z.infer<typeof TransactionQuery>,
    page: PageRequest,
  ): Promise<Page<Transaction>> {
    const cursor = decodeCursor(page.cursor, 3);
    const f = { ...q, cabinet_ids: this.cabinets(access, "inventory:read", q.cabinet_id) };
    return this.database.withTenant(access.org_id, async (tx) => {
      const rows = await historyRepository.transactions(tx, f, page.limit + 1, cursor);
      const p = pageOf(rows, page.limit, (r) => [
        r.rank,
        r.created_at?.toISOString() ?? null,
        r.transaction_id,
      ]);
      return { ...p, items: p.items.map(({ rank: _, ...r }) => r) };
    });
  }

  async transaction(access: OrgAccess, id: string): Promise<Transaction> {
    const row = await this.database.withTenant(access.org_id, (tx) => historyRepository.transaction(tx, id));
    const cabinet = row?.source_cabinet_id ?? row?.return_cabinet_id;
    if (!row || !cabinet) throw notFound("transaction", id, access.org_id);
    access.require("inventory:read", access.cabinetResource(cabinet));
    return row;
  }

  scans(access: OrgAccess, q: z.infer<typeof ScanQuery>, page: PageRequest): Promise<Page<Scan>> {
    const cursor = decodeCursor(page.cursor, 2);
    const ids = this.cabinets(access, "inventory:read", q.cabinet_id);
    return this.database.withTenant(access.org_id, async (tx) =>
      pageOf(await historyRepository.scans(tx, ids, page.limit + 1, cursor), page.limit, (s) =>
        scanOrder.key({ at: s.scan_timestamp, id: s.scan_id }),
      ),
    );
  }

  async scan(access: OrgAccess, id: string): Promise<Scan> {
    const row = await this.database.withTenant(access.org_id, (tx) => historyRepository.scan(tx, id));
    if (!row) throw notFound("scan", id, access.org_id);
    access.require("inventory:read", access.cabinetResource(row.cabinet_id));
    return row;
  }

  events(access: OrgAccess, q: z.infer<typeof EventQuery>, page: PageRequest): Promise<Page<EventRow>> {
    const cursor = decodeCursor(page.cursor, 2);
    const f = {
      ...q,
      cabinet_ids: this.cabinets(access, "event:read", q.cabinet_id),
      org_level: !q.cabinet_id && access.can("event:read", access.orgResource()),
    };
    return this.database.withTenant(access.org_id, async (tx) =>
      pageOf(await historyRepository.events(tx, f, page.limit + 1, cursor), page.limit, (e) =>
        eventOrder.key({ at: e.event_timestamp, id: e.event_id }),
      ),
    );
  }

  async event(access: OrgAccess, id: string): Promise<EventRow> {
    const row = await this.database.withTenant(access.org_id, (tx) => historyRepository.event(tx, id));
    if (!row) throw notFound("event", id, access.org_id);
    access.require(
      "event:read",
      row.cabinet_id ? access.cabinetResource(row.cabinet_id) : access.orgResource(),
    );
    return row;
  }
}
