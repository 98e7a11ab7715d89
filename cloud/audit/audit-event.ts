// The cloud's side of the audit trail: one call records who did what, when, where, the old and new
// values and the reason, in the caller's tenant transaction, so the change and its record commit
// together. The chaining trigger links the row; a regulated `audit_category` also files it in
// compliance_audit_log (0005_audit_chain.sql).
import type { AuditCategory, EventSeverity } from "../../shared/enums.js";
import type { Tx } from "../db/database.js";
import { auditRepository, type EventRow } from "./audit.repository.js";

export interface AuditActor {
  user_id?: string | null;
  name?: string | null;
  role?: string | null;
}

/** Where a request came from. */
export interface AuditOrigin {
  ip_address?: string | null;
  user_agent?: string | null;
  request_id?: string | null;
  api_endpoint?: string | null;
}

export interface AuditedAction {
  /** Machine-readable step, e.g. `sign_in`, `cabinet_created`, `lock_command`, `audit_export`. */
  action: string;
  type: "access" | "transaction" | "scan" | "safety" | "hardware" | "manual" | "system";
  category: "inventory" | "safety" | "maintenance" | "user_action" | "system";
  summary: string;
  actor?: AuditActor;
  origin?: AuditOrigin;
  cabinet_id?: string | null;
  lab_id?: string | null;
  container_id?: string | null;
  old_values?: Record<string, unknown> | null;
  new_values?: Record<string, unknown> | null;
  reason?: string | null;
  details?: Record<string, unknown>;
  severity?: EventSeverity;
  /** Files the event in compliance_audit_log too. */
  audit_category?: AuditCategory;
  regulation?: string;
}

export function recordAuditEvent(tx: Tx, a: AuditedAction): Promise<EventRow> {
  return auditRepository.insertEvent(tx, {
    event_type: a.type,
    event_category: a.category,
    severity: a.severity ?? "info",
    cabinet_id: a.cabinet_id,
    lab_id: a.lab_id,
    container_id: a.container_id,
    user_id: a.actor?.user_id,
    user_name: a.actor?.name,
    user_role: a.actor?.role,
    event_details: { action: a.action, ...(a.reason ? { reason: a.reason } : {}), ...a.details },
    old_values: a.old_values,
    new_values: a.new_values,
    changes_summary: a.summary,
    ip_address: a.origin?.ip_address,
    user_agent: a.origin?.user_agent,
    request_id: a.origin?.request_id,
    api_endpoint: a.origin?.api_endpoint,
    compliance_flags: a.audit_category
      ? { audit_category: a.audit_category, ...(a.regulation ? { regulation: a.regulation } : {}) }
      : null,
  });
}
