// The cabinet's touchscreen, server side: what the screens show (status, shelves, the last scan's
// result, alerts) and what a technician does there (keep the cabinet unlocked, sign out, confirm a
// scan, re-scan, register an unknown container, acknowledge an alert). Every action is an event in
// the log, written with its outbox rows in one SQLite transaction, and goes up with the next sync.

import { isValidCas } from "../../shared/cas.js";
import { AppError } from "../../shared/errors.js";
import type { Logger } from "../../shared/logger.js";
import type { AuthorizedUser, CabinetScope } from "../auth/auth.service.js";
import { PinLockout } from "../auth/pin-lockout.js";
import { insertRecorded, updateRecorded } from "../db/change-recorder.js";
import type { LocalDatabase, LocalDb } from "../db/local-database.js";
import { cabinets, chemicalInventory, containerTransactions, safetyAlerts } from "../db/schema.js";
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { DoorSensor } from "../hardware/door-sensor.js";
import type { Unsubscribe } from "../hardware/listeners.js";
import type { LockController } from "../hardware/lock-controller.js";
import type { ScanService } from "../scan/scan.service.js";
import { type CabinetEvent, recordEvent } from "../session/event-recorder.js";
import type { SessionService } from "../session/session.service.js";
import type { SyncService } from "../sync/sync.service.js";
import type { KioskViewRepository, Review } from "./kiosk-view.repository.js";

/** A scan result older than this is the log's business, no longer the kiosk's to confirm. */
const REVIEW_WINDOW_MS = 30 * 60_000;

export interface CheckoutDetails {
  transaction_id: string;
  purpose?: string;
  experiment_id?: string;
  project_name?: string;
}

export interface ReturnDetails {
  transaction_id: string;
  condition: string;
}

export interface NewContainer {
  qr_code: string;
  chemical_name: string;
  cas_number?: string;
  quantity: number;
  unit: string;
  ghs_pictograms: string[];
  signal_word?: "Danger" | "Warning";
}

export interface KioskDeps {
  local: LocalDatabase;
  scope: CabinetScope;
  session: SessionService;
  door: DoorSensor;
  lock: LockController;
  scans: ScanService;
  bus: EventBus;
  views: KioskViewRepository;
  shelves: readonly number[];
  /** How long an unlocked cabinet waits for its door before it locks and signs the person out. */
  autoRelockMs: number;
  sync?: SyncService;
  logger: Logger;
}

export class KioskService implements ApplianceListener {
  private unlockedAt: number | undefined;
  private rescanning: Promise<unknown> | undefined;
  private readonly lockout: PinLockout;
  private unsubscribe?: Unsubscribe;

  constructor(private readonly deps: KioskDeps) {
    this.lockout = new PinLockout(deps.local.db);
  }

  /** Follows the lock, to tell the person signed in when it will lock again. */
  start(): void {
    if (this.deps.lock.state() === "unlocked") this.unlockedAt = Date.now();
    this.unsubscribe = this.deps.lock.onChange((s) => {
      this.unlockedAt = s === "unlocked" ? Date.now() : undefined;
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  status() {
    const { local, scope, session, door, lock, views, autoRelockMs } = this.deps;
    const cabinet = local.db
      .select()
      .from(cabinets)
      .all()
      .find((c) => c.cabinet_id === scope.cabinet_id);
    const s = session.status();
    const dual = session.dualApproval();
    const now = Date.now();
    const review = this.currentReview();
    return {
      now: new Date(now).toISOString(),
      cabinet: {
        name: cabinet?.cabinet_name ?? "",
        code: cabinet?.cabinet_code ?? "",
        location: cabinet?.precise_location ?? cabinet?.description ?? null,
        dual_approval: dual.required,
        /** It holds a controlled substance: two people, and every access is signed. */
        controlled: dual.controlled,
        shelves: this.deps.shelves,
      },
      door: door.state(),
      lock: lock.state(),
      session: {
        state: s.state,
        users: s.users.map((u) => ({ display_name: u.display_name, role: u.role })),
        // The door not opened by then, the cabinet locks and the person is signed out.
        relock_at:
          s.state === "unlocked" && this.unlockedAt !== undefined && autoRelockMs > 0
            ? new Date(this.unlockedAt + autoRelockMs).toISOString()
            : null,
      },
      pin_locked_until: ((t) => (t ? new Date(t).toISOString() : null))(this.lockout.lockedUntil(now)),
      alerts_open: views.openAlertCount(),
      review:
        review && !review.confirmed ? { review_id: review.review_id, items: reviewItems(review) } : null,
      sync: this.syncState(),
    };
  }

  /** Whether the cloud is reachable, when this cabinet last synced, and what waits to go up. */
  syncState() {
    const status = this.deps.sync?.status();
    if (!status) return { mode: "standalone" as const, online: false, last_sync: null, pending: 0 };
    return {
      mode: "cloud" as const,
      // Online: the cloud has answered (an upload or a downlink) since the last failed attempt.
      online:
        status.last_contact_at !== undefined &&
        (!status.last_error || (status.last_error_at ?? "") < status.last_contact_at),
      last_sync: status.last_contact_at ?? null,
      pending: status.pending,
    };
  }

  /** The last scan's result while it is still the kiosk's to confirm. */
  currentReview(): Review | undefined {
    const review = this.deps.views.latestReview();
    if (!review || review.superseded || Date.now() - Date.parse(review.at) > REVIEW_WINDOW_MS)
      return undefined;
    return review;
  }

  /** "Open cabinet": unlocks again (restarting the relock timer) for the person signed in. */
  async open(): Promise<{ relock_at: string | null }> {
    const user = this.signedIn();
    const { session, lock } = this.deps;
    if (session.status().state === "open") throw new AppError("conflict", "the door is already open");
    await lock.unlock();
    // Unlocking an unlocked lock changes no state, but restarts its relock timer.
    this.unlockedAt = Date.now();
    this.record({
      type: "hardware",
      category: "user_action",
      action: "kiosk_open",
      user,
      session_id: session.status().session_id,
      summary: `${user.display_name} opened the cabinet at the kiosk`,
    });
    return { relock_at: this.status().session.relock_at };
  }

  /** Signs the person out; an unlocked cabinet locks at once (the session ends unused). */
  async signOut(reason: "button" | "inactivity"): Promise<void> {
    const { session, lock } = this.deps;
    const s = session.status();
    if (s.state === "open") throw new AppError("conflict", "close the door to sign out");
    if (s.state !== "unlocked") return;
    const user = s.users[0];
    this.record({
      type: "access",
      category: "user_action",
      action: "kiosk_sign_out",
      user,
      session_id: s.session_id,
      summary: `${user?.display_name ?? "Someone"} signed out at the kiosk${reason === "inactivity" ? " (inactive)" : ""}`,
      details: { reason },
    });
    await lock.lock();
  }

  /** The technician confirms the scan's result, adding what the checkouts were for and how returns came back. */
  confirm(body: { review_id: string; checkouts: CheckoutDetails[]; returns: ReturnDetails[] }): Review {
    const review = this.reviewFor(body.review_id);
    if (review.confirmed) throw new AppError("conflict", "this scan result is already confirmed");
    const ids = (items: { transaction_id?: string }[]) => new Set(items.map((i) => i.transaction_id));
    const checkouts = ids(review.taken);
    const returns = ids(review.returned);
    const fields: Record<string, string> = {};
    body.checkouts.forEach((c, i) => {
      if (!checkouts.has(c.transaction_id))
        fields[`checkouts.${i}.transaction_id`] = "not a checkout of this scan";
    });
    body.returns.forEach((r, i) => {
      if (!returns.has(r.transaction_id)) fields[`returns.${i}.transaction_id`] = "not a return of this scan";
    });
    if (Object.keys(fields).length > 0)
      throw new AppError("validation_failed", "unknown transactions", fields);
    const at = new Date();
    this.deps.local.transaction((db) => {
      for (const c of body.checkouts)
        updateRecorded(db, containerTransactions, c.transaction_id, {
          purpose: c.purpose ?? null,
          experiment_id: c.experiment_id ?? null,
          project_name: c.project_name ?? null,
          updated_at: at,
        });
      for (const r of body.returns)
        updateRecorded(db, containerTransactions, r.transaction_id, {
          return_condition: r.condition,
          updated_at: at,
        });
      this.recordIn(db, {
        type: "transaction",
        category: "user_action",
        action: "scan_confirmed",
        user: review.user,
        session_id: review.session_id,
        summary: `${review.user?.display_name ?? "The technician"} confirmed the scan: ${review.taken.length} taken, ${review.returned.length} returned, ${review.moved.length} moved`,
        details: {
          review_id: review.review_id,
          checkouts: body.checkouts,
          returns: body.returns.map((r) => ({ transaction_id: r.transaction_id, condition: r.condition })),
        },
      });
    });
    this.deps.sync?.kick();
    return this.deps.views.latestReview()!;
  }

  /** Scans again for the same session (a bottle was turned): what changed is attributed as before. */
  async rescan(reviewId: string): Promise<Review> {
    const review = this.reviewFor(reviewId);
    if (this.deps.session.status().state !== "idle")
      throw new AppError("conflict", "close the cabinet before scanning again");
    if (this.rescanning) throw new AppError("conflict", "a scan is already running");
    this.record({
      type: "scan",
      category: "user_action",
      action: "kiosk_rescan",
      user: review.user,
      session_id: review.session_id,
      summary: `${review.user?.display_name ?? "The technician"} asked for a new scan at the kiosk`,
    });
    const run = this.deps.scans.scan({
      trigger: "manual",
      session_id: review.session_id,
      user: review.user,
      triggered_by: review.user?.user_id,
    });
    this.rescanning = run;
    try {
      const outcome = await run;
      this.deps.bus.emit("scan.completed", { scan_ids: outcome.scan_ids, session_id: review.session_id });
    } finally {
      this.rescanning = undefined;
    }
    return this.deps.views.latestReview()!;
  }

  /** Registers a container the last scan found but the cabinet does not know; it syncs up as a new row. */
  register(reviewId: string, c: NewContainer) {
    const review = this.reviewFor(reviewId);
    const found = review.unknown.find((u) => u.qr_code === c.qr_code);
    if (!found)
      throw new AppError("validation_failed", "this code is not an unknown container of the last scan", {
        qr_code: "not found by the last scan",
      });
    if (c.cas_number && !isValidCas(c.cas_number))
      throw new AppError("validation_failed", "not a valid CAS registry number", {
        cas_number: "check digit does not match",
      });
    const { scope } = this.deps;
    const at = new Date();
    const row = this.deps.local.transaction((db) => {
      if (this.deps.views.containerByCode(c.qr_code))
        throw new AppError("conflict", `${c.qr_code} is already registered`);
      const quantity = c.quantity.toFixed(3);
      const container = insertRecorded(db, chemicalInventory, {
        cabinet_id: scope.cabinet_id,
        qr_code: c.qr_code,
        shelf_level: found.shelf,
        chemical_name: c.chemical_name,
        cas_number: c.cas_number ?? null,
        quantity,
        initial_quantity: quantity,
        unit: c.unit,
        ghs_pictograms: c.ghs_pictograms,
        signal_word: c.signal_word ?? null,
        status: "in_cabinet",
        last_detected: at,
        date_received: at.toISOString().slice(0, 10),
        created_by: review.user?.user_id ?? null,
        created_at: at,
        updated_at: at,
      });
      this.recordIn(db, {
        type: "transaction",
        category: "inventory",
        action: "container_registered",
        user: review.user,
        session_id: review.session_id,
        shelf: found.shelf,
        container: {
          container_id: container.container_id,
          qr_code: container.qr_code,
          chemical_name: container.chemical_name,
          cas_number: container.cas_number,
        },
        summary: `${c.chemical_name} (${c.qr_code}) registered on shelf ${found.shelf} at the kiosk`,
      });
      return container;
    });
    this.deps.sync?.kick();
    return row;
  }

  /** The person signed in acknowledges an open alert: they have seen it and are dealing with it. */
  acknowledge(alertId: string) {
    const user = this.signedIn();
    const alert = this.deps.views.alert(alertId);
    if (!alert) throw new AppError("not_found", "no such alert at this cabinet");
    if (alert.status !== "open") throw new AppError("conflict", `the alert is ${alert.status ?? "closed"}`);
    const at = new Date();
    const row = this.deps.local.transaction((db) => {
      const updated = updateRecorded(db, safetyAlerts, alertId, {
        status: "acknowledged",
        acknowledged_by: user.user_id,
        acknowledged_at: at,
        acknowledged_via: "kiosk",
        updated_at: at,
      });
      this.recordIn(db, {
        type: "safety",
        category: "safety",
        action: "alert_acknowledged",
        user,
        shelf: alert.shelf_id ?? undefined,
        session_id: this.deps.session.status().session_id,
        summary: `${user.display_name} acknowledged "${alert.title}" at the kiosk`,
        details: { alert_id: alertId },
      });
      return updated;
    });
    this.deps.sync?.kick();
    return row;
  }

  private reviewFor(reviewId: string): Review {
    const review = this.currentReview();
    if (!review || review.review_id !== reviewId)
      throw new AppError("conflict", "this scan result is no longer the latest to confirm");
    return review;
  }

  private signedIn(): AuthorizedUser {
    const user = this.deps.session.status().users[0];
    if (!user) throw new AppError("forbidden", "sign in first");
    return user;
  }

  private record(e: CabinetEvent): void {
    this.deps.local.transaction((db) => this.recordIn(db, e));
  }

  /** Writes the event in the caller's transaction and shows it live. */
  private recordIn(db: LocalDb, e: CabinetEvent): void {
    recordEvent(db, this.deps.scope, e);
    this.deps.bus.emit("cabinet.event", {
      action: e.action,
      summary: e.summary,
      severity: e.severity ?? "info",
      at: new Date().toISOString(),
      session_id: e.session_id,
      user_id: e.user?.user_id,
    });
  }
}

function reviewItems(r: Review): number {
  return r.taken.length + r.returned.length + r.moved.length + r.unread.length + r.unknown.length;
}
