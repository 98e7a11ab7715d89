// This cabinet's scan_results rows: what each shelf showed, compared with that shelf's previous
// completed scan. Rows and their outbox entries are written in the caller's transaction.
import { and, desc, eq } from "drizzle-orm";
import { isLiloCode } from "../../shared/labels/label-code.js";
import { insertRecorded } from "../db/change-recorder.js";
import type { LocalDb } from "../db/local-database.js";
import { scanResults } from "../db/schema.js";
import type { ScanContext, ShelfObservation } from "./shelf-observation.js";

const fixed = (n: number, digits = 4) => n.toFixed(digits);

export class ScanResultRepository {
  constructor(private readonly cabinetId: string) {}

  /** The latest completed scan of a shelf. */
  latest(db: LocalDb, shelf: number) {
    return db
      .select()
      .from(scanResults)
      .where(
        and(
          eq(scanResults.cabinet_id, this.cabinetId),
          eq(scanResults.shelf_id, shelf),
          eq(scanResults.processing_status, "completed"),
        ),
      )
      .orderBy(desc(scanResults.scan_timestamp))
      .get();
  }

  /** Where each code was last read, from the latest completed scan of each of these shelves. */
  lastShelfOfCodes(db: LocalDb, shelves: readonly number[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const shelf of shelves)
      for (const q of this.latest(db, shelf)?.qr_codes_found ?? []) out.set(q, shelf);
    return out;
  }

  /**
   * Stores one shelf's observation with what was added, removed and moved since the shelf's previous
   * completed scan; codes that are not L.I.L.O. labels are kept as anomalies. Returns the scan id.
   */
  record(
    db: LocalDb,
    s: ShelfObservation,
    ctx: ScanContext,
    lastShelfOf: ReadonlyMap<string, number>,
  ): string {
    const previous = this.latest(db, s.shelf);
    const now = s.codes.map((c) => c.text);
    const before = new Set(previous?.qr_codes_found ?? []);
    const row = insertRecorded(db, scanResults, {
      cabinet_id: this.cabinetId,
      shelf_id: s.shelf,
      scan_timestamp: s.started_at,
      trigger_type: ctx.trigger,
      triggered_by: ctx.triggered_by ?? ctx.user?.user_id,
      image_s3_key: s.image?.image_key ?? "",
      image_size_bytes: s.image?.size_bytes,
      image_resolution: s.resolution,
      processing_status: s.ok ? "completed" : "failed",
      processing_started_at: s.started_at,
      processing_completed_at: new Date(),
      processing_time_ms: s.processing_ms,
      processing_error: s.error,
      containers_detected: now.length,
      qr_codes_found: now,
      qr_detection_confidence: s.codes.map((c) => fixed(c.confidence)),
      image_quality_score: s.quality && fixed(s.quality.image_quality),
      lighting_quality_score: s.quality && fixed(s.quality.lighting_quality),
      focus_quality_score: s.quality && fixed(s.quality.focus_quality),
      previous_scan_id: previous?.scan_id,
      containers_added: s.ok ? now.filter((q) => !before.has(q)) : [],
      containers_removed: s.ok ? [...before].filter((q) => !now.includes(q)) : [],
      containers_moved: now.filter((q) => {
        const prev = lastShelfOf.get(q);
        return prev !== undefined && prev !== s.shelf;
      }),
      code_locations: {
        read: s.codes.map((c) => ({ text: c.text, corners: c.corners })),
        unread: s.unread ?? [],
      },
      spill_detected: s.hazards?.spill.detected ?? false,
      spill_confidence: s.hazards && fixed(s.hazards.spill.confidence),
      spill_location: s.hazards?.spill.box ?? undefined,
      breakage_detected: s.hazards?.breakage.detected ?? false,
      breakage_confidence: s.hazards && fixed(s.hazards.breakage.confidence),
      anomalies_detected: [
        ...s.codes
          .filter((c) => !isLiloCode(c.text))
          .map((c) => ({ kind: "foreign_code", text: c.text, corners: c.corners })),
        ...(["spill", "breakage"] as const).flatMap((kind) => {
          const f = s.hazards?.[kind];
          return f?.detected ? [{ kind, confidence: Number(fixed(f.confidence)), box: f.box }] : [];
        }),
      ],
    });
    return row.scan_id;
  }
}
