// After a scan: the chemical safety rules over this cabinet's containers, and the spill and breakage the
// scan saw above their thresholds. Each new alert is written with its outbox row in one transaction; a condition already alerted (same id, or the same release still open on the shelf) is not
// raised again.
import { randomUUID } from "node:crypto";
import { releaseSeverity } from "../../shared/safety/alert-severity.js";
import {
  evaluateSafetyRules,
  findingRow,
  type RuleCabinet,
  type RuleContainer,
} from "../../shared/safety/safety-rules.js";
import type { CabinetScope } from "../auth/auth.service.js";
import type { LocalDatabase, LocalDb } from "../db/local-database.js";
import type { AlertRepository, AlertRow, NewAlert, ScanRow } from "./alert.repository.js";

export interface ReleaseThresholds {
  /** Spill confidence from which a scan raises a spill alert. */
  spill: number;
  /** Breakage confidence from which a scan raises a breakage alert. */
  breakage: number;
}

/** The region a detector reported, in words for people who read the alert. */
function regionText(shelf: number, region: unknown): string {
  const r = region as { x?: unknown; y?: unknown; w?: unknown; h?: unknown } | null;
  if (r && [r.x, r.y, r.w, r.h].every((v) => typeof v === "number")) {
    return `Shelf ${shelf}, region x=${r.x} y=${r.y} ${r.w}×${r.h} px of the shelf image`;
  }
  return `Shelf ${shelf}`;
}

export class SafetyCheckService {
  constructor(
    private readonly deps: {
      local: LocalDatabase;
      scope: CabinetScope;
      alerts: AlertRepository;
      thresholds: ReleaseThresholds;
      now?: () => Date;
    },
  ) {}

  /** Runs every check for the scans just stored; returns the alerts it raised. */
  afterScan(scanIds: string[]): AlertRow[] {
    const { local, alerts } = this.deps;
    const now = this.deps.now?.() ?? new Date();
    return local.transaction((db) => {
      const cabinet = alerts.cabinet(db);
      if (!cabinet) return [];
      const containers = alerts.containers(db);
      const rows = [
        ...evaluateSafetyRules(cabinet, containers, now.toISOString().slice(0, 10))
          .filter((f) => !alerts.exists(db, f.alert_id))
          .map((f) => findingRow(cabinet, f, now)),
        ...alerts.scans(db, scanIds).flatMap((scan) => this.releases(db, cabinet, containers, scan, now)),
      ];
      return rows.map((row) => this.raise(db, row));
    });
  }

  private releases(
    db: LocalDb,
    cabinet: RuleCabinet,
    containers: RuleContainer[],
    scan: ScanRow,
    now: Date,
  ): NewAlert[] {
    const { thresholds, alerts } = this.deps;
    const onShelf = containers.filter((c) => c.shelf_level === scan.shelf_id && c.status === "in_cabinet");
    const seen = [
      {
        type: "spill" as const,
        detected: scan.spill_detected,
        confidence: Number(scan.spill_confidence ?? 0),
        threshold: thresholds.spill,
        region: scan.spill_location,
      },
      {
        type: "breakage" as const,
        detected: scan.breakage_detected,
        confidence: Number(scan.breakage_confidence ?? 0),
        threshold: thresholds.breakage,
        region: scan.spill_location,
      },
    ];
    return seen
      .filter((s) => s.detected && s.confidence >= s.threshold)
      .filter((s) => !alerts.activeOnShelf(db, s.type, scan.shelf_id))
      .map((s) => ({
        alert_id: randomUUID(),
        cabinet_id: cabinet.cabinet_id,
        lab_id: cabinet.lab_id,
        shelf_id: scan.shelf_id,
        alert_type: s.type,
        hazard_type: s.type,
        severity: releaseSeverity(onShelf),
        detected_at: now,
        detection_method: "computer_vision",
        confidence: s.confidence.toFixed(4),
        scan_id: scan.scan_id,
        title: `${s.type === "spill" ? "Spill" : "Broken container"} on shelf ${scan.shelf_id}`,
        description: `The scan of shelf ${scan.shelf_id} saw ${s.type === "spill" ? "a spill" : "broken glass"} (confidence ${s.confidence.toFixed(2)}).`,
        affected_area_description: regionText(scan.shelf_id, s.region),
        affected_containers: onShelf.map((c) => c.container_id),
        image_references: scan.image_s3_key ? [scan.image_s3_key] : [],
        sensor_data: { region: s.region ?? null, confidence: s.confidence, threshold: s.threshold },
        action_required:
          "Keep the cabinet closed, ventilate, and clean up with the spill kit for the shelf's chemicals.",
        status: "open" as const,
      }));
  }

  private raise(db: LocalDb, row: NewAlert): AlertRow {
    return this.deps.alerts.insert(db, row);
  }
}
