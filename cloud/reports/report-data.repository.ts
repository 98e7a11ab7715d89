// Tenant reads behind the report kinds: each takes the cabinets whose rows the reader may see (and
// whether organization-level rows count) and the period, and answers plain rows for report-kinds.ts.
import { type SQL, sql } from "drizzle-orm";
import { queryRows, type Tx } from "../db/database.js";

export interface DataScope {
  cabinet_ids: string[];
  /** Rows with no cabinet (organization-level events, alerts) too. */
  org_wide: boolean;
  from: Date;
  to: Date;
}

const inCabinets = (column: SQL, ids: string[]): SQL =>
  ids.length
    ? sql`${column} IN (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql`FALSE`;
const within = (column: SQL, s: DataScope): SQL =>
  sql`${column} >= ${s.from.toISOString()}::timestamptz AND ${column} < ${s.to.toISOString()}::timestamptz`;
const LOCATION = sql`JOIN cabinets cab ON cab.cabinet_id = c.cabinet_id
  JOIN laboratories lab ON lab.lab_id = cab.lab_id
  JOIN departments dept ON dept.dept_id = lab.dept_id`;
/** Containers still held: not disposed of. */
const HELD = sql`COALESCE(c.status, 'in_cabinet') NOT IN ('disposed', 'empty')`;

export interface LocationHazardRow {
  department: string;
  lab: string;
  cabinet: string;
  hazard_class: string;
  containers: number;
  expired: number;
}

export interface ContainerRow {
  chemical_name: string;
  cas_number: string | null;
  qr_code: string;
  cabinet: string;
  lab: string;
  shelf_level: number;
  quantity: string;
  unit: string;
  expiry_date: string | null;
  status: string | null;
}

export interface TransactionRow {
  at: Date | null;
  transaction_type: string;
  chemical_name: string;
  cas_number: string | null;
  dea_schedule: string | null;
  qr_code: string;
  user_name: string | null;
  cabinet: string | null;
  checkout_timestamp: Date | null;
  expected_return_timestamp: Date | null;
  actual_return_timestamp: Date | null;
  quantity_checkout: string | null;
  quantity_returned: string | null;
  quantity_unit: string | null;
  status: string | null;
  overdue: boolean;
}

export interface AlertRow {
  detected_at: Date;
  alert_type: string;
  severity: string;
  title: string;
  cabinet: string | null;
  status: string | null;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  escalation_level: number | null;
}

export interface EventRow {
  event_timestamp: Date;
  event_type: string;
  event_category: string | null;
  severity: string | null;
  user_name: string | null;
  cabinet: string | null;
  changes_summary: string | null;
  chain_id: string | null;
  chain_seq: number | null;
  row_hash: string | null;
}

const dates = <T>(rows: T[], keys: (keyof T)[]): T[] =>
  rows.map((r) => {
    const out = { ...r };
    for (const k of keys)
      if (out[k] !== null && out[k] !== undefined) out[k] = new Date(out[k] as never) as never;
    return out;
  });

export const reportDataRepository = {
  async inventoryByLocationAndHazard(tx: Tx, s: DataScope): Promise<LocationHazardRow[]> {
    return queryRows<LocationHazardRow>(
      tx,
      sql`SELECT dept.dept_name AS department, lab.lab_name AS lab, cab.cabinet_name AS cabinet,
          h.hazard_class, count(*)::int AS containers,
          count(*) FILTER (WHERE c.expiry_date < current_date)::int AS expired
        FROM chemical_inventory c ${LOCATION}
        CROSS JOIN LATERAL unnest(CASE WHEN cardinality(c.hazard_class) > 0 THEN c.hazard_class
          ELSE ARRAY['unclassified']::varchar[] END) AS h(hazard_class)
        WHERE ${HELD} AND ${inCabinets(sql`c.cabinet_id`, s.cabinet_ids)}
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    );
  },

  /** Held containers whose expiry date is before `until` (already expired ones included), soonest first. */
  async expiringBefore(tx: Tx, s: DataScope, until: string): Promise<ContainerRow[]> {
    return queryRows<ContainerRow>(
      tx,
      sql`SELECT c.chemical_name, c.cas_number, c.qr_code, cab.cabinet_name AS cabinet, lab.lab_name AS lab,
          c.shelf_level, c.quantity::text AS quantity, c.unit, c.expiry_date::text AS expiry_date, c.status
        FROM chemical_inventory c ${LOCATION}
        WHERE ${HELD} AND c.expiry_date IS NOT NULL AND c.expiry_date <= ${until}::date
          AND ${inCabinets(sql`c.cabinet_id`, s.cabinet_ids)}
        ORDER BY c.expiry_date, c.chemical_name, c.qr_code`,
    );
  },

  /**
   * Transactions made in the period, and every one overdue now whenever it began; `controlled` keeps
   * those of DEA-scheduled containers only (and the period alone: the log of what happened).
   */
  async transactions(tx: Tx, s: DataScope, opts: { controlled: boolean }): Promise<TransactionRow[]> {
    const at = sql`COALESCE(t.checkout_timestamp, t.created_at)`;
    const overdue = sql`(t.status = 'overdue' OR (t.status = 'active' AND t.expected_return_timestamp < now()))`;
    const rows = await queryRows<TransactionRow>(
      tx,
      sql`SELECT ${at} AS at, t.transaction_type, c.chemical_name, c.cas_number, c.dea_schedule, t.qr_code,
          t.user_name, cab.cabinet_name AS cabinet, t.checkout_timestamp, t.expected_return_timestamp,
          t.actual_return_timestamp, t.quantity_checkout::text AS quantity_checkout,
          t.quantity_returned::text AS quantity_returned, COALESCE(t.quantity_unit, c.unit) AS quantity_unit,
          t.status, ${overdue} AS overdue
        FROM container_transactions t
        JOIN chemical_inventory c ON c.container_id = t.container_id
        LEFT JOIN cabinets cab ON cab.cabinet_id = COALESCE(t.source_cabinet_id, t.return_cabinet_id)
        WHERE (${inCabinets(sql`t.source_cabinet_id`, s.cabinet_ids)} OR ${inCabinets(sql`t.return_cabinet_id`, s.cabinet_ids)})
          AND ${opts.controlled ? sql`c.dea_schedule IS NOT NULL AND ${within(at, s)}` : sql`(${within(at, s)} OR ${overdue})`}
        ORDER BY ${opts.controlled ? sql`` : sql`${overdue} DESC,`} ${at}, t.transaction_id`,
    );
    return dates(rows, ["at", "checkout_timestamp", "expected_return_timestamp", "actual_return_timestamp"]);
  },

  async alerts(tx: Tx, s: DataScope): Promise<AlertRow[]> {
    const rows = await queryRows<AlertRow>(
      tx,
      sql`SELECT a.detected_at, a.alert_type, a.severity, a.title, cab.cabinet_name AS cabinet, a.status,
          a.acknowledged_at, a.resolved_at, a.escalation_level
        FROM safety_alerts a LEFT JOIN cabinets cab ON cab.cabinet_id = a.cabinet_id
        WHERE ${within(sql`a.detected_at`, s)}
          AND (${inCabinets(sql`a.cabinet_id`, s.cabinet_ids)} ${s.org_wide ? sql`OR a.cabinet_id IS NULL` : sql``})
        ORDER BY a.detected_at, a.alert_id`,
    );
    return dates(rows, ["detected_at", "acknowledged_at", "resolved_at"]);
  },

  async events(tx: Tx, s: DataScope): Promise<EventRow[]> {
    const rows = await queryRows<EventRow>(
      tx,
      sql`SELECT e.event_timestamp, e.event_type, e.event_category, e.severity, e.user_name,
          cab.cabinet_name AS cabinet, e.changes_summary, e.chain_id, e.chain_seq::int AS chain_seq, e.row_hash
        FROM unified_event_log e LEFT JOIN cabinets cab ON cab.cabinet_id = e.cabinet_id
        WHERE ${within(sql`e.event_timestamp`, s)}
          AND (${inCabinets(sql`e.cabinet_id`, s.cabinet_ids)} ${s.org_wide ? sql`OR e.cabinet_id IS NULL` : sql``})
        ORDER BY e.event_timestamp, e.chain_id, e.chain_seq, e.event_id`,
    );
    return dates(rows, ["event_timestamp"]);
  },
};
