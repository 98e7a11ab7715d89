// Tenant reads and writes of the organization tree for the API: departments, laboratories and cabinets
// with their live status (the bound device's presence, last seen, and the last door and lock events).
// Every method runs in the caller's tenant transaction.
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { iotDevices } from "../../shared/schema/platform.js";
import { cabinets, departments, laboratories } from "../../shared/schema/tenant.js";
import { queryRows, type Tx } from "../db/database.js";
import { byName, type CursorValue } from "../db/pagination.js";

export type Department = typeof departments.$inferSelect;
export type NewDepartment = typeof departments.$inferInsert;
export type Laboratory = typeof laboratories.$inferSelect;
export type NewLaboratory = typeof laboratories.$inferInsert;
export type Cabinet = typeof cabinets.$inferSelect;

export interface CabinetStatus {
  online: boolean;
  device_id: string | null;
  device_status: string | null;
  last_seen_at: Date | null;
  door: "open" | "closed" | "forced" | null;
  lock: "locked" | "unlocked" | null;
  door_changed_at: Date | null;
  lock_changed_at: Date | null;
}

export const deptOrder = byName(departments.dept_name, departments.dept_id);
export const labOrder = byName(laboratories.lab_name, laboratories.lab_id);
export const cabinetOrder = byName(cabinets.cabinet_name, cabinets.cabinet_id);

const DOOR_EVENTS: Record<string, CabinetStatus["door"]> = {
  door_opened: "open",
  door_closed: "closed",
  door_forced: "forced",
};
const LOCK_EVENTS: Record<string, CabinetStatus["lock"]> = {
  unlocked: "unlocked",
  remote_unlock: "unlocked",
  relocked: "locked",
};

export const treeRepository = {
  async listDepartments(tx: Tx, ids: string[], limit: number, cursor?: CursorValue[]): Promise<Department[]> {
    if (ids.length === 0) return [];
    return tx
      .select()
      .from(departments)
      .where(and(inArray(departments.dept_id, ids), deptOrder.after(cursor)))
      .orderBy(...deptOrder.orderBy)
      .limit(limit);
  },

  async findDepartment(tx: Tx, id: string): Promise<Department | undefined> {
    const [row] = await tx.select().from(departments).where(eq(departments.dept_id, id));
    return row;
  },

  async insertDepartment(tx: Tx, d: NewDepartment): Promise<Department> {
    const [row] = await tx.insert(departments).values(d).returning();
    return row!;
  },

  async listLabs(tx: Tx, ids: string[], limit: number, cursor?: CursorValue[]): Promise<Laboratory[]> {
    if (ids.length === 0) return [];
    return tx
      .select()
      .from(laboratories)
      .where(and(inArray(laboratories.lab_id, ids), labOrder.after(cursor)))
      .orderBy(...labOrder.orderBy)
      .limit(limit);
  },

  async findLab(tx: Tx, id: string): Promise<Laboratory | undefined> {
    const [row] = await tx.select().from(laboratories).where(eq(laboratories.lab_id, id));
    return row;
  },

  async insertLab(tx: Tx, l: NewLaboratory): Promise<Laboratory> {
    const [row] = await tx.insert(laboratories).values(l).returning();
    return row!;
  },

  async listCabinets(
    tx: Tx,
    ids: string[],
    limit: number,
    cursor?: CursorValue[],
    where?: SQL,
  ): Promise<Cabinet[]> {
    if (ids.length === 0) return [];
    return tx
      .select()
      .from(cabinets)
      .where(and(inArray(cabinets.cabinet_id, ids), cabinetOrder.after(cursor), where))
      .orderBy(...cabinetOrder.orderBy)
      .limit(limit);
  },

  async findCabinet(tx: Tx, id: string): Promise<Cabinet | undefined> {
    const [row] = await tx.select().from(cabinets).where(eq(cabinets.cabinet_id, id));
    return row;
  },

  /** Live status of these cabinets, from their devices' presence and the last door and lock events. */
  async statuses(tx: Tx, cabinetIds: string[]): Promise<Map<string, CabinetStatus>> {
    const out = new Map<string, CabinetStatus>();
    if (cabinetIds.length === 0) return out;
    for (const id of cabinetIds) {
      out.set(id, {
        online: false,
        device_id: null,
        device_status: null,
        last_seen_at: null,
        door: null,
        lock: null,
        door_changed_at: null,
        lock_changed_at: null,
      });
    }
    // Row-level security keeps the tenant role to its own organization's devices and events.
    const devices = await tx
      .select({
        cabinet_id: iotDevices.assigned_cabinet_id,
        device_id: iotDevices.device_id,
        status: iotDevices.status,
        last_seen_at: iotDevices.last_seen_at,
      })
      .from(iotDevices)
      .where(
        and(
          inArray(iotDevices.assigned_cabinet_id, cabinetIds),
          sql`${iotDevices.status} <> 'decommissioned'`,
        ),
      );
    for (const d of devices) {
      const s = out.get(d.cabinet_id!)!;
      s.device_id = d.device_id;
      s.device_status = d.status;
      s.last_seen_at = d.last_seen_at;
      s.online = d.status === "active";
    }
    const kinds = [...Object.keys(DOOR_EVENTS), ...Object.keys(LOCK_EVENTS)];
    const latest = await queryRows<{ cabinet_id: string; kind: string; event_type: string; at: Date }>(
      tx,
      sql`SELECT DISTINCT ON (cabinet_id, kind) cabinet_id, kind, event_type, event_timestamp AS at
            FROM (SELECT cabinet_id, event_type, event_timestamp,
                         CASE WHEN event_type LIKE 'door%' THEN 'door' ELSE 'lock' END AS kind
                    FROM lilo_platform.event_stream
                   WHERE cabinet_id IN (${sql.join(
                     cabinetIds.map((id) => sql`${id}::uuid`),
                     sql`, `,
                   )})
                     AND event_type IN (${sql.join(
                       kinds.map((k) => sql`${k}`),
                       sql`, `,
                     )})) e
           ORDER BY cabinet_id, kind, event_timestamp DESC`,
    );
    for (const e of latest) {
      const s = out.get(e.cabinet_id)!;
      const at = new Date(e.at);
      if (e.kind === "door") {
        s.door = DOOR_EVENTS[e.event_type] ?? null;
        s.door_changed_at = at;
      } else {
        s.lock = LOCK_EVENTS[e.event_type] ?? null;
        s.lock_changed_at = at;
      }
    }
    return out;
  },
};
