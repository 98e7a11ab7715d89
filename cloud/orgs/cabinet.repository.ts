// Tenant reads and writes of cabinets and the departments and labs they sit in; every method runs in
// the caller's tenant transaction. The services own the rules.
import { and, eq, inArray } from "drizzle-orm";
import { cabinets, departments, laboratories } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";

export type Department = typeof departments.$inferSelect;
export type Laboratory = typeof laboratories.$inferSelect;
export type Cabinet = typeof cabinets.$inferSelect;
export type NewCabinet = typeof cabinets.$inferInsert;

/** A cabinet with where it sits and the device bound to it. */
export interface PlacedCabinet {
  cabinet_id: string;
  lab_id: string;
  dept_id: string;
  device_id: string | null;
}

export const cabinetRepository = {
  async exists(tx: Tx, cabinetId: string): Promise<boolean> {
    const [row] = await tx
      .select({ id: cabinets.cabinet_id })
      .from(cabinets)
      .where(eq(cabinets.cabinet_id, cabinetId));
    return row !== undefined;
  },

  async findPlaced(tx: Tx, cabinetId: string): Promise<PlacedCabinet | undefined> {
    const [row] = await tx
      .select({
        cabinet_id: cabinets.cabinet_id,
        lab_id: cabinets.lab_id,
        dept_id: laboratories.dept_id,
        device_id: cabinets.device_id,
      })
      .from(cabinets)
      .innerJoin(laboratories, eq(laboratories.lab_id, cabinets.lab_id))
      .where(eq(cabinets.cabinet_id, cabinetId));
    return row;
  },

  async bindDevice(tx: Tx, cabinetId: string, deviceId: string): Promise<void> {
    await tx
      .update(cabinets)
      .set({ device_id: deviceId, updated_at: new Date() })
      .where(eq(cabinets.cabinet_id, cabinetId));
  },

  async findDepartment(tx: Tx, name: string): Promise<Department | undefined> {
    const [row] = await tx.select().from(departments).where(eq(departments.dept_name, name)).limit(1);
    return row;
  },

  async insertDepartment(tx: Tx, name: string): Promise<Department> {
    const [row] = await tx.insert(departments).values({ dept_name: name }).returning();
    if (!row) throw new Error("insert into departments returned no row");
    return row;
  },

  async findLab(tx: Tx, deptId: string, name: string): Promise<Laboratory | undefined> {
    const [row] = await tx
      .select()
      .from(laboratories)
      .where(and(eq(laboratories.dept_id, deptId), eq(laboratories.lab_name, name)))
      .limit(1);
    return row;
  },

  async insertLab(tx: Tx, deptId: string, name: string): Promise<Laboratory> {
    const [row] = await tx.insert(laboratories).values({ dept_id: deptId, lab_name: name }).returning();
    if (!row) throw new Error("insert into laboratories returned no row");
    return row;
  },

  /** Names and codes of the given cabinets (for lists that show where something is). */
  async names(
    tx: Tx,
    cabinetIds: string[],
  ): Promise<Map<string, { cabinet_name: string; cabinet_code: string }>> {
    if (cabinetIds.length === 0) return new Map();
    const rows = await tx
      .select({
        id: cabinets.cabinet_id,
        cabinet_name: cabinets.cabinet_name,
        cabinet_code: cabinets.cabinet_code,
      })
      .from(cabinets)
      .where(inArray(cabinets.cabinet_id, cabinetIds));
    return new Map(rows.map(({ id, ...r }) => [id, r]));
  },

  async insert(tx: Tx, cabinet: NewCabinet): Promise<Cabinet> {
    const [row] = await tx.insert(cabinets).values(cabinet).returning();
    if (!row) throw new Error("insert into cabinets returned no row");
    return row;
  },
};
