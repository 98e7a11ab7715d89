// The tenant template: one copy per organization in schema tenant_<org_id>. Tables are unqualified on
// purpose: every tenant query runs with `SET LOCAL search_path` to its own schema.
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  date,
  index,
  inet,
  integer,
  json,
  jsonb,
  numeric,
  pgTable,
  point,
  primaryKey,
  text,
  unique,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import * as E from "../enums.js";
import { inList, ts, tsvector } from "./columns.js";

export interface CodeLocations {
  read: { text: string; corners: [number, number][] }[];
  unread: { x: number; y: number; w: number; h: number }[];
}

export const departments = pgTable(
  "departments",
  {
    dept_id: uuid("dept_id").primaryKey().defaultRandom(),
    dept_name: varchar("dept_name", { length: 255 }).notNull(),
    dept_code: varchar("dept_code", { length: 50 }).unique(),
    description: text("description"),
    parent_dept_id: uuid("parent_dept_id").references((): AnyPgColumn => departments.dept_id),
    building: varchar("building", { length: 100 }),
    floor: varchar("floor", { length: 50 }),
    room_numbers: text("room_numbers").array(),
    dept_head_user_id: uuid("dept_head_user_id"),
    contact_email: varchar("contact_email", { length: 255 }),
    contact_phone: varchar("contact_phone", { length: 20 }),
    annual_budget: numeric("annual_budget", { precision: 15, scale: 2 }),
    budget_fiscal_year: integer("budget_fiscal_year"),
    status: varchar("status", { length: 50 }).default("active"),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    created_by: uuid("created_by"),
  },
  (t) => [
    index("idx_dept_code").on(t.dept_code),
    index("idx_dept_parent").on(t.parent_dept_id),
    index("idx_dept_status").on(t.status),
  ],
);

export const laboratories = pgTable(
  "laboratories",
  {
    lab_id: uuid("lab_id").primaryKey().defaultRandom(),
    dept_id: uuid("dept_id")
      .notNull()
      .references(() => departments.dept_id, { onDelete: "cascade" }),
    lab_name: varchar("lab_name", { length: 255 }).notNull(),
    lab_code: varchar("lab_code", { length: 50 }).unique(),
    description: text("description"),
    building: varchar("building", { length: 100 }),
    floor: varchar("floor", { length: 50 }),
    room_number: varchar("room_number", { length: 50 }),
    square_footage: numeric("square_footage", { precision: 10, scale: 2 }),
    lab_manager_user_id: uuid("lab_manager_user_id"),
    principal_investigator_user_id: uuid("principal_investigator_user_id"),
    safety_officer_user_id: uuid("safety_officer_user_id"),
    contact_email: varchar("contact_email", { length: 255 }),
    contact_phone: varchar("contact_phone", { length: 20 }),
    emergency_contact: varchar("emergency_contact", { length: 255 }),
    biosafety_level: varchar("biosafety_level", { length: 10 }),
    lab_type: varchar("lab_type", { length: 50 }),
    certifications: jsonb("certifications").default([]),
    last_inspection_date: date("last_inspection_date"),
    next_inspection_date: date("next_inspection_date"),
    cost_center: varchar("cost_center", { length: 50 }),
    annual_budget: numeric("annual_budget", { precision: 15, scale: 2 }),
    status: varchar("status", { length: 50 }).default("active"),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    created_by: uuid("created_by"),
  },
  (t) => [
    index("idx_lab_dept").on(t.dept_id),
    index("idx_lab_code").on(t.lab_code),
    index("idx_lab_manager").on(t.lab_manager_user_id),
    index("idx_lab_status").on(t.status),
  ],
);

export const cabinets = pgTable(
  "cabinets",
  {
    cabinet_id: uuid("cabinet_id").primaryKey().defaultRandom(),
    lab_id: uuid("lab_id")
      .notNull()
      .references(() => laboratories.lab_id, { onDelete: "cascade" }),
    cabinet_name: varchar("cabinet_name", { length: 255 }).notNull(),
    cabinet_code: varchar("cabinet_code", { length: 50 }).notNull().unique(),
    description: text("description"),
    num_shelves: integer("num_shelves").notNull().default(4),
    shelf_height_cm: numeric("shelf_height_cm", { precision: 5, scale: 2 }).array(),
    width_cm: numeric("width_cm", { precision: 5, scale: 2 }),
    depth_cm: numeric("depth_cm", { precision: 5, scale: 2 }),
    height_cm: numeric("height_cm", { precision: 5, scale: 2 }),
    max_weight_kg: numeric("max_weight_kg", { precision: 8, scale: 2 }),
    storage_type: varchar("storage_type", { length: 50 }),
    temperature_controlled: boolean("temperature_controlled").default(false),
    ventilated: boolean("ventilated").default(false),
    lockable: boolean("lockable").default(true),
    device_id: uuid("device_id"),
    precise_location: varchar("precise_location", { length: 255 }),
    gps_coordinates: point("gps_coordinates", { mode: "xy" }),
    qr_code: varchar("qr_code", { length: 100 }).unique(),
    temperature_sensor_id: varchar("temperature_sensor_id", { length: 100 }),
    humidity_sensor_id: varchar("humidity_sensor_id", { length: 100 }),
    status: varchar("status", { length: 50 }).default("active"),
    installation_date: date("installation_date"),
    last_calibration_date: date("last_calibration_date"),
    next_maintenance_date: date("next_maintenance_date"),
    requires_logging: boolean("requires_logging").default(true),
    requires_dual_approval: boolean("requires_dual_approval").default(false),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    created_by: uuid("created_by"),
  },
  (t) => [
    index("idx_cabinet_lab").on(t.lab_id),
    index("idx_cabinet_code").on(t.cabinet_code),
    index("idx_cabinet_device").on(t.device_id),
    index("idx_cabinet_status").on(t.status),
  ],
);

export const chemicalInventory = pgTable(
  "chemical_inventory",
  {
    container_id: uuid("container_id").primaryKey().defaultRandom(),
    cabinet_id: uuid("cabinet_id")
      .notNull()
      .references(() => cabinets.cabinet_id, { onDelete: "cascade" }),
    qr_code: varchar("qr_code", { length: 100 }).notNull().unique(),
    barcode: varchar("barcode", { length: 100 }),
    custom_id: varchar("custom_id", { length: 100 }),
    shelf_level: integer("shelf_level").notNull(),
    position_code: varchar("position_code", { length: 20 }),
    chemical_name: varchar("chemical_name", { length: 255 }).notNull(),
    cas_number: varchar("cas_number", { length: 50 }),
    chemical_formula: varchar("chemical_formula", { length: 200 }),
    molecular_weight: numeric("molecular_weight", { precision: 10, scale: 4 }),
    supplier: varchar("supplier", { length: 255 }),
    catalog_number: varchar("catalog_number", { length: 100 }),
    lot_number: varchar("lot_number", { length: 100 }),
    quantity: numeric("quantity", { precision: 10, scale: 3 }).notNull(),
    unit: varchar("unit", { length: 20 }).notNull(),
    initial_quantity: numeric("initial_quantity", { precision: 10, scale: 3 }),
    minimum_quantity: numeric("minimum_quantity", { precision: 10, scale: 3 }),
    container_type: varchar("container_type", { length: 50 }),
    container_size: varchar("container_size", { length: 50 }),
    container_material: varchar("container_material", { length: 50 }),
    concentration: numeric("concentration", { precision: 10, scale: 4 }),
    concentration_unit: varchar("concentration_unit", { length: 20 }),
    purity_percent: numeric("purity_percent", { precision: 5, scale: 2 }),
    date_received: date("date_received"),
    date_opened: date("date_opened"),
    expiry_date: date("expiry_date"),
    manufacture_date: date("manufacture_date"),
    hazard_class: varchar("hazard_class", { length: 50 }).array(),
    ghs_pictograms: varchar("ghs_pictograms", { length: 50 }).array(),
    signal_word: varchar("signal_word", { length: 20 }),
    h_statements: text("h_statements").array(),
    p_statements: text("p_statements").array(),
    nfpa_rating: jsonb("nfpa_rating"),
    dea_schedule: varchar("dea_schedule", { length: 10, enum: E.DEA_SCHEDULES }),
    epa_waste_code: varchar("epa_waste_code", { length: 20 }).array(),
    dot_hazard_class: varchar("dot_hazard_class", { length: 50 }),
    sds_url: text("sds_url"),
    sds_revision_date: date("sds_revision_date"),
    product_url: text("product_url"),
    notes: text("notes"),
    cost_per_unit: numeric("cost_per_unit", { precision: 10, scale: 2 }),
    currency: varchar("currency", { length: 3 }).default("USD"),
    purchase_order_number: varchar("purchase_order_number", { length: 100 }),
    grant_number: varchar("grant_number", { length: 100 }),
    status: varchar("status", { length: 50 }).default("in_cabinet"),
    last_detected: ts("last_detected"),
    last_verified_by_user: uuid("last_verified_by_user"),
    last_verified_at: ts("last_verified_at"),
    disposal_date: date("disposal_date"),
    disposal_method: varchar("disposal_method", { length: 100 }),
    disposed_by_user: uuid("disposed_by_user"),
    disposal_vendor: varchar("disposal_vendor", { length: 255 }),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    created_by: uuid("created_by"),
    tsv: tsvector("tsv").generatedAlwaysAs(
      sql`to_tsvector('english', COALESCE(chemical_name, '') || ' ' || COALESCE(cas_number, '') || ' ' || COALESCE(supplier, '') || ' ' || COALESCE(catalog_number, '') )`,
    ),
  },
  (t) => [
    check("chemical_inventory_shelf_level_check", sql`shelf_level >= 1 AND shelf_level <= 20`),
    // Beyond the seed: only the DEA's schedules I–V (docs/controlled-substances.md).
    check("valid_dea_schedule", inList(t.dea_schedule, E.DEA_SCHEDULES)),
    index("idx_inventory_cabinet").on(t.cabinet_id),
    index("idx_inventory_qr").on(t.qr_code),
    index("idx_inventory_shelf").on(t.shelf_level),
    index("idx_inventory_chemical").on(t.chemical_name),
    index("idx_inventory_cas").on(t.cas_number),
    index("idx_inventory_status").on(t.status),
    index("idx_inventory_expiry").on(t.expiry_date),
    index("idx_inventory_tsv").using("gin", t.tsv),
  ],
);

export const containerTransactions = pgTable(
  "container_transactions",
  {
    transaction_id: uuid("transaction_id").primaryKey().defaultRandom(),
    container_id: uuid("container_id")
      .notNull()
      .references(() => chemicalInventory.container_id, { onDelete: "cascade" }),
    transaction_type: varchar("transaction_type", { length: 50, enum: E.TRANSACTION_TYPES }).notNull(),
    qr_code: varchar("qr_code", { length: 100 }).notNull(),
    user_id: uuid("user_id").notNull(),
    user_name: varchar("user_name", { length: 255 }),
    user_email: varchar("user_email", { length: 255 }),
    user_role: varchar("user_role", { length: 50 }),
    checkout_timestamp: ts("checkout_timestamp"),
    expected_return_timestamp: ts("expected_return_timestamp"),
    actual_return_timestamp: ts("actual_return_timestamp"),
    source_cabinet_id: uuid("source_cabinet_id").references(() => cabinets.cabinet_id),
    source_shelf_level: integer("source_shelf_level"),
    destination_location: json("destination_location"),
    return_cabinet_id: uuid("return_cabinet_id").references(() => cabinets.cabinet_id),
    return_shelf_level: integer("return_shelf_level"),
    quantity_checkout: numeric("quantity_checkout", { precision: 10, scale: 3 }),
    quantity_returned: numeric("quantity_returned", { precision: 10, scale: 3 }),
    quantity_unit: varchar("quantity_unit", { length: 20 }),
    purpose: text("purpose"),
    experiment_id: varchar("experiment_id", { length: 100 }),
    project_name: varchar("project_name", { length: 255 }),
    grant_number: varchar("grant_number", { length: 100 }),
    protocol_id: varchar("protocol_id", { length: 100 }),
    requires_approval: boolean("requires_approval").default(false),
    approved_by: uuid("approved_by"),
    approved_at: ts("approved_at"),
    approval_notes: text("approval_notes"),
    status: varchar("status", { length: 50, enum: E.TRANSACTION_STATUSES }).default("active"),
    return_condition: varchar("return_condition", { length: 50 }),
    return_notes: text("return_notes"),
    safety_verification_required: boolean("safety_verification_required").default(false),
    safety_verified_by: uuid("safety_verified_by"),
    safety_verified_at: ts("safety_verified_at"),
    parent_transaction_id: uuid("parent_transaction_id").references(
      (): AnyPgColumn => containerTransactions.transaction_id,
    ),
    workflow_id: uuid("workflow_id"),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    /**
     * Not in the seed: the photo evidence of the change. `scan_id` is the shelf's scan that recorded it
     * (its `previous_scan_id` is the shelf before), `image_s3_key` that scan's image (the SHA-256 of its
     * bytes; served by `GET /api/v1/orgs/{org}/images/{key}`).
     */
    scan_id: uuid("scan_id"),
    image_s3_key: text("image_s3_key"),
  },
  (t) => [
    check("valid_transaction_type", inList(t.transaction_type, E.TRANSACTION_TYPES)),
    check("valid_transaction_status", inList(t.status, E.TRANSACTION_STATUSES)),
    index("idx_trans_container").on(t.container_id),
    index("idx_trans_user").on(t.user_id),
    index("idx_trans_type").on(t.transaction_type),
    index("idx_trans_status").on(t.status),
    index("idx_trans_checkout").on(t.checkout_timestamp.desc()),
    index("idx_trans_workflow").on(t.workflow_id),
  ],
);

export const scanResults = pgTable(
  "scan_results",
  {
    scan_id: uuid("scan_id").primaryKey().defaultRandom(),
    cabinet_id: uuid("cabinet_id")
      .notNull()
      .references(() => cabinets.cabinet_id, { onDelete: "cascade" }),
    shelf_id: integer("shelf_id").notNull(),
    scan_timestamp: ts("scan_timestamp").notNull().defaultNow(),
    trigger_type: varchar("trigger_type", { length: 50, enum: E.SCAN_TRIGGER_TYPES }).notNull(),
    triggered_by: uuid("triggered_by"),
    image_s3_key: text("image_s3_key").notNull(),
    image_url: text("image_url"),
    image_size_bytes: bigint("image_size_bytes", { mode: "number" }),
    image_resolution: varchar("image_resolution", { length: 20 }),
    processing_status: varchar("processing_status", { length: 50, enum: E.PROCESSING_STATUSES }).default(
      "pending",
    ),
    processing_started_at: ts("processing_started_at"),
    processing_completed_at: ts("processing_completed_at"),
    processing_time_ms: integer("processing_time_ms"),
    processing_error: text("processing_error"),
    containers_detected: integer("containers_detected").default(0),
    qr_codes_found: text("qr_codes_found").array(),
    qr_detection_confidence: numeric("qr_detection_confidence", { precision: 5, scale: 4 }).array(),
    image_quality_score: numeric("image_quality_score", { precision: 5, scale: 4 }),
    lighting_quality_score: numeric("lighting_quality_score", { precision: 5, scale: 4 }),
    focus_quality_score: numeric("focus_quality_score", { precision: 5, scale: 4 }),
    spill_detected: boolean("spill_detected").default(false),
    spill_confidence: numeric("spill_confidence", { precision: 5, scale: 4 }),
    spill_location: json("spill_location"),
    breakage_detected: boolean("breakage_detected").default(false),
    breakage_confidence: numeric("breakage_confidence", { precision: 5, scale: 4 }),
    anomalies_detected: json("anomalies_detected").array(),
    shelf_organization_score: numeric("shelf_organization_score", { precision: 5, scale: 4 }),
    recommendations: json("recommendations"),
    lambda_request_id: varchar("lambda_request_id", { length: 100 }),
    lambda_function_version: varchar("lambda_function_version", { length: 50 }),
    previous_scan_id: uuid("previous_scan_id").references((): AnyPgColumn => scanResults.scan_id),
    containers_added: text("containers_added").array(),
    containers_removed: text("containers_removed").array(),
    containers_moved: text("containers_moved").array(),
    created_at: ts("created_at").defaultNow(),
    /**
     * Not in the seed: the evidence of the scan — every code read with its corners in the shelf image,
     * and label-like regions seen but not read — so a result can show where each container stood.
     */
    code_locations: jsonb("code_locations").$type<CodeLocations>(),
  },
  (t) => [
    check("valid_trigger_type", inList(t.trigger_type, E.SCAN_TRIGGER_TYPES)),
    check("valid_processing_status", inList(t.processing_status, E.PROCESSING_STATUSES)),
    index("idx_scan_cabinet").on(t.cabinet_id),
    index("idx_scan_timestamp").on(t.scan_timestamp.desc()),
    index("idx_scan_trigger").on(t.trigger_type),
    index("idx_scan_status").on(t.processing_status),
    index("idx_scan_spill").on(t.spill_detected).where(sql`spill_detected = TRUE`),
    index("idx_scan_breakage").on(t.breakage_detected).where(sql`breakage_detected = TRUE`),
  ],
);

export const safetyAlerts = pgTable(
  "safety_alerts",
  {
    alert_id: uuid("alert_id").primaryKey().defaultRandom(),
    cabinet_id: uuid("cabinet_id").references(() => cabinets.cabinet_id),
    lab_id: uuid("lab_id").references(() => laboratories.lab_id),
    shelf_id: integer("shelf_id"),
    alert_type: varchar("alert_type", { length: 50, enum: E.ALERT_TYPES }).notNull(),
    hazard_type: varchar("hazard_type", { length: 50 }),
    severity: varchar("severity", { length: 20, enum: E.ALERT_SEVERITIES }).notNull(),
    detected_at: ts("detected_at").notNull().defaultNow(),
    detection_method: varchar("detection_method", { length: 50 }),
    confidence: numeric("confidence", { precision: 5, scale: 4 }),
    scan_id: uuid("scan_id").references(() => scanResults.scan_id),
    container_id: uuid("container_id").references(() => chemicalInventory.container_id),
    title: varchar("title", { length: 255 }).notNull(),
    description: text("description"),
    affected_area_description: text("affected_area_description"),
    affected_containers: uuid("affected_containers").array(),
    image_references: text("image_references").array(),
    video_reference: text("video_reference"),
    sensor_data: json("sensor_data"),
    status: varchar("status", { length: 50, enum: E.ALERT_STATUSES }).default("open"),
    acknowledged_by: uuid("acknowledged_by"),
    acknowledged_at: ts("acknowledged_at"),
    acknowledged_via: varchar("acknowledged_via", { length: 50 }),
    assigned_to: uuid("assigned_to"),
    assigned_at: ts("assigned_at"),
    resolved_by: uuid("resolved_by"),
    resolved_at: ts("resolved_at"),
    resolution_notes: text("resolution_notes"),
    resolution_actions: text("resolution_actions").array(),
    escalation_level: integer("escalation_level").default(0),
    escalated_to: uuid("escalated_to"),
    escalated_at: ts("escalated_at"),
    notifications_sent: json("notifications_sent").array(),
    action_required: text("action_required"),
    action_deadline: ts("action_deadline"),
    requires_regulatory_report: boolean("requires_regulatory_report").default(false),
    reported_to_authorities: boolean("reported_to_authorities").default(false),
    reported_at: ts("reported_at"),
    report_reference: varchar("report_reference", { length: 100 }),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
  },
  (t) => [
    check("valid_alert_type", inList(t.alert_type, E.ALERT_TYPES)),
    check("valid_severity", inList(t.severity, E.ALERT_SEVERITIES)),
    check("valid_alert_status", inList(t.status, E.ALERT_STATUSES)),
    index("idx_alert_cabinet").on(t.cabinet_id),
    index("idx_alert_type").on(t.alert_type),
    index("idx_alert_severity").on(t.severity),
    index("idx_alert_status").on(t.status),
    index("idx_alert_detected").on(t.detected_at.desc()),
    index("idx_alert_assigned").on(t.assigned_to).where(sql`status != 'resolved'`),
  ],
);

/**
 * Beyond the seed: the hash chain a row belongs to (docs/audit.md). `chain_id` is `device:<log_id>` for
 * rows a cabinet chained, `cloud` for rows the cloud wrote (chained by a trigger); the hash covers the
 * row's audited columns (shared/audit/audit-hash.ts) and `prev_hash`.
 */
const auditChain = () => ({
  chain_id: varchar("chain_id", { length: 80 }),
  chain_seq: bigint("chain_seq", { mode: "number" }),
  prev_hash: varchar("prev_hash", { length: 64 }),
  row_hash: varchar("row_hash", { length: 64 }),
});

export const unifiedEventLog = pgTable(
  "unified_event_log",
  {
    event_id: uuid("event_id").primaryKey().defaultRandom(),
    event_timestamp: ts("event_timestamp").notNull().defaultNow(),
    event_type: varchar("event_type", { length: 50 }).notNull(),
    event_category: varchar("event_category", { length: 50 }),
    severity: varchar("severity", { length: 20 }).default("info"),
    lab_id: uuid("lab_id").references(() => laboratories.lab_id),
    cabinet_id: uuid("cabinet_id").references(() => cabinets.cabinet_id),
    shelf_id: integer("shelf_id"),
    user_id: uuid("user_id"),
    user_name: varchar("user_name", { length: 255 }),
    user_role: varchar("user_role", { length: 50 }),
    container_id: uuid("container_id").references(() => chemicalInventory.container_id),
    qr_code: varchar("qr_code", { length: 100 }),
    chemical_name: varchar("chemical_name", { length: 255 }),
    cas_number: varchar("cas_number", { length: 50 }),
    event_details: jsonb("event_details"),
    old_values: jsonb("old_values"),
    new_values: jsonb("new_values"),
    changes_summary: text("changes_summary"),
    image_reference: varchar("image_reference", { length: 500 }),
    video_reference: varchar("video_reference", { length: 500 }),
    related_event_id: uuid("related_event_id").references((): AnyPgColumn => unifiedEventLog.event_id),
    workflow_id: uuid("workflow_id"),
    parent_event_id: uuid("parent_event_id").references((): AnyPgColumn => unifiedEventLog.event_id),
    ip_address: inet("ip_address"),
    user_agent: text("user_agent"),
    request_id: varchar("request_id", { length: 100 }),
    api_endpoint: varchar("api_endpoint", { length: 255 }),
    requires_review: boolean("requires_review").default(false),
    reviewed_by: uuid("reviewed_by"),
    reviewed_at: ts("reviewed_at"),
    compliance_flags: jsonb("compliance_flags"),
    osha_relevant: boolean("osha_relevant").default(false),
    epa_relevant: boolean("epa_relevant").default(false),
    dea_relevant: boolean("dea_relevant").default(false),
    tsv: tsvector("tsv").generatedAlwaysAs(
      sql`to_tsvector('english', COALESCE(event_type, '') || ' ' || COALESCE(event_category, '') || ' ' || COALESCE(changes_summary, '') || ' ' || COALESCE(chemical_name, '') )`,
    ),
    ...auditChain(),
  },
  (t) => [
    index("idx_event_timestamp").on(t.event_timestamp.desc()),
    index("idx_event_type").on(t.event_type),
    index("idx_event_category").on(t.event_category),
    index("idx_event_severity").on(t.severity),
    index("idx_event_user").on(t.user_id),
    index("idx_event_cabinet").on(t.cabinet_id),
    index("idx_event_container").on(t.container_id),
    index("idx_event_workflow").on(t.workflow_id),
    index("idx_event_requires_review").on(t.requires_review).where(sql`requires_review = TRUE`),
    index("idx_event_tsv").using("gin", t.tsv),
    index("idx_event_chain").on(t.chain_id, t.chain_seq),
    // Retention keeps an event another one refers to (0010_retention_functions.sql): looked up per row.
    index("idx_event_related").on(t.related_event_id).where(sql`related_event_id IS NOT NULL`),
    index("idx_event_parent").on(t.parent_event_id).where(sql`parent_event_id IS NOT NULL`),
  ],
);

export const complianceAuditLog = pgTable(
  "compliance_audit_log",
  {
    audit_id: uuid("audit_id").primaryKey().defaultRandom(),
    event_id: uuid("event_id")
      .notNull()
      .references(() => unifiedEventLog.event_id),
    audit_timestamp: ts("audit_timestamp").notNull().defaultNow(),
    audit_category: varchar("audit_category", { length: 50, enum: E.AUDIT_CATEGORIES }).notNull(),
    regulation: varchar("regulation", { length: 100 }),
    regulation_section: varchar("regulation_section", { length: 100 }),
    compliance_status: varchar("compliance_status", { length: 50, enum: E.COMPLIANCE_STATUSES }).default(
      "compliant",
    ),
    reviewed_by: uuid("reviewed_by"),
    reviewed_at: ts("reviewed_at"),
    auditor_name: varchar("auditor_name", { length: 255 }),
    auditor_notes: text("auditor_notes"),
    auditor_signature: varchar("auditor_signature", { length: 500 }),
    retention_until: date("retention_until").notNull(),
    archive_status: varchar("archive_status", { length: 50 }).default("active"),
    exported_count: integer("exported_count").default(0),
    last_exported_at: ts("last_exported_at"),
    last_exported_by: uuid("last_exported_by"),
    created_at: ts("created_at").defaultNow(),
    ...auditChain(),
  },
  (t) => [
    check("valid_audit_category", inList(t.audit_category, E.AUDIT_CATEGORIES)),
    check("valid_compliance_status", inList(t.compliance_status, E.COMPLIANCE_STATUSES)),
    index("idx_audit_event").on(t.event_id),
    index("idx_audit_category").on(t.audit_category),
    index("idx_audit_regulation").on(t.regulation),
    index("idx_audit_status").on(t.compliance_status),
    index("idx_audit_retention").on(t.retention_until),
    index("idx_audit_timestamp").on(t.audit_timestamp.desc()),
    index("idx_audit_chain").on(t.chain_id, t.chain_seq),
  ],
);

export const savedViews = pgTable(
  "saved_views",
  {
    view_id: uuid("view_id").primaryKey().defaultRandom(),
    view_name: varchar("view_name", { length: 255 }).notNull(),
    description: text("description"),
    view_slug: varchar("view_slug", { length: 100 }),
    created_by: uuid("created_by").notNull(),
    owner_user_id: uuid("owner_user_id"),
    entity: varchar("entity", { length: 50, enum: E.VIEW_ENTITIES }).notNull(),
    query_definition: jsonb("query_definition").notNull(),
    column_configuration: jsonb("column_configuration"),
    default_sort: jsonb("default_sort"),
    default_filters: jsonb("default_filters"),
    aggregations: jsonb("aggregations"),
    visibility: varchar("visibility", { length: 50, enum: E.VIEW_VISIBILITIES }).default("private"),
    shared_with_users: uuid("shared_with_users").array(),
    shared_with_roles: varchar("shared_with_roles", { length: 50 }).array(),
    shared_with_labs: uuid("shared_with_labs").array(),
    view_count: integer("view_count").default(0),
    last_viewed_at: ts("last_viewed_at"),
    favorite_count: integer("favorite_count").default(0),
    is_scheduled: boolean("is_scheduled").default(false),
    schedule_expression: varchar("schedule_expression", { length: 100 }),
    schedule_timezone: varchar("schedule_timezone", { length: 50 }),
    schedule_recipients: json("schedule_recipients"),
    schedule_format: varchar("schedule_format", { length: 20 }),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    last_modified_by: uuid("last_modified_by"),
  },
  (t) => [
    check("valid_entity", inList(t.entity, E.VIEW_ENTITIES)),
    check("valid_visibility", inList(t.visibility, E.VIEW_VISIBILITIES)),
    index("idx_view_owner").on(t.owner_user_id),
    index("idx_view_entity").on(t.entity),
    index("idx_view_visibility").on(t.visibility),
    index("idx_view_created_by").on(t.created_by),
  ],
);

export const scheduledReports = pgTable(
  "scheduled_reports",
  {
    schedule_id: uuid("schedule_id").primaryKey().defaultRandom(),
    report_name: varchar("report_name", { length: 255 }).notNull(),
    description: text("description"),
    saved_view_id: uuid("saved_view_id").references(() => savedViews.view_id, { onDelete: "cascade" }),
    report_template: varchar("report_template", { length: 50 }),
    schedule_expression: varchar("schedule_expression", { length: 100 }).notNull(),
    timezone: varchar("timezone", { length: 50 }).default("America/New_York"),
    trigger_on_threshold: boolean("trigger_on_threshold").default(false),
    threshold_condition: jsonb("threshold_condition"),
    delivery_method: varchar("delivery_method", { length: 50, enum: E.DELIVERY_METHODS }).notNull(),
    recipients: jsonb("recipients").notNull(),
    cc_recipients: jsonb("cc_recipients"),
    format: varchar("format", { length: 20, enum: E.REPORT_FORMATS }).default("pdf"),
    include_charts: boolean("include_charts").default(true),
    include_raw_data: boolean("include_raw_data").default(false),
    is_active: boolean("is_active").default(true),
    last_run_at: ts("last_run_at"),
    last_run_status: varchar("last_run_status", { length: 50 }),
    last_run_error: text("last_run_error"),
    next_run_at: ts("next_run_at"),
    run_count: integer("run_count").default(0),
    created_at: ts("created_at").defaultNow(),
    created_by: uuid("created_by"),
    updated_at: ts("updated_at").defaultNow(),
  },
  (t) => [
    check("valid_delivery_method", inList(t.delivery_method, E.DELIVERY_METHODS)),
    check("valid_format", inList(t.format, E.REPORT_FORMATS)),
    index("idx_report_active").on(t.is_active).where(sql`is_active = TRUE`),
    index("idx_report_next_run").on(t.next_run_at),
    index("idx_report_view").on(t.saved_view_id),
  ],
);

/**
 * Not in the seed (it keeps only the last run on scheduled_reports): one row per report run, on demand,
 * scheduled or from the CLI, with what it produced and where it went (docs/reports.md).
 */
export const reportRuns = pgTable(
  "report_runs",
  {
    run_id: uuid("run_id").primaryKey().defaultRandom(),
    schedule_id: uuid("schedule_id").references(() => scheduledReports.schedule_id, { onDelete: "set null" }),
    report_kind: varchar("report_kind", { length: 50 }).notNull(),
    format: varchar("format", { length: 20, enum: E.REPORT_FORMATS }).notNull(),
    trigger: varchar("trigger", { length: 20, enum: E.REPORT_RUN_TRIGGERS }).notNull(),
    requested_by: uuid("requested_by"),
    period_start: ts("period_start"),
    period_end: ts("period_end"),
    started_at: ts("started_at").notNull().defaultNow(),
    finished_at: ts("finished_at"),
    status: varchar("status", { length: 20, enum: E.REPORT_RUN_STATUSES }).notNull().default("running"),
    row_count: integer("row_count"),
    file_name: varchar("file_name", { length: 255 }),
    file_bytes: integer("file_bytes"),
    file_sha256: varchar("file_sha256", { length: 64 }),
    recipients: jsonb("recipients"),
    error: text("error"),
  },
  (t) => [
    check("valid_report_run_format", inList(t.format, E.REPORT_FORMATS)),
    check("valid_report_run_trigger", inList(t.trigger, E.REPORT_RUN_TRIGGERS)),
    check("valid_report_run_status", inList(t.status, E.REPORT_RUN_STATUSES)),
    index("idx_report_run_started").on(t.started_at.desc()),
    index("idx_report_run_schedule").on(t.schedule_id),
  ],
);

export const roles = pgTable(
  "roles",
  {
    role_id: uuid("role_id").primaryKey().defaultRandom(),
    role_name: varchar("role_name", { length: 100 }).notNull().unique(),
    role_slug: varchar("role_slug", { length: 50 }).notNull().unique(),
    description: text("description"),
    is_system_role: boolean("is_system_role").default(false),
    permissions: jsonb("permissions").notNull().default([]),
    inherits_from: uuid("inherits_from").references((): AnyPgColumn => roles.role_id),
    created_at: ts("created_at").defaultNow(),
    updated_at: ts("updated_at").defaultNow(),
    created_by: uuid("created_by"),
  },
  (t) => [index("idx_role_slug").on(t.role_slug)],
);

export const userRoleAssignments = pgTable(
  "user_role_assignments",
  {
    assignment_id: uuid("assignment_id").primaryKey().defaultRandom(),
    user_id: uuid("user_id").notNull(),
    role_id: uuid("role_id")
      .notNull()
      .references(() => roles.role_id, { onDelete: "cascade" }),
    scope_type: varchar("scope_type", { length: 50, enum: E.SCOPE_TYPES }).notNull(),
    scope_id: uuid("scope_id").notNull(),
    granted_by: uuid("granted_by"),
    granted_at: ts("granted_at").defaultNow(),
    expires_at: ts("expires_at"),
    is_active: boolean("is_active").default(true),
    revoked_at: ts("revoked_at"),
    revoked_by: uuid("revoked_by"),
    created_at: ts("created_at").defaultNow(),
  },
  (t) => [
    check("valid_scope_type", inList(t.scope_type, E.SCOPE_TYPES)),
    unique("user_role_assignments_user_id_role_id_scope_type_scope_id_key").on(
      t.user_id,
      t.role_id,
      t.scope_type,
      t.scope_id,
    ),
    index("idx_assignment_user").on(t.user_id),
    index("idx_assignment_role").on(t.role_id),
    index("idx_assignment_scope").on(t.scope_type, t.scope_id),
    index("idx_assignment_active").on(t.is_active).where(sql`is_active = TRUE`),
  ],
);

// ----------------------------------------------------------------------------------------------------
// Not in the seed: what the cabinets need from the cloud and what sync needs to stay exactly-once.
// ----------------------------------------------------------------------------------------------------

/**
 * Badge and PIN of the people who use cabinets: a SHA-256 digest of the badge and a salted scrypt of the
 * PIN (`shared/credential-hash.ts`); each cabinet gets them keyed with its own key. Plaintext never
 * reaches the database or a cabinet. `user_number` is typed before the PIN at the cabinet.
 */
export const accessCredentials = pgTable("access_credentials", {
  user_id: uuid("user_id").primaryKey(),
  display_name: varchar("display_name", { length: 200 }).notNull(),
  email: varchar("email", { length: 255 }),
  badge_hash: varchar("badge_hash", { length: 128 }).unique(),
  pin_hash: varchar("pin_hash", { length: 128 }),
  user_number: integer("user_number").unique(),
  status: varchar("status", { length: 20 }).notNull().default("active"),
  updated_at: ts("updated_at").notNull().defaultNow(),
});

/** Small per-tenant settings, e.g. the credential key the cabinets hash badges with. */
export const tenantSettings = pgTable("tenant_settings", {
  key: varchar("key", { length: 100 }).primaryKey(),
  value: text("value").notNull(),
  updated_at: ts("updated_at").notNull().defaultNow(),
});

/**
 * Upload high-water mark per device and change log: a change (device_id, log_id, seq) at or below it
 * has been applied. Written in the same transaction as the changes it covers.
 */
export const deviceSyncState = pgTable("device_sync_state", {
  device_id: uuid("device_id").primaryKey(),
  log_id: uuid("log_id").notNull(),
  last_seq: bigint("last_seq", { mode: "number" }).notNull().default(0),
  changes_applied: bigint("changes_applied", { mode: "number" }).notNull().default(0),
  updated_at: ts("updated_at").notNull().defaultNow(),
});

/**
 * The last link of each hash chain the cloud appends to, locked FOR UPDATE by the chaining trigger so
 * that concurrent writers take turns (docs/audit.md). Written only by that trigger.
 */
export const auditChainHeads = pgTable(
  "audit_chain_heads",
  {
    table_name: varchar("table_name", { length: 63 }).notNull(),
    chain_id: varchar("chain_id", { length: 80 }).notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    hash: varchar("hash", { length: 64 }).notNull(),
    updated_at: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.table_name, t.chain_id] })],
);

/** Signed snapshots of chain heads: a later rewrite of a chain no longer matches them. */
export const auditCheckpoints = pgTable(
  "audit_checkpoints",
  {
    checkpoint_id: uuid("checkpoint_id").primaryKey().defaultRandom(),
    table_name: varchar("table_name", { length: 63 }).notNull(),
    chain_id: varchar("chain_id", { length: 80 }).notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    hash: varchar("hash", { length: 64 }).notNull(),
    at: ts("at").notNull().defaultNow(),
    key_id: varchar("key_id", { length: 64 }).notNull(),
    signature: varchar("signature", { length: 200 }).notNull(),
  },
  (t) => [index("idx_audit_checkpoint_chain").on(t.table_name, t.chain_id, t.seq)],
);

/**
 * Beyond the seed: electronic signatures (21 CFR Part 11 style). Bound to the record by the hash of its
 * content when signed: a later change to the record shows the signature as no longer valid.
 */
export const electronicSignatures = pgTable(
  "electronic_signatures",
  {
    signature_id: uuid("signature_id").primaryKey().defaultRandom(),
    record_type: varchar("record_type", { length: 50, enum: E.SIGNED_RECORD_TYPES }).notNull(),
    record_id: uuid("record_id").notNull(),
    signer_user_id: uuid("signer_user_id").notNull(),
    signer_name: varchar("signer_name", { length: 255 }).notNull(),
    meaning: varchar("meaning", { length: 20, enum: E.SIGNATURE_MEANINGS }).notNull(),
    reason: text("reason"),
    signed_at: ts("signed_at").notNull().defaultNow(),
    record_hash: varchar("record_hash", { length: 64 }).notNull(),
    /** The audit event that records the signing. */
    event_id: uuid("event_id")
      .notNull()
      .references(() => unifiedEventLog.event_id),
  },
  (t) => [
    check("valid_signed_record_type", inList(t.record_type, E.SIGNED_RECORD_TYPES)),
    check("valid_signature_meaning", inList(t.meaning, E.SIGNATURE_MEANINGS)),
    index("idx_signature_record").on(t.record_type, t.record_id),
    index("idx_signature_event").on(t.event_id),
  ],
);

/**
 * Not in the seed: the shelf images a cabinet uploaded, one row per image and cabinet. `image_key` is
 * the SHA-256 of the bytes (what scan_results.image_s3_key and container_transactions.image_s3_key
 * name); the bytes are in the blob store once per organization and hash.
 */
export const evidenceImages = pgTable(
  "evidence_images",
  {
    image_key: varchar("image_key", { length: 64 }).notNull(),
    cabinet_id: uuid("cabinet_id")
      .notNull()
      .references(() => cabinets.cabinet_id, { onDelete: "cascade" }),
    content_type: varchar("content_type", { length: 50 }).notNull(),
    size_bytes: bigint("size_bytes", { mode: "number" }).notNull(),
    uploaded_at: ts("uploaded_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.image_key, t.cabinet_id] })],
);

/**
 * Beyond the seed: an organization's retention periods, where it keeps a record class longer than the
 * default (docs/retention.md). A class without a row keeps its default; no row may go below it.
 */
export const retentionSettings = pgTable(
  "retention_settings",
  {
    record_class: varchar("record_class", { length: 40, enum: E.RECORD_CLASSES }).primaryKey(),
    days: integer("days").notNull(),
    updated_at: ts("updated_at").notNull().defaultNow(),
    updated_by: uuid("updated_by"),
    updated_by_name: varchar("updated_by_name", { length: 255 }),
  },
  (t) => [check("valid_retention_class", inList(t.record_class, E.RECORD_CLASSES))],
);

/** Beyond the seed: a legal hold suspends every deletion of what it covers until it is released. */
export const legalHolds = pgTable(
  "legal_holds",
  {
    hold_id: uuid("hold_id").primaryKey().defaultRandom(),
    scope_type: varchar("scope_type", { length: 20, enum: E.HOLD_SCOPES }).notNull(),
    scope_id: uuid("scope_id").notNull(),
    reason: text("reason").notNull(),
    placed_by: uuid("placed_by"),
    placed_by_name: varchar("placed_by_name", { length: 255 }).notNull(),
    placed_at: ts("placed_at").notNull().defaultNow(),
    released_by: uuid("released_by"),
    released_by_name: varchar("released_by_name", { length: 255 }),
    released_at: ts("released_at"),
    release_reason: text("release_reason"),
  },
  (t) => [
    check("valid_hold_scope", inList(t.scope_type, E.HOLD_SCOPES)),
    index("idx_legal_hold_active").on(t.scope_type, t.scope_id).where(sql`released_at IS NULL`),
  ],
);

/**
 * Beyond the seed: the link an audit row leaves in its hash chain when retention deletes it (its place,
 * previous hash and hash), with the SHA-256 of the archive file that holds its content, so the chain
 * still verifies end to end. Written only by the retention functions (0010_retention_functions.sql).
 */
export const auditPrunedLinks = pgTable(
  "audit_pruned_links",
  {
    table_name: varchar("table_name", { length: 63 }).notNull(),
    row_id: uuid("row_id").notNull(),
    chain_id: varchar("chain_id", { length: 80 }).notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    prev_hash: varchar("prev_hash", { length: 64 }).notNull(),
    row_hash: varchar("row_hash", { length: 64 }).notNull(),
    record_class: varchar("record_class", { length: 40 }).notNull(),
    archive_sha256: varchar("archive_sha256", { length: 64 }).notNull(),
    pruned_at: ts("pruned_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.table_name, t.row_id] }),
    index("idx_pruned_chain").on(t.table_name, t.chain_id, t.seq),
  ],
);
