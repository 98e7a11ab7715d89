// The CHECK-constraint enums of the seed, written once: they feed the SQL CHECKs, drizzle column types and zod.
export const ORG_TYPES = ["university", "pharma", "biotech", "government", "industrial"] as const;
export const SUBSCRIPTION_TIERS = ["starter", "professional", "enterprise"] as const;
export const SUBSCRIPTION_STATUSES = ["trial", "active", "suspended", "cancelled"] as const;
export const USER_STATUSES = ["active", "suspended", "deleted", "pending_verification"] as const;
export const ORG_ROLES = ["owner", "admin", "manager", "member"] as const;
export const MEMBERSHIP_STATUSES = ["active", "invited", "suspended", "removed"] as const;
export const DEVICE_STATUSES = ["provisioned", "active", "offline", "maintenance", "decommissioned"] as const;
export const API_KEY_STATUSES = ["active", "revoked", "expired"] as const;
export const TRANSACTION_TYPES = ["checkout", "return", "transfer", "dispose", "adjust"] as const;
export const TRANSACTION_STATUSES = ["active", "returned", "overdue", "lost", "disposed"] as const;
export const SCAN_TRIGGER_TYPES = ["scheduled", "motion", "manual", "api"] as const;
export const PROCESSING_STATUSES = ["pending", "processing", "completed", "failed"] as const;
export const ALERT_TYPES = [
  "spill",
  "breakage",
  "leak",
  "corrosion",
  "unknown_anomaly",
  "expired_chemical",
  // Not in the seed: the chemical safety rules (docs/data-model.md, "Alert types").
  "peroxide_former_expired",
  "incompatible_storage",
  "low_stock",
  // Not in the seed: a controlled substance missing with no checkout (docs/controlled-substances.md).
  "theft_loss",
] as const;
/** The DEA's controlled-substance schedules (21 CFR 1308): `chemical_inventory.dea_schedule`. */
export const DEA_SCHEDULES = ["I", "II", "III", "IV", "V"] as const;
export const ALERT_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const ALERT_STATUSES = ["open", "acknowledged", "in_progress", "resolved", "false_positive"] as const;
export const AUDIT_CATEGORIES = [
  "controlled_substance",
  "hazardous_waste",
  "safety_incident",
  "inventory_audit",
  // Beyond the seed (docs/data-model.md): the 21 CFR Part 11 subset of the audit trail.
  "access_control",
  "electronic_signature",
  "data_export",
  // Beyond the seed (docs/retention.md): retention periods, legal holds, archives and expiry deletions.
  "records_retention",
] as const;
/** Beyond the seed: what an electronic signature may be given for, and what it states (docs/audit.md). */
export const SIGNED_RECORD_TYPES = [
  "controlled_substance_disposal",
  "spill_resolution",
  "audit_review",
  "inventory_count",
  // A cabinet's record of an access to a controlled substance, signed at the door (docs/controlled-substances.md).
  "controlled_substance_access",
] as const;
export const SIGNATURE_MEANINGS = ["reviewed", "approved", "performed", "witnessed"] as const;
export const COMPLIANCE_STATUSES = ["compliant", "flagged", "reviewed", "resolved", "violation"] as const;
export const VIEW_ENTITIES = ["chemicals", "transactions", "scans", "alerts", "events"] as const;
export const VIEW_VISIBILITIES = ["private", "shared", "public"] as const;
export const DELIVERY_METHODS = ["email", "slack", "webhook", "s3"] as const;
export const REPORT_FORMATS = ["pdf", "excel", "csv", "html", "json"] as const;
/** Beyond the seed (report_runs): how a report run started and how it ended. */
export const REPORT_RUN_TRIGGERS = ["manual", "schedule", "cli"] as const;
export const REPORT_RUN_STATUSES = ["running", "success", "failed"] as const;
export const SCOPE_TYPES = ["organization", "department", "lab", "cabinet"] as const;
/** Beyond the seed: what retention is configured by, and what a legal hold covers (docs/retention.md). */
export const RECORD_CLASSES = [
  "event_stream",
  "device_telemetry",
  "system_events",
  "audit_log",
  "exposure_record",
  "controlled_substance",
  "hazardous_waste",
] as const;
export const HOLD_SCOPES = ["organization", "cabinet", "container"] as const;
export const EVENT_SEVERITIES = ["debug", "info", "warning", "error", "critical"] as const;
export const HEALTH_STATUSES = ["healthy", "warning", "critical"] as const;
export const LOCK_MODES = ["fail-secure", "fail-safe"] as const;

export type OrgType = (typeof ORG_TYPES)[number];
export type SubscriptionTier = (typeof SUBSCRIPTION_TIERS)[number];
export type TransactionType = (typeof TRANSACTION_TYPES)[number];
export type ScanTriggerType = (typeof SCAN_TRIGGER_TYPES)[number];
export type AlertType = (typeof ALERT_TYPES)[number];
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export type DeaSchedule = (typeof DEA_SCHEDULES)[number];
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];
export type SignedRecordType = (typeof SIGNED_RECORD_TYPES)[number];
export type SignatureMeaning = (typeof SIGNATURE_MEANINGS)[number];
export type ScopeType = (typeof SCOPE_TYPES)[number];
export type RecordClass = (typeof RECORD_CLASSES)[number];
export type HoldScope = (typeof HOLD_SCOPES)[number];
export type EventSeverity = (typeof EVENT_SEVERITIES)[number];
export type LockMode = (typeof LOCK_MODES)[number];
