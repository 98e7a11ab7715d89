// The appliance's SQLite model: the tenant tables one cabinet needs (mirrored from the cloud's
// definitions), a cache of the people allowed at this cabinet, and the change log (outbox) that sync
// uploads. Source of appliance/db/migrations (npm run db:generate).
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import * as tenant from "../../shared/schema/tenant.js";
import { SYNCED_ENTITIES } from "../../shared/sync/change.js";
import { mirrorTable } from "./sqlite-mirror.js";

export const cabinets = mirrorTable(tenant.cabinets);
export const chemicalInventory = mirrorTable(tenant.chemicalInventory, {
  indexes: [["cabinet_id", "shelf_level"], ["status"]],
  checks: { chemical_inventory_shelf_level_check: "shelf_level >= 1 AND shelf_level <= 20" },
});
export const containerTransactions = mirrorTable(tenant.containerTransactions, {
  indexes: [["container_id"], ["checkout_timestamp"]],
});
export const scanResults = mirrorTable(tenant.scanResults, {
  indexes: [["cabinet_id", "shelf_id", "scan_timestamp"]],
});
export const safetyAlerts = mirrorTable(tenant.safetyAlerts, { indexes: [["status"]] });
export const unifiedEventLog = mirrorTable(tenant.unifiedEventLog, { indexes: [["event_timestamp"]] });
export const roles = mirrorTable(tenant.roles);
export const userRoleAssignments = mirrorTable(tenant.userRoleAssignments, { indexes: [["user_id"]] });

/**
 * People allowed at this cabinet, as the cloud sends them down. Badge and PIN are stored only as hashes
 * keyed with this cabinet's own key (the PIN's under a slow salted scrypt; `shared/credential-hash.ts`),
 * never plaintext; `user_number` is what a person types before the PIN so one hash is checked per try.
 */
export const localUsers = sqliteTable(
  "local_users",
  {
    user_id: text("user_id").primaryKey(),
    display_name: text("display_name").notNull(),
    email: text("email"),
    badge_hash: text("badge_hash").unique(),
    pin_hash: text("pin_hash"),
    user_number: integer("user_number").unique(),
    status: text("status").notNull().default("active"),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [check("local_users_status_check", sql`${t.status} IN ('active', 'suspended')`)],
);

/**
 * The outbox: one row per local change, written in the same transaction as the change. `seq` is
 * AUTOINCREMENT so that a number is never reused after rows are pruned: (device_id, seq) identifies a
 * change forever, which is what makes uploads idempotent.
 */
export const changeLog = sqliteTable(
  "change_log",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    entity: text("entity", { enum: SYNCED_ENTITIES }).notNull(),
    entity_id: text("entity_id").notNull(),
    op: text("op", { enum: ["insert", "update"] }).notNull(),
    payload: text("payload").notNull(),
    recorded_at: text("recorded_at").notNull(),
  },
  (t) => [
    check("change_log_op_check", sql`${t.op} IN ('insert', 'update')`),
    check(
      "change_log_entity_check",
      sql.raw(`"entity" IN (${SYNCED_ENTITIES.map((e) => `'${e}'`).join(", ")})`),
    ),
    index("idx_change_log_entity").on(t.entity, t.entity_id),
  ],
);

/** Small durable facts of this device: its id, sync high-water marks, config version. */
export const deviceState = sqliteTable("device_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updated_at: text("updated_at").notNull(),
});

/**
 * Shelf images on this cabinet's disk, by the SHA-256 of their bytes. Those of scans that changed
 * something are uploaded after their rows (`upload` = 1 until `uploaded_at`); retention removes the
 * oldest uploaded or never-to-upload files first (`removed_at`).
 */
export const evidenceImages = sqliteTable(
  "evidence_images",
  {
    image_key: text("image_key").primaryKey(),
    path: text("path").notNull(),
    size_bytes: integer("size_bytes").notNull(),
    captured_at: text("captured_at").notNull(),
    upload: integer("upload", { mode: "boolean" }).notNull().default(false),
    uploaded_at: text("uploaded_at"),
    removed_at: text("removed_at"),
  },
  (t) => [index("idx_evidence_images_captured").on(t.captured_at)],
);
