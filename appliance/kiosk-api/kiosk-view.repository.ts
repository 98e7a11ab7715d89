// What the kiosk shows, read from the cabinet's SQLite: the containers on each shelf with where the
// last scan saw them, the result of the last scan for the technician to confirm, and the alerts.
// Reads only; the kiosk service writes.
import { and, desc, eq, inArray, isNull } from "drizzle-orm";
import type { CodeLocations } from "../../shared/schema/tenant.js";
import type { AuthorizedUser, CabinetScope } from "../auth/auth.service.js";
import type { LocalDatabase } from "../db/local-database.js";
import {
  chemicalInventory,
  containerTransactions,
  evidenceImages,
  localUsers,
  safetyAlerts,
  scanResults,
} from "../db/schema.js";
import type { ScanResultRepository } from "../scan/scan-result.repository.js";

/** A place on a shelf photo, as fractions of the photo (0..1, origin top-left). */
export interface PhotoBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ShelfContainerView {
  container_id: string;
  qr_code: string;
  chemical_name: string;
  cas_number: string | null;
  quantity: string;
  unit: string;
  ghs_pictograms: string[];
  signal_word: string | null;
  expiry_date: string | null;
  /** `expired`, `soon` (within 30 days) or undefined. */
  expiry: "expired" | "soon" | undefined;
  /** Where the last scan read its label; undefined when it was not read. */
  box?: PhotoBox;
}

export interface ShelfView {
  shelf: number;
  scan_id?: string;
  scanned_at?: string;
  containers: ShelfContainerView[];
  /** Label-like places the last scan saw but could not read. */
  unread: PhotoBox[];
}

interface ReviewItem {
  container_id: string;
  qr_code: string;
  chemical_name: string;
  shelf: number;
  /** The checkout or return this item filed, when someone answers for it. */
  transaction_id?: string;
}

export interface Review {
  /** The scan_completed event that ends this review's scan. */
  review_id: string;
  session_id?: string;
  user?: AuthorizedUser;
  at: string;
  confirmed: boolean;
  /** Another session started since: this result is no longer the kiosk's to confirm. */
  superseded: boolean;
  taken: ReviewItem[];
  returned: ReviewItem[];
  moved: (ReviewItem & { from: number })[];
  /** Expected on its shelf, where a label was seen but not read: turn the bottle. */
  unread: (ReviewItem & { scan_id?: string; boxes: PhotoBox[] })[];
  /** L.I.L.O. codes this cabinet does not know yet. */
  unknown: { qr_code: string; shelf: number; scan_id?: string; box?: PhotoBox }[];
}

export interface AlertView {
  alert_id: string;
  alert_type: string;
  severity: string;
  status: string | null;
  title: string;
  description: string | null;
  shelf: number | null;
  detected_at: string;
  acknowledged_at: string | null;
  scan_id?: string;
  box?: PhotoBox;
}

interface EventRow {
  rowid: number;
  event_id: string;
  event_timestamp: string;
  action: string;
  workflow_id: string | null;
  shelf_id: number | null;
  container_id: string | null;
  qr_code: string | null;
  chemical_name: string | null;
  user_id: string | null;
  user_name: string | null;
  user_role: string | null;
  details: string | null;
}

const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export class KioskViewRepository {
  constructor(
    private readonly local: LocalDatabase,
    private readonly scope: CabinetScope,
    private readonly scans: ScanResultRepository,
  ) {}

  /** Every shelf's containers in the cabinet, placed where the shelf's last completed scan read them. */
  shelves(shelfNumbers: readonly number[], now = new Date()): ShelfView[] {
    const { db } = this.local;
    const rows = db
      .select()
      .from(chemicalInventory)
      .where(
        and(
          eq(chemicalInventory.cabinet_id, this.scope.cabinet_id),
          eq(chemicalInventory.status, "in_cabinet"),
        ),
      )
      .orderBy(chemicalInventory.chemical_name)
      .all();
    return shelfNumbers.map((shelf) => {
      const scan = this.scans.latest(db, shelf);
      const size = resolution(scan?.image_resolution);
      const boxes = new Map(
        (scan?.code_locations?.read ?? []).map((r) => [r.text, size && cornersBox(r.corners, size)]),
      );
      return {
        shelf,
        scan_id: scan?.scan_id,
        scanned_at: scan?.scan_timestamp.toISOString(),
        unread: size ? (scan?.code_locations?.unread ?? []).map((b) => scaled(b, size)) : [],
        containers: rows
          .filter((r) => r.shelf_level === shelf)
          .map((r) => ({
            container_id: r.container_id,
            qr_code: r.qr_code,
            chemical_name: r.chemical_name,
            cas_number: r.cas_number,
            quantity: r.quantity,
            unit: r.unit,
            ghs_pictograms: (r.ghs_pictograms as string[] | null) ?? [],
            signal_word: r.signal_word,
            expiry_date: r.expiry_date,
            expiry: expiryOf(r.expiry_date, now),
            box: boxes.get(r.qr_code) ?? undefined,
          })),
      };
    });
  }

  /** The latest scan's outcome for the technician: what changed and what needs a hand. */
  latestReview(): Review | undefined {
    const done = this.eventsWhere("action = 'scan_completed'", [], "DESC", 2);
    const last = done[0];
    if (!last) return undefined;
    const after = done[1]?.rowid ?? 0;
    // What needs a hand is the latest scan's; what changed is the whole session's, over any re-scans.
    const needsHand = this.local.sqlite
      .prepare(
        `${EVENT_SELECT} WHERE rowid > ? AND rowid < ? AND json_extract(event_details, '$.action')
         IN ('label_not_read', 'unknown_code') ORDER BY rowid`,
      )
      .all(after, last.rowid) as EventRow[];
    const changes = this.local.sqlite
      .prepare(
        `${EVENT_SELECT} WHERE (rowid > ? OR workflow_id = ?) AND rowid < ? AND json_extract(event_details, '$.action')
         IN ('checkout', 'return', 'transfer') ORDER BY rowid`,
      )
      .all(after, last.workflow_id, last.rowid) as EventRow[];
    const steps = [...changes, ...needsHand];
    const details = JSON.parse(last.details ?? "{}") as { scan_ids?: string[] };
    const scansById = this.scanRows(details.scan_ids ?? []);
    const scanOfShelf = (shelf: number) => [...scansById.values()].find((s) => s.shelf_id === shelf);
    const session = last.workflow_id ?? undefined;
    const txns = session
      ? this.local.db
          .select()
          .from(containerTransactions)
          .where(eq(containerTransactions.workflow_id, session))
          .all()
      : [];
    const item = (e: EventRow, type?: string): ReviewItem => ({
      container_id: e.container_id ?? "",
      qr_code: e.qr_code ?? "",
      chemical_name: e.chemical_name ?? "",
      shelf: e.shelf_id ?? 0,
      transaction_id: txns.find((t) => t.container_id === e.container_id && t.transaction_type === type)
        ?.transaction_id,
    });
    const known = new Set(
      this.local.db
        .select({ qr: chemicalInventory.qr_code })
        .from(chemicalInventory)
        .where(eq(chemicalInventory.cabinet_id, this.scope.cabinet_id))
        .all()
        .map((r) => r.qr),
    );
    const review: Review = {
      review_id: last.event_id,
      session_id: session,
      user: this.userOf(last),
      at: last.event_timestamp,
      confirmed:
        this.eventsWhere("action = 'scan_confirmed' AND json_extract(details, '$.review_id') = ?", [
          last.event_id,
        ]).length > 0,
      superseded:
        this.eventsWhere("rowid > ? AND action IN ('auth_granted', 'door_forced')", [last.rowid]).length > 0,
      taken: [],
      returned: [],
      moved: [],
      unread: [],
      unknown: [],
    };
    for (const e of steps) {
      const shelf = e.shelf_id ?? 0;
      const scan = scanOfShelf(shelf);
      const size = resolution(scan?.image_resolution);
      if (e.action === "checkout") review.taken.push(item(e, "checkout"));
      else if (e.action === "return") review.returned.push(item(e, "return"));
      else if (e.action === "transfer") {
        const t = txns.find((x) => x.container_id === e.container_id && x.transaction_type === "transfer");
        review.moved.push({ ...item(e, "transfer"), from: t?.source_shelf_level ?? 0 });
      } else if (e.action === "label_not_read")
        review.unread.push({
          ...item(e),
          scan_id: scan?.scan_id,
          boxes: size ? (scan?.code_locations?.unread ?? []).map((b) => scaled(b, size)) : [],
        });
      else {
        const qr = (JSON.parse(e.details ?? "{}") as { qr_code?: string }).qr_code;
        if (!qr || known.has(qr)) continue;
        const read = scan?.code_locations?.read.find((r) => r.text === qr);
        review.unknown.push({
          qr_code: qr,
          shelf,
          scan_id: scan?.scan_id,
          box: read && size ? cornersBox(read.corners, size) : undefined,
        });
      }
    }
    return review;
  }

  /** Open and acknowledged alerts of this cabinet, newest first. */
  alerts(): AlertView[] {
    const rows = this.local.db
      .select()
      .from(safetyAlerts)
      .where(
        and(
          eq(safetyAlerts.cabinet_id, this.scope.cabinet_id),
          inArray(safetyAlerts.status, ["open", "acknowledged", "in_progress"]),
        ),
      )
      .orderBy(desc(safetyAlerts.detected_at))
      .limit(50)
      .all();
    const scans = this.scanRows(rows.flatMap((r) => (r.scan_id ? [r.scan_id] : [])));
    return rows.map((r) => {
      const scan = r.scan_id
        ? scans.get(r.scan_id)
        : r.shelf_id
          ? this.scans.latest(this.local.db, r.shelf_id)
          : undefined;
      const size = resolution(scan?.image_resolution);
      return {
        alert_id: r.alert_id,
        alert_type: r.alert_type,
        severity: r.severity,
        status: r.status,
        title: r.title,
        description: r.description,
        shelf: r.shelf_id,
        detected_at: r.detected_at.toISOString(),
        acknowledged_at: r.acknowledged_at?.toISOString() ?? null,
        scan_id: scan?.scan_id,
        // Where the detector put it: on the alert (`sensor_data.location`) or on the scan that found it.
        box: size && scan ? spillBox(locationOf(r.sensor_data) ?? scan.spill_location, size) : undefined,
      };
    });
  }

  openAlertCount(): number {
    return this.local.sqlite
      .prepare("SELECT count(*) FROM safety_alerts WHERE cabinet_id = ? AND status = 'open'")
      .pluck()
      .get(this.scope.cabinet_id) as number;
  }

  alert(alertId: string) {
    return this.local.db
      .select()
      .from(safetyAlerts)
      .where(and(eq(safetyAlerts.alert_id, alertId), eq(safetyAlerts.cabinet_id, this.scope.cabinet_id)))
      .get();
  }

  /** The stored photo of one of this cabinet's scans (scans name images by hash; the file is in evidence_images). */
  photoPath(scanId: string): string | undefined {
    return this.local.db
      .select({ path: evidenceImages.path })
      .from(scanResults)
      .innerJoin(evidenceImages, eq(evidenceImages.image_key, scanResults.image_s3_key))
      .where(
        and(
          eq(scanResults.scan_id, scanId),
          eq(scanResults.cabinet_id, this.scope.cabinet_id),
          isNull(evidenceImages.removed_at),
        ),
      )
      .get()?.path;
  }

  containerByCode(qr: string) {
    return this.local.db.select().from(chemicalInventory).where(eq(chemicalInventory.qr_code, qr)).get();
  }

  transaction(transactionId: string) {
    return this.local.db
      .select()
      .from(containerTransactions)
      .where(eq(containerTransactions.transaction_id, transactionId))
      .get();
  }

  private scanRows(ids: readonly string[]) {
    if (ids.length === 0) return new Map<string, typeof scanResults.$inferSelect>();
    const rows = this.local.db
      .select()
      .from(scanResults)
      .where(and(inArray(scanResults.scan_id, [...ids]), eq(scanResults.cabinet_id, this.scope.cabinet_id)))
      .all();
    return new Map(rows.map((r) => [r.scan_id, r]));
  }

  private eventsWhere(
    where: string,
    params: unknown[],
    order: "ASC" | "DESC" = "DESC",
    limit = 1,
  ): EventRow[] {
    return this.local.sqlite
      .prepare(`SELECT * FROM (${EVENT_SELECT}) WHERE ${where} ORDER BY rowid ${order} LIMIT ${limit}`)
      .all(...params) as EventRow[];
  }

  /** The person a scan was attributed to, as the session recorded them. */
  private userOf(e: EventRow): AuthorizedUser | undefined {
    if (!e.user_id) return undefined;
    const email = this.local.db
      .select({ email: localUsers.email })
      .from(localUsers)
      .where(eq(localUsers.user_id, e.user_id))
      .get()?.email;
    return {
      user_id: e.user_id,
      display_name: e.user_name ?? "",
      email: email ?? null,
      role: e.user_role ?? "",
    };
  }
}

const EVENT_SELECT = `SELECT rowid, event_id, event_timestamp, json_extract(event_details, '$.action') AS action,
  workflow_id, shelf_id, container_id, qr_code, chemical_name, user_id, user_name, user_role,
  event_details AS details FROM unified_event_log`;

function resolution(r: string | null | undefined): { w: number; h: number } | undefined {
  const m = /^(\d+)x(\d+)$/.exec(r ?? "");
  return m ? { w: Number(m[1]), h: Number(m[2]) } : undefined;
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));

function scaled(b: CodeLocations["unread"][number], size: { w: number; h: number }): PhotoBox {
  return { x: clamp(b.x / size.w), y: clamp(b.y / size.h), w: clamp(b.w / size.w), h: clamp(b.h / size.h) };
}

function cornersBox(corners: [number, number][], size: { w: number; h: number }): PhotoBox {
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return scaled({ x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y }, size);
}

/** A spill's place as the detector stores it: a box or a circle, in pixels or fractions of the photo. */
function spillBox(loc: unknown, size: { w: number; h: number }): PhotoBox | undefined {
  if (!loc || typeof loc !== "object") return undefined;
  const l = loc as Record<string, unknown>;
  const n = (k: string) => (typeof l[k] === "number" ? (l[k] as number) : undefined);
  const [x, y, w, h, r] = [n("x"), n("y"), n("w") ?? n("width"), n("h") ?? n("height"), n("radius")];
  if (x === undefined || y === undefined) return undefined;
  const fractions = [x, y, w ?? 0, h ?? 0, r ?? 0].every((v) => v <= 1);
  const sx = fractions ? 1 : size.w;
  const sy = fractions ? 1 : size.h;
  if (r !== undefined)
    return {
      x: clamp(x / sx - r / sx),
      y: clamp(y / sy - r / sy),
      w: clamp((2 * r) / sx),
      h: clamp((2 * r) / sy),
    };
  if (w === undefined || h === undefined) return undefined;
  return { x: clamp(x / sx), y: clamp(y / sy), w: clamp(w / sx), h: clamp(h / sy) };
}

function locationOf(sensorData: unknown): unknown {
  return sensorData && typeof sensorData === "object"
    ? (sensorData as { location?: unknown }).location
    : undefined;
}

function expiryOf(date: string | null, now: Date): ShelfContainerView["expiry"] {
  if (!date) return undefined;
  const t = Date.parse(date);
  if (Number.isNaN(t)) return undefined;
  if (t < now.getTime()) return "expired";
  return t - now.getTime() < EXPIRY_WARNING_DAYS * DAY_MS ? "soon" : undefined;
}
