// Writes one step of cabinet life into the local unified_event_log, with its outbox row, in the
// caller's SQLite transaction.
import type { AuditCategory, EventSeverity } from "../../shared/enums.js";
import type { AuthorizedUser, CabinetScope } from "../auth/auth.service.js";
import { insertRecorded } from "../db/change-recorder.js";
import type { LocalDb } from "../db/local-database.js";
import { unifiedEventLog } from "../db/schema.js";

export type EventType = "access" | "transaction" | "scan" | "safety" | "hardware" | "manual" | "system";
export type EventCategory = "inventory" | "safety" | "maintenance" | "user_action" | "system";

export interface CabinetEvent {
  type: EventType;
  category: EventCategory;
  /** Machine-readable step, e.g. `auth_denied`, `door_opened`, `checkout`. */
  action: string;
  summary: string;
  severity?: EventSeverity;
  session_id?: string;
  user?: AuthorizedUser;
  shelf?: number;
  container?: { container_id: string; qr_code: string; chemical_name: string; cas_number: string | null };
  details?: Record<string, unknown>;
  requires_review?: boolean;
  /** The key of the shelf image that shows it (see appliance/scan/evidence.store.ts). */
  image?: string;
  /** The event this one is about (a signature's signed record). */
  related_event_id?: string;
  /** Files the event in the cloud's compliance_audit_log under this category (docs/audit.md). */
  compliance?: { audit_category: AuditCategory; regulation: string };
}

export function recordEvent(db: LocalDb, scope: CabinetScope, e: CabinetEvent) {
  return insertRecorded(db, unifiedEventLog, {
    event_type: e.type,
    event_category: e.category,
    severity: e.severity ?? "info",
    lab_id: scope.lab_id,
    cabinet_id: scope.cabinet_id,
    shelf_id: e.shelf,
    user_id: e.user?.user_id,
    user_name: e.user?.display_name,
    user_role: e.user?.role,
    container_id: e.container?.container_id,
    qr_code: e.container?.qr_code,
    chemical_name: e.container?.chemical_name,
    cas_number: e.container?.cas_number,
    event_details: { action: e.action, ...(e.session_id ? { session_id: e.session_id } : {}), ...e.details },
    changes_summary: e.summary,
    workflow_id: e.session_id,
    requires_review: e.requires_review ?? false,
    image_reference: e.image,
    related_event_id: e.related_event_id,
    compliance_flags: e.compliance,
    dea_relevant: e.compliance?.audit_category === "controlled_substance",
  });
}
