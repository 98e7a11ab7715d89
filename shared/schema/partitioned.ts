// Time-partitioned platform tables: the seed's system_events plus the hot tables that replace its
// DynamoDB tables (event stream 7 d, device telemetry 30 d, user sessions 24 h). Postgres requires the
// partition key in every unique constraint, so each primary key carries the time column. Expiry drops
// whole partitions (cloud/db/partitions.ts); retention periods are settings.
import { sql } from "drizzle-orm";
import { check, index, inet, integer, jsonb, primaryKey, text, uuid, varchar } from "drizzle-orm/pg-core";
import { HEALTH_STATUSES } from "../enums.js";
import { inList, ts, tsvector } from "./columns.js";
import { organizations, platform, users } from "./platform.js";

export const systemEvents = platform.table(
  "system_events",
  {
    event_id: uuid("event_id").notNull().defaultRandom(),
    event_timestamp: ts("event_timestamp").notNull().defaultNow(),
    org_id: uuid("org_id").references(() => organizations.org_id),
    user_id: uuid("user_id").references(() => users.user_id),
    event_type: varchar("event_type", { length: 50 }).notNull(),
    event_category: varchar("event_category", { length: 50 }).notNull(),
    severity: varchar("severity", { length: 20 }).notNull().default("info"),
    event_data: jsonb("event_data"),
    ip_address: inet("ip_address"),
    user_agent: text("user_agent"),
    request_id: varchar("request_id", { length: 100 }),
    tsv: tsvector("tsv").generatedAlwaysAs(
      sql`to_tsvector('english', COALESCE(event_type, '') || ' ' || COALESCE(event_data::text, ''))`,
    ),
  },
  (t) => [
    primaryKey({ name: "system_events_pkey", columns: [t.event_id, t.event_timestamp] }),
    index("idx_system_events_timestamp").on(t.event_timestamp.desc()),
    index("idx_system_events_org").on(t.org_id),
    index("idx_system_events_user").on(t.user_id),
    index("idx_system_events_type").on(t.event_type),
    index("idx_system_events_category").on(t.event_category),
    index("idx_system_events_tsv").using("gin", t.tsv),
  ],
);

/** Replaces DynamoDB `lilo-event-stream`: by org and time, by org and event type, by cabinet and time. */
export const eventStream = platform.table(
  "event_stream",
  {
    event_id: uuid("event_id").notNull().defaultRandom(),
    event_timestamp: ts("event_timestamp").notNull().defaultNow(),
    org_id: uuid("org_id").notNull(),
    event_type: varchar("event_type", { length: 50 }).notNull(),
    cabinet_id: uuid("cabinet_id"),
    shelf_id: integer("shelf_id"),
    user_id: uuid("user_id"),
    details: jsonb("details").notNull().default({}),
  },
  (t) => [
    primaryKey({ name: "event_stream_pkey", columns: [t.event_id, t.event_timestamp] }),
    index("idx_event_stream_org_time").on(t.org_id, t.event_timestamp.desc()),
    index("idx_event_stream_org_type").on(t.org_id, t.event_type, t.event_timestamp.desc()),
    index("idx_event_stream_cabinet_time").on(t.cabinet_id, t.event_timestamp.desc()),
  ],
);

/** Replaces DynamoDB `lilo-device-telemetry`: by device and time, by org and time. */
export const deviceTelemetry = platform.table(
  "device_telemetry",
  {
    device_id: uuid("device_id").notNull(),
    recorded_at: ts("recorded_at").notNull().defaultNow(),
    org_id: uuid("org_id").notNull(),
    cabinet_id: uuid("cabinet_id"),
    metrics: jsonb("metrics").notNull(),
    health_status: varchar("health_status", { length: 20, enum: HEALTH_STATUSES })
      .notNull()
      .default("healthy"),
  },
  (t) => [
    primaryKey({ name: "device_telemetry_pkey", columns: [t.device_id, t.recorded_at] }),
    index("idx_telemetry_org_time").on(t.org_id, t.recorded_at.desc()),
    check("valid_health_status", inList(t.health_status, HEALTH_STATUSES)),
  ],
);

/** Replaces DynamoDB `lilo-user-sessions`: by session, by user and last activity. */
export const userSessions = platform.table(
  "user_sessions",
  {
    session_id: uuid("session_id").notNull().defaultRandom(),
    created_at: ts("created_at").notNull().defaultNow(),
    user_id: uuid("user_id").notNull(),
    org_id: uuid("org_id"),
    last_activity: ts("last_activity").notNull().defaultNow(),
    expires_at: ts("expires_at").notNull(),
    ip_address: inet("ip_address"),
    user_agent: text("user_agent"),
    data: jsonb("data").notNull().default({}),
  },
  (t) => [
    primaryKey({ name: "user_sessions_pkey", columns: [t.session_id, t.created_at] }),
    index("idx_user_sessions_user_activity").on(t.user_id, t.last_activity.desc()),
  ],
);

/** How each partitioned table is cut; the partition manager and the generator both read this. */
export const PARTITIONED_TABLES = [
  { table: "system_events", column: "event_timestamp", unit: "month", setting: "systemEvents" },
  { table: "event_stream", column: "event_timestamp", unit: "day", setting: "eventStream" },
  { table: "device_telemetry", column: "recorded_at", unit: "day", setting: "deviceTelemetry" },
  { table: "user_sessions", column: "created_at", unit: "day", setting: "userSessions" },
] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];
