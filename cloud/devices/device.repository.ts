// Platform reads and writes of cabinet controllers (iot_devices) and their credentials; only a
// credential's hash and prefix are stored. The services own the rules.
import { and, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { deviceCredentials, iotDevices } from "../../shared/schema/platform.js";
import { sha256 } from "../../shared/tokens.js";
import type { Tx } from "../db/database.js";
import { type CursorValue, newestFirst } from "../db/pagination.js";

export type Device = typeof iotDevices.$inferSelect;
export type NewDevice = typeof iotDevices.$inferInsert;

/** A device as its bearer credential finds it, with that credential's status. */
export interface CredentialHolder {
  device_id: string;
  org_id: string;
  thing_name: string;
  cabinet_id: string | null;
  status: Device["status"];
  credential_status: "active" | "revoked";
}

/** A credential revoked lately, with its device and whether the device holds another active one. */
export interface RevokedCredential {
  credential_id: string;
  device: Device;
  has_active: boolean;
}

/** Devices listed newest claimed first. */
export const deviceOrder = newestFirst(iotDevices.created_at, iotDevices.device_id);

/** Which devices of an organization a list may show: all, or those assigned to these cabinets. */
export type CabinetFilter = "all" | string[];

/** The condition that keeps rows whose cabinet `column` is allowed by `only`. */
export const onCabinets = (column: PgColumn, only: CabinetFilter): SQL | undefined =>
  only === "all" ? undefined : only.length ? inArray(column, only) : sql`false`;

export const deviceRepository = {
  /** An organization's devices, newest first after the cursor, on the allowed cabinets. */
  async list(
    tx: Tx,
    orgId: string,
    only: CabinetFilter,
    limit: number,
    cursor?: CursorValue[],
  ): Promise<Device[]> {
    return tx
      .select()
      .from(iotDevices)
      .where(
        and(
          eq(iotDevices.org_id, orgId),
          onCabinets(iotDevices.assigned_cabinet_id, only),
          deviceOrder.after(cursor),
        ),
      )
      .orderBy(...deviceOrder.orderBy)
      .limit(limit);
  },

  async findInOrganization(tx: Tx, orgId: string, deviceId: string): Promise<Device | undefined> {
    const [row] = await tx
      .select()
      .from(iotDevices)
      .where(and(eq(iotDevices.org_id, orgId), eq(iotDevices.device_id, deviceId)));
    return row;
  },

  async findById(tx: Tx, deviceId: string): Promise<Device | undefined> {
    const [row] = await tx.select().from(iotDevices).where(eq(iotDevices.device_id, deviceId));
    return row;
  },

  async findBySerial(tx: Tx, serialNumber: string): Promise<Device | undefined> {
    const [row] = await tx.select().from(iotDevices).where(eq(iotDevices.device_serial_number, serialNumber));
    return row;
  },

  /** Locked until the transaction ends: two claims of one serial number queue up. */
  async lockBySerial(tx: Tx, serialNumber: string): Promise<Device | undefined> {
    const [row] = await tx
      .select()
      .from(iotDevices)
      .where(eq(iotDevices.device_serial_number, serialNumber))
      .for("update");
    return row;
  },

  async lockById(tx: Tx, deviceId: string): Promise<Device | undefined> {
    const [row] = await tx.select().from(iotDevices).where(eq(iotDevices.device_id, deviceId)).for("update");
    return row;
  },

  async insert(tx: Tx, device: NewDevice): Promise<void> {
    await tx.insert(iotDevices).values(device);
  },

  async update(tx: Tx, deviceId: string, changes: Partial<NewDevice>): Promise<Device | undefined> {
    const [row] = await tx
      .update(iotDevices)
      .set(changes)
      .where(eq(iotDevices.device_id, deviceId))
      .returning();
    return row;
  },

  async findByCredential(tx: Tx, token: string): Promise<CredentialHolder | undefined> {
    const [row] = await tx
      .select({
        device_id: iotDevices.device_id,
        org_id: iotDevices.org_id,
        thing_name: iotDevices.iot_thing_name,
        cabinet_id: iotDevices.assigned_cabinet_id,
        status: iotDevices.status,
        credential_status: deviceCredentials.status,
      })
      .from(deviceCredentials)
      .innerJoin(iotDevices, eq(iotDevices.device_id, deviceCredentials.device_id))
      .where(eq(deviceCredentials.token_hash, sha256(token)));
    return row;
  },

  async hasActiveCredential(tx: Tx, deviceId: string, token: string): Promise<boolean> {
    const [row] = await tx
      .select({ id: deviceCredentials.credential_id })
      .from(deviceCredentials)
      .where(
        and(
          eq(deviceCredentials.device_id, deviceId),
          eq(deviceCredentials.token_hash, sha256(token)),
          eq(deviceCredentials.status, "active"),
        ),
      );
    return row !== undefined;
  },

  async addCredential(tx: Tx, device: { device_id: string; org_id: string }, token: string): Promise<void> {
    await tx.insert(deviceCredentials).values({
      device_id: device.device_id,
      org_id: device.org_id,
      token_hash: sha256(token),
      token_prefix: token.slice(0, 12),
    });
  },

  /** Revokes the device's active credentials; returns their ids. revoked_at is the database's clock. */
  async revokeCredentials(tx: Tx, deviceId: string): Promise<string[]> {
    const rows = await tx
      .update(deviceCredentials)
      .set({ status: "revoked", revoked_at: sql`now()` })
      .where(and(eq(deviceCredentials.device_id, deviceId), eq(deviceCredentials.status, "active")))
      .returning({ id: deviceCredentials.credential_id });
    return rows.map((r) => r.id);
  },

  /** Credentials revoked in the last `seconds`, by the database's clock. */
  async revokedWithin(tx: Tx, seconds: number): Promise<RevokedCredential[]> {
    return tx
      .select({
        credential_id: deviceCredentials.credential_id,
        device: iotDevices,
        has_active: sql<boolean>`exists (select 1 from ${deviceCredentials} a where a.device_id = ${iotDevices.device_id} and a.status = 'active')`,
      })
      .from(deviceCredentials)
      .innerJoin(iotDevices, eq(iotDevices.device_id, deviceCredentials.device_id))
      .where(
        and(
          eq(deviceCredentials.status, "revoked"),
          gt(deviceCredentials.revoked_at, sql`now() - make_interval(secs => ${seconds})`),
        ),
      );
  },
};
