import {
  bigint,
  boolean,
  check,
  index,
  inet,
  integer,
  jsonb,
  numeric,
  pgSchema,
  text,
  unique,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import * as E from "../enums.js";
import { inList, ts } from "./columns.js";

export const PLATFORM_SCHEMA = "lilo_platform";
export const platform = pgSchema(PLATFORM_SCHEMA);

export const organizations = platform.table(
  "organizations",
  {
    org_id: uuid("org_id").primaryKey().defaultRandom(),
    org_name: varchar("org_name", { length: 255 }).notNull(),
    org_slug: varchar("org_slug", { length: 100 }).notNull().unique(),
    org_type: varchar("org_type", { length: 50, enum: E.ORG_TYPES }).notNull(),
    industry: varchar("industry", { length: 100 }),
    country: varchar("country", { length: 2 }),
    timezone: varchar("timezone", { length: 50 }).default("America/New_York"),
    subscription_tier: varchar("subscription_tier", { length: 50, enum: E.SUBSCRIPTION_TIERS })
      .notNull()
      .default("starter"),
    subscription_status: varchar("subscription_status", { length: 50, enum: E.SUBSCRIPTION_STATUSES })
      .notNull()
      .default("trial"),
    trial_ends_at: ts("trial_ends_at"),
    subscription_started_at: ts("subscription_started_at"),
    max_cabinets: integer("max_cabinets").notNull().default(20),
    max_users: integer("max_users").notNull().default(50),
    max_storage_gb: integer("max_storage_gb").notNull().default(100),
    billing_email: varchar("billing_email", { length: 255 }),
    billing_contact_name: varchar("billing_contact_name", { length: 255 }),
    stripe_customer_id: varchar("stripe_customer_id", { length: 100 }),
    aws_region: varchar("aws_region", { length: 50 }).default("us-east-1"),
    database_schema_name: varchar("database_schema_name", { length: 100 }).notNull(),
    requires_hipaa: boolean("requires_hipaa").default(false),
    requires_gxp: boolean("requires_gxp").default(false),
    requires_21cfr_part11: boolean("requires_21cfr_part11").default(false),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    created_by: uuid("created_by"),
    status: varchar("status", { length: 50 }).default("active"),
  },
  (t) => [
    check("valid_org_type", inList(t.org_type, E.ORG_TYPES)),
    check("valid_subscription_tier", inList(t.subscription_tier, E.SUBSCRIPTION_TIERS)),
    check("valid_subscription_status", inList(t.subscription_status, E.SUBSCRIPTION_STATUSES)),
    index("idx_org_slug").on(t.org_slug),
    index("idx_org_status").on(t.status),
    index("idx_subscription_status").on(t.subscription_status),
  ],
);

export const users = platform.table(
  "users",
  {
    user_id: uuid("user_id").primaryKey().defaultRandom(),
    cognito_user_id: varchar("cognito_user_id", { length: 100 }).notNull().unique(),
    email: varchar("email", { length: 255 }).notNull().unique(),
    email_verified: boolean("email_verified").default(false),
    first_name: varchar("first_name", { length: 100 }),
    last_name: varchar("last_name", { length: 100 }),
    display_name: varchar("display_name", { length: 200 }),
    phone_number: varchar("phone_number", { length: 20 }),
    phone_verified: boolean("phone_verified").default(false),
    status: varchar("status", { length: 50, enum: E.USER_STATUSES }).default("active"),
    last_login_at: ts("last_login_at"),
    login_count: integer("login_count").default(0),
    mfa_enabled: boolean("mfa_enabled").default(false),
    password_changed_at: ts("password_changed_at"),
    must_change_password: boolean("must_change_password").default(false),
    timezone: varchar("timezone", { length: 50 }).default("America/New_York"),
    locale: varchar("locale", { length: 10 }).default("en-US"),
    notification_preferences: jsonb("notification_preferences").default({}),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    last_active_at: ts("last_active_at"),
  },
  (t) => [
    check("valid_user_status", inList(t.status, E.USER_STATUSES)),
    index("idx_user_email").on(t.email),
    index("idx_cognito_user").on(t.cognito_user_id),
    index("idx_user_status").on(t.status),
  ],
);

export const userOrgMemberships = platform.table(
  "user_org_memberships",
  {
    membership_id: uuid("membership_id").primaryKey().defaultRandom(),
    user_id: uuid("user_id")
      .notNull()
      .references(() => users.user_id, { onDelete: "cascade" }),
    org_id: uuid("org_id")
      .notNull()
      .references(() => organizations.org_id, { onDelete: "cascade" }),
    org_role: varchar("org_role", { length: 50, enum: E.ORG_ROLES }).notNull().default("member"),
    status: varchar("status", { length: 50, enum: E.MEMBERSHIP_STATUSES }).default("active"),
    invited_by: uuid("invited_by").references(() => users.user_id),
    invited_at: ts("invited_at"),
    joined_at: ts("joined_at"),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
  },
  (t) => [
    check("valid_org_role", inList(t.org_role, E.ORG_ROLES)),
    check("valid_membership_status", inList(t.status, E.MEMBERSHIP_STATUSES)),
    unique("user_org_memberships_user_id_org_id_key").on(t.user_id, t.org_id),
    index("idx_membership_user").on(t.user_id),
    index("idx_membership_org").on(t.org_id),
    index("idx_membership_status").on(t.status),
  ],
);

export const iotDevices = platform.table(
  "iot_devices",
  {
    device_id: uuid("device_id").primaryKey().defaultRandom(),
    org_id: uuid("org_id")
      .notNull()
      .references(() => organizations.org_id, { onDelete: "cascade" }),
    device_serial_number: varchar("device_serial_number", { length: 100 }).notNull().unique(),
    device_type: varchar("device_type", { length: 50 }).notNull().default("smart_cabinet"),
    hardware_version: varchar("hardware_version", { length: 50 }),
    firmware_version: varchar("firmware_version", { length: 50 }),
    iot_thing_name: varchar("iot_thing_name", { length: 128 }).notNull().unique(),
    iot_certificate_arn: text("iot_certificate_arn"),
    iot_certificate_id: varchar("iot_certificate_id", { length: 64 }),
    iot_endpoint: varchar("iot_endpoint", { length: 255 }),
    status: varchar("status", { length: 50, enum: E.DEVICE_STATUSES }).default("provisioned"),
    last_seen_at: ts("last_seen_at"),
    last_heartbeat_at: ts("last_heartbeat_at"),
    assigned_cabinet_id: uuid("assigned_cabinet_id"),
    physical_location: text("physical_location"),
    ip_address: inet("ip_address"),
    mac_address: varchar("mac_address", { length: 17 }),
    network_ssid: varchar("network_ssid", { length: 100 }),
    cpu_usage_percent: numeric("cpu_usage_percent", { precision: 5, scale: 2 }),
    memory_usage_percent: numeric("memory_usage_percent", { precision: 5, scale: 2 }),
    disk_usage_percent: numeric("disk_usage_percent", { precision: 5, scale: 2 }),
    temperature_celsius: numeric("temperature_celsius", { precision: 5, scale: 2 }),
    uptime_seconds: bigint("uptime_seconds", { mode: "number" }),
    provisioned_at: ts("provisioned_at").defaultNow(),
    activated_at: ts("activated_at"),
    last_maintenance_at: ts("last_maintenance_at"),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    /** Until then a claim with this serial may take the device over without its credential (admin approval). */
    reclaim_approved_until: ts("reclaim_approved_until"),
    reclaim_approved_by: uuid("reclaim_approved_by"),
    decommissioned_at: ts("decommissioned_at"),
  },
  (t) => [
    check("valid_device_status", inList(t.status, E.DEVICE_STATUSES)),
    index("idx_device_org").on(t.org_id),
    index("idx_device_serial").on(t.device_serial_number),
    index("idx_device_status").on(t.status),
    index("idx_device_thing_name").on(t.iot_thing_name),
  ],
);

export const apiKeys = platform.table(
  "api_keys",
  {
    api_key_id: uuid("api_key_id").primaryKey().defaultRandom(),
    org_id: uuid("org_id")
      .notNull()
      .references(() => organizations.org_id, { onDelete: "cascade" }),
    created_by: uuid("created_by")
      .notNull()
      .references(() => users.user_id),
    key_name: varchar("key_name", { length: 100 }).notNull(),
    key_hash: varchar("key_hash", { length: 128 }).notNull().unique(),
    key_prefix: varchar("key_prefix", { length: 10 }).notNull(),
    scopes: jsonb("scopes").notNull().default([]),
    rate_limit_per_hour: integer("rate_limit_per_hour").default(1000),
    status: varchar("status", { length: 50, enum: E.API_KEY_STATUSES }).default("active"),
    expires_at: ts("expires_at"),
    last_used_at: ts("last_used_at"),
    usage_count: bigint("usage_count", { mode: "number" }).default(0),
    created_at: ts("created_at").defaultNow(),
    revoked_at: ts("revoked_at"),
    revoked_by: uuid("revoked_by").references(() => users.user_id),
    revocation_reason: text("revocation_reason"),
  },
  (t) => [
    check("valid_api_key_status", inList(t.status, E.API_KEY_STATUSES)),
    index("idx_api_key_org").on(t.org_id),
    index("idx_api_key_hash").on(t.key_hash),
    index("idx_api_key_status").on(t.status),
  ],
);

// ----------------------------------------------------------------------------------------------------
// Not in the seed: what replaces AWS IoT Core's registry credentials and provisioning.
// ----------------------------------------------------------------------------------------------------

export const CREDENTIAL_STATUSES = ["active", "revoked"] as const;

/** One-time tokens an org admin hands to an installer; a cabinet claims itself with one. */
export const claimTokens = platform.table(
  "claim_tokens",
  {
    token_id: uuid("token_id").primaryKey().defaultRandom(),
    org_id: uuid("org_id")
      .notNull()
      .references(() => organizations.org_id, { onDelete: "cascade" }),
    cabinet_id: uuid("cabinet_id").notNull(),
    /** SHA-256 of the token; the token itself is shown once and never stored. */
    token_hash: varchar("token_hash", { length: 128 }).notNull().unique(),
    created_by: uuid("created_by"),
    created_at: ts("created_at").notNull().defaultNow(),
    expires_at: ts("expires_at").notNull(),
    used_at: ts("used_at"),
    used_by_device_id: uuid("used_by_device_id"),
    /** An admin withdrew the token before it was used (lost, sent to the wrong person). */
    revoked_at: ts("revoked_at"),
    revoked_by: uuid("revoked_by"),
  },
  (t) => [index("idx_claim_tokens_org").on(t.org_id)],
);

/** Per-device secrets (the replacement for IoT certificates): HTTP bearer token and MQTT password. */
export const deviceCredentials = platform.table(
  "device_credentials",
  {
    credential_id: uuid("credential_id").primaryKey().defaultRandom(),
    device_id: uuid("device_id")
      .notNull()
      .references(() => iotDevices.device_id, { onDelete: "cascade" }),
    org_id: uuid("org_id")
      .notNull()
      .references(() => organizations.org_id, { onDelete: "cascade" }),
    token_hash: varchar("token_hash", { length: 128 }).notNull().unique(),
    token_prefix: varchar("token_prefix", { length: 12 }).notNull(),
    status: varchar("status", { length: 20, enum: CREDENTIAL_STATUSES }).notNull().default("active"),
    created_at: ts("created_at").notNull().defaultNow(),
    revoked_at: ts("revoked_at"),
    last_used_at: ts("last_used_at"),
  },
  (t) => [
    index("idx_device_credentials_device").on(t.device_id),
    check("valid_credential_status", inList(t.status, CREDENTIAL_STATUSES)),
  ],
);

/** Password sign-in for cloud accounts (the seed's Cognito); `users.cognito_user_id` keeps the subject. */
export const userPasswords = platform.table("user_passwords", {
  user_id: uuid("user_id")
    .primaryKey()
    .references(() => users.user_id, { onDelete: "cascade" }),
  /** scrypt, `scrypt$N$r$p$salt$hash`. */
  password_hash: varchar("password_hash", { length: 255 }).notNull(),
  updated_at: ts("updated_at").notNull().defaultNow(),
});
