// The report kinds, by the name clients and schedules use. Each turns the rows its reader may see into a
// ReportTable (report-table.ts); the renderers (CSV, PDF) know nothing of kinds. A new kind is one
// function and one line in REPORT_KINDS.
import type { Permission } from "../../shared/permissions.js";
import type { Tx } from "../db/database.js";
import { type DataScope, reportDataRepository as data } from "./report-data.repository.js";
import { localDate, localTimestamp } from "./report-schedule.js";
import type { ReportTable } from "./report-table.js";

export interface ReportContext extends DataScope {
  org_id: string;
  /** The organization's IANA time zone: timestamps and "today" are its. */
  time_zone: string;
  now: Date;
}

export interface ReportKind {
  title: string;
  /** What the reader needs; rows come only from the cabinets where they hold it (ReportContext). */
  permission: Permission;
  build(tx: Tx, ctx: ReportContext): Promise<ReportTable>;
}

/** How far ahead "expiring soon" looks. */
export const EXPIRING_WITHIN_DAYS = 30;
const DAY_MS = 86_400_000;

const when = (ctx: ReportContext, at: Date | null) => (at ? localTimestamp(at, ctx.time_zone) : null);
const minutesBetween = (from: Date, to: Date | null) =>
  to ? Math.round((to.getTime() - from.getTime()) / 60_000) : null;
const cols = (...pairs: [string, string][]) => pairs.map(([key, label]) => ({ key, label }));

const inventoryByLocation: ReportKind = {
  title: "Inventory by location and hazard class",
  permission: "inventory:read",
  async build(tx, ctx) {
    const rows = await data.inventoryByLocationAndHazard(tx, ctx);
    return {
      title: this.title,
      columns: cols(
        ["department", "Department"],
        ["lab", "Laboratory"],
        ["cabinet", "Cabinet"],
        ["hazard_class", "Hazard class"],
        ["containers", "Containers"],
        ["expired", "Expired"],
      ),
      rows: rows.map((r) => ({ ...r })),
    };
  },
};

const expiringSoon: ReportKind = {
  title: `Expiring within ${EXPIRING_WITHIN_DAYS} days`,
  permission: "inventory:read",
  async build(tx, ctx) {
    const today = localDate(ctx.now, ctx.time_zone);
    const until = localDate(new Date(ctx.now.getTime() + EXPIRING_WITHIN_DAYS * DAY_MS), ctx.time_zone);
    const rows = await data.expiringBefore(tx, ctx, until);
    return {
      title: this.title,
      columns: cols(
        ["expiry_date", "Expires"],
        ["days_left", "Days left"],
        ["chemical_name", "Chemical"],
        ["cas_number", "CAS"],
        ["qr_code", "Code"],
        ["quantity", "Quantity"],
        ["lab", "Laboratory"],
        ["cabinet", "Cabinet"],
        ["shelf_level", "Shelf"],
        ["status", "Status"],
      ),
      rows: rows.map((r) => ({
        expiry_date: r.expiry_date,
        days_left: Math.round((Date.parse(r.expiry_date!) - Date.parse(today)) / DAY_MS),
        chemical_name: r.chemical_name,
        cas_number: r.cas_number,
        qr_code: r.qr_code,
        quantity: `${Number(r.quantity)} ${r.unit}`,
        lab: r.lab,
        cabinet: r.cabinet,
        shelf_level: r.shelf_level,
        status: r.status,
      })),
    };
  },
};

const transactions: ReportKind = {
  title: "Transactions and overdue returns",
  permission: "inventory:read",
  async build(tx, ctx) {
    const rows = await data.transactions(tx, ctx, { controlled: false });
    return {
      title: this.title,
      columns: cols(
        ["at", "When"],
        ["transaction_type", "Type"],
        ["chemical_name", "Chemical"],
        ["qr_code", "Code"],
        ["user_name", "By"],
        ["cabinet", "Cabinet"],
        ["expected_return", "Due back"],
        ["returned", "Returned"],
        ["status", "Status"],
        ["overdue", "Overdue"],
      ),
      rows: rows.map((r) => ({
        at: when(ctx, r.at),
        transaction_type: r.transaction_type,
        chemical_name: r.chemical_name,
        qr_code: r.qr_code,
        user_name: r.user_name,
        cabinet: r.cabinet,
        expected_return: when(ctx, r.expected_return_timestamp),
        returned: when(ctx, r.actual_return_timestamp),
        status: r.status,
        overdue: r.overdue ? "yes" : "no",
      })),
    };
  },
};

const alertResponseTimes: ReportKind = {
  title: "Alert response times",
  permission: "alert:read",
  async build(tx, ctx) {
    const rows = await data.alerts(tx, ctx);
    return {
      title: this.title,
      columns: cols(
        ["detected_at", "Detected"],
        ["severity", "Severity"],
        ["alert_type", "Type"],
        ["title", "Alert"],
        ["cabinet", "Cabinet"],
        ["minutes_to_acknowledge", "Minutes to acknowledge"],
        ["minutes_to_resolve", "Minutes to resolve"],
        ["escalation_level", "Escalations"],
        ["status", "Status"],
      ),
      rows: rows.map((r) => ({
        detected_at: when(ctx, r.detected_at),
        severity: r.severity,
        alert_type: r.alert_type,
        title: r.title,
        cabinet: r.cabinet,
        minutes_to_acknowledge: minutesBetween(r.detected_at, r.acknowledged_at),
        minutes_to_resolve: minutesBetween(r.detected_at, r.resolved_at),
        escalation_level: r.escalation_level ?? 0,
        status: r.status,
      })),
    };
  },
};

const auditLog: ReportKind = {
  title: "Audit log extract",
  permission: "event:read",
  async build(tx, ctx) {
    const rows = await data.events(tx, ctx);
    return {
      title: this.title,
      columns: cols(
        ["at", "When"],
        ["event_type", "Type"],
        ["event_category", "Category"],
        ["severity", "Severity"],
        ["user_name", "Who"],
        ["cabinet", "Cabinet"],
        ["summary", "What"],
        ["chain", "Chain"],
        ["row_hash", "Row hash"],
      ),
      rows: rows.map((r) => ({
        at: when(ctx, r.event_timestamp),
        event_type: r.event_type,
        event_category: r.event_category,
        severity: r.severity,
        user_name: r.user_name,
        cabinet: r.cabinet,
        summary: r.changes_summary,
        chain: r.chain_id ? `${r.chain_id}#${r.chain_seq}` : null,
        row_hash: r.row_hash,
      })),
    };
  },
};

const controlledSubstanceLog: ReportKind = {
  title: "Controlled substance log",
  permission: "inventory:read",
  async build(tx, ctx) {
    const rows = await data.transactions(tx, ctx, { controlled: true });
    return {
      title: this.title,
      columns: cols(
        ["at", "When"],
        ["dea_schedule", "DEA schedule"],
        ["chemical_name", "Substance"],
        ["cas_number", "CAS"],
        ["qr_code", "Code"],
        ["transaction_type", "Type"],
        ["quantity_out", "Quantity out"],
        ["quantity_returned", "Quantity returned"],
        ["user_name", "By"],
        ["cabinet", "Cabinet"],
        ["status", "Status"],
      ),
      rows: rows.map((r) => ({
        at: when(ctx, r.at),
        dea_schedule: r.dea_schedule,
        chemical_name: r.chemical_name,
        cas_number: r.cas_number,
        qr_code: r.qr_code,
        transaction_type: r.transaction_type,
        quantity_out:
          r.quantity_checkout === null
            ? null
            : `${Number(r.quantity_checkout)} ${r.quantity_unit ?? ""}`.trim(),
        quantity_returned:
          r.quantity_returned === null
            ? null
            : `${Number(r.quantity_returned)} ${r.quantity_unit ?? ""}`.trim(),
        user_name: r.user_name,
        cabinet: r.cabinet,
        status: r.status,
      })),
    };
  },
};

export const REPORT_KINDS = {
  inventory_by_location: inventoryByLocation,
  expiring_soon: expiringSoon,
  transactions: transactions,
  alert_response_times: alertResponseTimes,
  audit_log: auditLog,
  controlled_substance_log: controlledSubstanceLog,
} satisfies Record<string, ReportKind>;

export type ReportKindName = keyof typeof REPORT_KINDS;
export const REPORT_KIND_NAMES = Object.keys(REPORT_KINDS) as [ReportKindName, ...ReportKindName[]];
