// Tenant reads and writes of containers for the API: search with filters and facets over the tsv
// column, one container with where it is, and the cloud's changes to it. Every method runs in the
// caller's tenant transaction.
import { and, eq, getTableColumns, ilike, inArray, or, type SQL, sql } from "drizzle-orm";
import {
  cabinets,
  chemicalInventory,
  containerTransactions,
  departments,
  laboratories,
} from "../../shared/schema/tenant.js";
import { queryRows, type Tx } from "../db/database.js";
import { byName, type CursorValue } from "../db/pagination.js";

export type ContainerRow = typeof chemicalInventory.$inferSelect;
export type NewContainer = typeof chemicalInventory.$inferInsert;
export type ContainerView = Omit<ContainerRow, "tsv"> & {
  location: { cabinet_name: string; lab_id: string; lab_name: string; dept_id: string; dept_name: string };
};

export interface ContainerFilter {
  q?: string;
  cabinet_ids: string[];
  status?: string;
  hazard_class?: string;
  ghs?: string;
  signal_word?: string;
  cas_number?: string;
  expires_before?: string;
  expired?: boolean;
  below_minimum?: boolean;
}

export interface Facets {
  status: Record<string, number>;
  hazard_class: Record<string, number>;
  ghs_pictograms: Record<string, number>;
  signal_word: Record<string, number>;
  cabinet: Record<string, number>;
  expiry: Record<"expired" | "within_30_days" | "later" | "none", number>;
}

const order = byName(chemicalInventory.chemical_name, chemicalInventory.container_id);
const { tsv: _, ...containerColumns } = getTableColumns(chemicalInventory);
const located = {
  ...containerColumns,
  cabinet_name: cabinets.cabinet_name,
  lab_id: laboratories.lab_id,
  lab_name: laboratories.lab_name,
  dept_id: departments.dept_id,
  dept_name: departments.dept_name,
};

type LocatedRow = Omit<ContainerRow, "tsv"> & {
  cabinet_name: string;
  lab_id: string;
  lab_name: string;
  dept_id: string;
  dept_name: string;
};

function view(r: LocatedRow): ContainerView {
  const { cabinet_name, lab_id, lab_name, dept_id, dept_name, ...c } = r;
  return { ...c, location: { cabinet_name, lab_id, lab_name, dept_id, dept_name } };
}

function conditions(f: ContainerFilter): SQL | undefined {
  const c = chemicalInventory;
  const today = sql`current_date`;
  return and(
    inArray(c.cabinet_id, f.cabinet_ids),
    f.q
      ? or(
          sql`${c.tsv} @@ websearch_to_tsquery('english', ${f.q})`,
          ilike(c.chemical_name, `%${f.q.replace(/[\\%_]/g, "\\$&")}%`),
          eq(c.cas_number, f.q),
          eq(c.qr_code, f.q),
        )
      : undefined,
    f.status ? eq(c.status, f.status) : undefined,
    f.hazard_class ? sql`${f.hazard_class} = ANY(${c.hazard_class})` : undefined,
    f.ghs ? sql`${f.ghs} = ANY(${c.ghs_pictograms})` : undefined,
    f.signal_word ? eq(c.signal_word, f.signal_word) : undefined,
    f.cas_number ? eq(c.cas_number, f.cas_number) : undefined,
    f.expires_before ? sql`${c.expiry_date} < ${f.expires_before}::date` : undefined,
    f.expired === true ? sql`${c.expiry_date} < ${today}` : undefined,
    f.expired === false ? sql`(${c.expiry_date} IS NULL OR ${c.expiry_date} >= ${today})` : undefined,
    f.below_minimum ? sql`${c.quantity} < ${c.minimum_quantity}` : undefined,
  );
}

export const containerRepository = {
  async search(tx: Tx, f: ContainerFilter, limit: number, cursor?: CursorValue[]): Promise<ContainerView[]> {
    if (f.cabinet_ids.length === 0) return [];
    const rows = await tx
      .select(located)
      .from(chemicalInventory)
      .innerJoin(cabinets, eq(cabinets.cabinet_id, chemicalInventory.cabinet_id))
      .innerJoin(laboratories, eq(laboratories.lab_id, cabinets.lab_id))
      .innerJoin(departments, eq(departments.dept_id, laboratories.dept_id))
      .where(and(conditions(f), order.after(cursor)))
      .orderBy(...order.orderBy)
      .limit(limit);
    return rows.map(view);
  },

  async facets(tx: Tx, f: ContainerFilter): Promise<Facets> {
    const empty: Facets = {
      status: {},
      hazard_class: {},
      ghs_pictograms: {},
      signal_word: {},
      cabinet: {},
      expiry: { expired: 0, within_30_days: 0, later: 0, none: 0 },
    };
    if (f.cabinet_ids.length === 0) return empty;
    const where = conditions(f)!;
    const rows = await queryRows<{ facet: keyof Facets; value: string | null; n: string }>(
      tx,
      sql`WITH m AS (SELECT * FROM ${chemicalInventory} WHERE ${where})
          SELECT 'status' AS facet, status AS value, count(*) AS n FROM m GROUP BY status
          UNION ALL SELECT 'hazard_class', h, count(*) FROM m, unnest(hazard_class) h GROUP BY h
          UNION ALL SELECT 'ghs_pictograms', g, count(*) FROM m, unnest(ghs_pictograms) g GROUP BY g
          UNION ALL SELECT 'signal_word', signal_word, count(*) FROM m GROUP BY signal_word
          UNION ALL SELECT 'cabinet', cabinet_id::text, count(*) FROM m GROUP BY cabinet_id
          UNION ALL SELECT 'expiry', CASE WHEN expiry_date IS NULL THEN 'none'
                                          WHEN expiry_date < current_date THEN 'expired'
                                          WHEN expiry_date < current_date + 30 THEN 'within_30_days'
                                          ELSE 'later' END, count(*) FROM m GROUP BY 2`,
    );
    for (const r of rows) {
      if (r.value === null) continue;
      (empty[r.facet] as Record<string, number>)[r.value] = Number(r.n);
    }
    return empty;
  },

  async find(tx: Tx, containerId: string): Promise<ContainerView | undefined> {
    const [row] = await tx
      .select(located)
      .from(chemicalInventory)
      .innerJoin(cabinets, eq(cabinets.cabinet_id, chemicalInventory.cabinet_id))
      .innerJoin(laboratories, eq(laboratories.lab_id, cabinets.lab_id))
      .innerJoin(departments, eq(departments.dept_id, laboratories.dept_id))
      .where(eq(chemicalInventory.container_id, containerId));
    return row && view(row);
  },

  /** The cabinet a container is filed under, locked for the change that follows. */
  async lock(tx: Tx, containerId: string): Promise<Omit<ContainerRow, "tsv"> | undefined> {
    const [row] = await tx
      .select(containerColumns)
      .from(chemicalInventory)
      .where(eq(chemicalInventory.container_id, containerId))
      .for("update");
    return row;
  },

  async insert(tx: Tx, c: NewContainer): Promise<string> {
    const [row] = await tx
      .insert(chemicalInventory)
      .values(c)
      .returning({ id: chemicalInventory.container_id });
    return row!.id;
  },

  async update(tx: Tx, containerId: string, set: Partial<NewContainer>): Promise<void> {
    await tx
      .update(chemicalInventory)
      .set({ ...set, updated_at: new Date() })
      .where(eq(chemicalInventory.container_id, containerId));
  },

  /** Files a transaction (a controlled substance's disposal: the record its disposer signs); returns its id. */
  async insertTransaction(tx: Tx, values: typeof containerTransactions.$inferInsert): Promise<string> {
    const [row] = await tx
      .insert(containerTransactions)
      .values(values)
      .returning({ id: containerTransactions.transaction_id });
    return row!.id;
  },

  /** The highest number among the organization's LILO:C:nnnnnn codes, for the next registration. */
  async highestCodeNumber(tx: Tx): Promise<number> {
    const [row] = await queryRows<{ n: number | null }>(
      tx,
      sql`SELECT max(substring(qr_code FROM '^LILO:C:([0-9]{1,9})$')::int) AS n FROM ${chemicalInventory}`,
    );
    return row?.n ?? 0;
  },
};
