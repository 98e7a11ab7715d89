// Controlled substances at the cabinet (docs/controlled-substances.md). Called by the scan in its own
// SQLite transaction:
// - every access to a controlled container (checkout, return, move, count) is an access event filed
//   under `controlled_substance`, and each person who authenticated at the door signs it: one
//   `electronic_signature` event per person ("performed" by the first, "witnessed" by the second),
//   binding the access event's content hash. Both are links of the cabinet's hash chain and sync up.
// - a controlled container the scan misses with nobody to answer for it is a theft/loss alert at once,
//   carrying the facts of a DEA Form 106 and the shelf images before and after.
import { eventRecordHash } from "../../shared/audit/audit-hash.js";
import type { SignatureMeaning } from "../../shared/enums.js";
import { alertIdFor } from "../../shared/safety/safety-rules.js";
import type { CabinetScope } from "../auth/auth.service.js";
import type { LocalDb } from "../db/local-database.js";
import type { DoorAuthentication } from "../event-bus.js";
import type { AlertRepository, AlertRow } from "../safety/alert.repository.js";
import { recordEvent } from "../session/event-recorder.js";
import type { ControlledContainer, ControlledRepository } from "./controlled.repository.js";

export const CONTROLLED = { audit_category: "controlled_substance", regulation: "DEA_21_CFR_1304" } as const;

export type ControlledAccessKind = "checkout" | "return" | "transfer" | "count";

export interface ControlledAccess {
  container_id: string;
  access: ControlledAccessKind;
  shelf: number;
  /** The container_transactions row the access filed, when it filed one. */
  transaction_id?: string;
  session_id?: string;
  authentication?: DoorAuthentication;
  /** The shelf image that shows it. */
  image?: string;
}

/** The facts a DEA Form 106 (theft or significant loss) asks for, as the cabinet knows them. */
export interface Form106Facts {
  registrant_org_id: string;
  substance: string;
  dea_schedule: string;
  cas_number: string | null;
  quantity: string;
  unit: string;
  strength: string | null;
  container_id: string;
  qr_code: string;
  last_seen: { scan_id: string; at: string; shelf: number } | null;
  last_accessed_by: { user_id: string; name: string | null; transaction: string; at: string | null } | null;
  cabinet: {
    cabinet_id: string;
    name: string | null;
    code: string | null;
    location: string | null;
    lab_id: string;
  };
  shelf: number;
  discovered_at: string;
  discovered_by_scan: string | null;
}

const meaningOf = (i: number): SignatureMeaning => (i === 0 ? "performed" : "witnessed");

export class ControlledSubstanceService {
  constructor(
    private readonly deps: { scope: CabinetScope; repo: ControlledRepository; alerts: AlertRepository },
  ) {}

  holdsControlled(db: LocalDb): boolean {
    return this.deps.repo.holdsControlled(db);
  }

  /** Records a signed access when the container is controlled; returns the access event's id. */
  recordAccess(db: LocalDb, a: ControlledAccess): string | undefined {
    const { scope, repo } = this.deps;
    const c = repo.controlled(db, a.container_id);
    if (!c) return undefined;
    const signers = a.authentication?.users ?? [];
    const names = signers.map((u) => u.display_name).join(" and ");
    const record = recordEvent(db, scope, {
      type: "transaction",
      category: "inventory",
      action: "controlled_access",
      severity: signers.length ? "info" : "warning",
      user: signers[0],
      shelf: a.shelf,
      session_id: a.session_id,
      container: c,
      image: a.image,
      // An access nobody authenticated for (a forced door, a scheduled scan) is unsigned: someone must look.
      requires_review: signers.length === 0,
      compliance: CONTROLLED,
      summary: `Controlled substance ${a.access}: ${c.chemical_name} (schedule ${c.dea_schedule}, ${c.qr_code}) on shelf ${a.shelf}${names ? `, by ${names}` : ", unsigned: nobody authenticated"}`,
      details: {
        access: a.access,
        transaction_id: a.transaction_id ?? null,
        dea_schedule: c.dea_schedule,
        quantity: c.quantity,
        unit: c.unit,
        strength: strength(c),
        signers: signers.map((u, i) => ({ user_id: u.user_id, meaning: meaningOf(i) })),
      },
    });
    const hash = eventRecordHash(record as Record<string, unknown>);
    signers.forEach((u, i) => {
      recordEvent(db, scope, {
        type: "manual",
        category: "user_action",
        action: "electronic_signature",
        user: u,
        session_id: a.session_id,
        container: c,
        related_event_id: record.event_id,
        compliance: CONTROLLED,
        summary: `${u.display_name} signed the ${a.access} of ${c.chemical_name} as ${meaningOf(i)} (${a.authentication!.method} at the cabinet)`,
        details: {
          record_type: "controlled_substance_access",
          record_id: record.event_id,
          meaning: meaningOf(i),
          record_hash: hash,
          method: a.authentication!.method,
          authenticated_at: a.authentication!.at.toISOString(),
        },
      });
    });
    return record.event_id;
  }

  /**
   * A controlled container the scan did not see, with no checkout: a theft/loss alert, once per time
   * it goes missing (its id comes from the container and when it was last seen).
   */
  raiseTheftLoss(
    db: LocalDb,
    m: { container_id: string; shelf: number; scan_id?: string; image?: string; at: Date },
  ): AlertRow | undefined {
    const { scope, repo, alerts } = this.deps;
    const c = repo.controlled(db, m.container_id);
    if (!c) return undefined;
    const seen = repo.lastSeenScan(db, c.qr_code);
    const alertId = alertIdFor(
      `theft-loss:${c.container_id}:${seen?.scan_id ?? c.last_detected?.toISOString() ?? ""}`,
    );
    if (alerts.exists(db, alertId)) return undefined;
    const last = repo.lastTransaction(db, c.container_id);
    const cabinet = repo.cabinet(db);
    const lastAt = last?.actual_return_timestamp ?? last?.checkout_timestamp ?? last?.created_at;
    const facts: Form106Facts = {
      registrant_org_id: scope.org_id,
      substance: c.chemical_name,
      dea_schedule: c.dea_schedule,
      cas_number: c.cas_number,
      quantity: c.quantity,
      unit: c.unit,
      strength: strength(c),
      container_id: c.container_id,
      qr_code: c.qr_code,
      last_seen: seen ? { scan_id: seen.scan_id, at: seen.at.toISOString(), shelf: seen.shelf } : null,
      last_accessed_by: last
        ? {
            user_id: last.user_id,
            name: last.user_name,
            transaction: last.transaction_type,
            at: lastAt ? lastAt.toISOString() : null,
          }
        : null,
      cabinet: {
        cabinet_id: scope.cabinet_id,
        name: cabinet?.cabinet_name ?? null,
        code: cabinet?.cabinet_code ?? null,
        location: cabinet?.precise_location ?? cabinet?.description ?? null,
        lab_id: scope.lab_id,
      },
      shelf: m.shelf,
      discovered_at: m.at.toISOString(),
      discovered_by_scan: m.scan_id ?? null,
    };
    const images = [m.image, seen?.image_key].filter((k): k is string => Boolean(k));
    const alert = alerts.insert(db, {
      alert_id: alertId,
      cabinet_id: scope.cabinet_id,
      lab_id: scope.lab_id,
      shelf_id: m.shelf,
      alert_type: "theft_loss",
      severity: "critical",
      detected_at: m.at,
      detection_method: "computer_vision",
      scan_id: m.scan_id,
      container_id: c.container_id,
      title: `Controlled substance missing: ${c.chemical_name} (schedule ${c.dea_schedule})`,
      description: `${c.chemical_name} (${c.qr_code}, ${c.quantity} ${c.unit}) is not on shelf ${m.shelf} and nobody checked it out. Last seen ${facts.last_seen ? `${facts.last_seen.at} on shelf ${facts.last_seen.shelf}` : "never"}; last handled by ${facts.last_accessed_by?.name ?? "nobody on record"}.`,
      affected_area_description: `Shelf ${m.shelf}`,
      affected_containers: [c.container_id],
      image_references: [...new Set(images)],
      sensor_data: { form_106: facts },
      action_required:
        "Search the cabinet and lab; if it is not found, report the theft or loss to the DEA within one business day (Form 106) and to local police.",
      requires_regulatory_report: true,
      status: "open",
    });
    recordEvent(db, scope, {
      type: "safety",
      category: "safety",
      action: "theft_loss",
      severity: "critical",
      shelf: m.shelf,
      container: c,
      image: m.image,
      requires_review: true,
      compliance: CONTROLLED,
      summary: alert.title,
      details: { alert_id: alert.alert_id, form_106: facts },
    });
    return alert;
  }
}

function strength(c: ControlledContainer): string | null {
  return c.concentration
    ? `${c.concentration}${c.concentration_unit ? ` ${c.concentration_unit}` : ""}`
    : null;
}
