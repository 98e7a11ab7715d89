// A scan of every shelf: capture each camera (a second, darker frame when the first leaves a label
// unexplained), cut out each shelf's region, read every code, merge the frames, score the picture,
// then write the scan results and apply the reconciliation (transactions, inventory, events)
// in one SQLite transaction. Scans run one at a time.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DecodedLabel, type GreyImage, imageQuality, type LabelDecoder } from "@lilo/vision";
import { and, desc, eq } from "drizzle-orm";
import sharp from "sharp";
import type { ScanTriggerType } from "../../shared/enums.js";
import type { Logger } from "../../shared/logger.js";
import type { AuthorizedUser, CabinetScope } from "../auth/auth.service.js";
import { insertRecorded, updateRecorded } from "../db/change-recorder.js";
import type { LocalDatabase, LocalDb } from "../db/local-database.js";
import { chemicalInventory, containerTransactions, scanResults } from "../db/schema.js";
import type { Camera } from "../hardware/camera.js";
import { recordEvent } from "../session/event-recorder.js";
import { type FrameRead, mergeFrames, readsEverything } from "./merge-frames.js";
import { type ExpectedContainer, type Reconciliation, reconcile } from "./reconcile.js";

export interface ScanContext {
  trigger: ScanTriggerType;
  session_id?: string;
  /** The person the session belongs to: takes and returns are attributed to them. */
  user?: AuthorizedUser;
  triggered_by?: string;
}

export interface ShelfObservation {
  shelf: number;
  ok: boolean;
  error?: string;
  codes: DecodedLabel[];
  /** Label-like regions where no code could be read in any frame (shelf-image pixels). */
  unread?: { x: number; y: number; w: number; h: number }[];
  /** Frames merged into this observation. */
  frames?: number;
  image_path?: string;
  image_size_bytes?: number;
  resolution?: string;
  processing_ms: number;
  started_at: Date;
  quality?: { image_quality: number; lighting_quality: number; focus_quality: number };
}

/** How many frames a camera may take per scan, and at which exposure. */
export interface ScanFrames {
  framesPerScan: number;
  /** Exposure compensation (stops) of each frame in turn, repeated as needed. */
  exposureEv: readonly number[];
}

const SINGLE_FRAME: ScanFrames = { framesPerScan: 1, exposureEv: [0] };

/** One shelf in one frame. */
interface ShelfFrame {
  read: FrameRead;
  /** Present when the shelf decoded: what is stored if this frame becomes the evidence. */
  evidence?: { image: Buffer; grey: GreyImage; resolution: string };
  ms: number;
}

export interface ScanOutcome {
  scan_ids: string[];
  shelves: ShelfObservation[];
  reconciliation: Reconciliation;
}

const fixed = (n: number, digits = 4) => n.toFixed(digits);

export class ScanService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      local: LocalDatabase;
      cameras: Camera[];
      scope: CabinetScope;
      imagesDir: string;
      logger: Logger;
      decoder: LabelDecoder;
      /** Defaults to one frame per camera. */
      frames?: ScanFrames;
    },
  ) {}

  /** Queues a scan after any scan already running. */
  scan(ctx: ScanContext): Promise<ScanOutcome> {
    const run = this.queue.then(() => this.scanNow(ctx));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async scanNow(ctx: ScanContext): Promise<ScanOutcome> {
    const expected = this.expectedByShelf();
    const shelves = (
      await Promise.all(this.deps.cameras.map((cam) => this.observeCamera(cam, expected)))
    ).flat();
    const outcome = this.deps.local.transaction((db) => this.apply(db, shelves, ctx));
    this.deps.logger.info(
      {
        trigger: ctx.trigger,
        shelves: shelves.map((s) => ({ shelf: s.shelf, codes: s.codes.length, ok: s.ok, frames: s.frames })),
        taken: outcome.reconciliation.taken.length,
        returned: outcome.reconciliation.returned.length,
        moved: outcome.reconciliation.moved.length,
      },
      "scan complete",
    );
    return outcome;
  }

  /**
   * Takes up to `framesPerScan` frames, each with its exposure offset, and stops as soon as every
   * shelf of this camera is explained: decoded, no label left unread, every expected code read.
   */
  private async observeCamera(
    camera: Camera,
    expected: ReadonlyMap<number, readonly string[]>,
  ): Promise<ShelfObservation[]> {
    const startedAt = new Date();
    const { framesPerScan, exposureEv } = this.deps.frames ?? SINGLE_FRAME;
    const taken = new Map<number, ShelfFrame[]>(camera.shelves.map(({ shelf }) => [shelf, []]));
    for (let i = 0; i < framesPerScan; i++) {
      const ev = exposureEv[i % exposureEv.length] ?? 0;
      const t0 = performance.now();
      let frame: Buffer;
      try {
        frame = await camera.capture({ ev });
      } catch (err) {
        this.deps.logger.warn({ err, camera: camera.id, frame: i, ev }, "capture failed");
        const read = { ok: false as const, error: `capture failed: ${(err as Error).message}` };
        for (const frames of taken.values()) frames.push({ read, ms: performance.now() - t0 });
        // The driver has already retried; earlier frames, if any, stand.
        break;
      }
      for (const f of await this.decodeFrame(camera, frame, expected)) taken.get(f.shelf)!.push(f);
      const explained = camera.shelves.every(({ shelf }) =>
        readsEverything(mergeFrames(taken.get(shelf)!.map((f) => f.read)), expected.get(shelf) ?? []),
      );
      if (explained) break;
    }
    return camera.shelves.map(({ shelf }) => this.observation(shelf, taken.get(shelf)!, startedAt));
  }

  /** Cuts one frame into its shelves and reads each. */
  private async decodeFrame(
    camera: Camera,
    frame: Buffer,
    expected: ReadonlyMap<number, readonly string[]>,
  ): Promise<(ShelfFrame & { shelf: number })[]> {
    const meta = await sharp(frame).metadata();
    const W = meta.width ?? 0;
    const H = meta.height ?? 0;
    const out: (ShelfFrame & { shelf: number })[] = [];
    for (const { shelf, roi } of camera.shelves) {
      const t0 = performance.now();
      try {
        const region = {
          left: Math.round(roi.x * W),
          top: Math.round(roi.y * H),
          width: Math.max(1, Math.min(W - Math.round(roi.x * W), Math.round(roi.w * W))),
          height: Math.max(1, Math.min(H - Math.round(roi.y * H), Math.round(roi.h * H))),
        };
        const whole = region.left === 0 && region.top === 0 && region.width === W && region.height === H;
        const image = whole ? frame : await sharp(frame).extract(region).jpeg({ quality: 92 }).toBuffer();
        const decoded = await this.deps.decoder.decode(image, { expected: expected.get(shelf) ?? [] });
        out.push({
          shelf,
          read: { ok: true, codes: decoded.codes, unread: decoded.unread },
          evidence: { image, grey: decoded.grey, resolution: `${region.width}x${region.height}` },
          ms: performance.now() - t0,
        });
      } catch (err) {
        out.push({ shelf, read: { ok: false, error: (err as Error).message }, ms: performance.now() - t0 });
      }
    }
    return out;
  }

  /** One shelf's frames merged; the frame that read the most is kept as the evidence image. */
  private observation(shelf: number, frames: ShelfFrame[], startedAt: Date): ShelfObservation {
    const merged = mergeFrames(frames.map((f) => f.read));
    const processing_ms = Math.round(frames.reduce((sum, f) => sum + f.ms, 0));
    if (!merged.ok)
      return { shelf, ok: false, error: merged.error, codes: [], processing_ms, started_at: startedAt };
    const { image, grey, resolution } = frames[merged.best]!.evidence!;
    return {
      shelf,
      ok: true,
      codes: merged.codes,
      unread: merged.unread,
      frames: merged.frames,
      image_path: this.storeImage(shelf, startedAt, image),
      image_size_bytes: image.length,
      resolution,
      processing_ms,
      started_at: startedAt,
      quality: imageQuality(grey),
    };
  }

  /** Codes of the containers the cabinet believes are on each shelf. */
  private expectedByShelf(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const c of cabinetContainers(this.deps.local.db, this.deps.scope.cabinet_id)) {
      if (c.status !== "in_cabinet") continue;
      const list = out.get(c.shelf_level) ?? [];
      list.push(c.qr_code);
      out.set(c.shelf_level, list);
    }
    return out;
  }

  private storeImage(shelf: number, at: Date, image: Buffer): string {
    const day = at.toISOString().slice(0, 10);
    const dir = join(this.deps.imagesDir, day);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `shelf${shelf}-${at.toISOString().replaceAll(":", "")}.jpg`);
    writeFileSync(path, image);
    return path;
  }

  private apply(db: LocalDb, shelves: ShelfObservation[], ctx: ScanContext): ScanOutcome {
    const { scope } = this.deps;
    const observed = new Map<string, number>();
    for (const s of shelves)
      for (const code of s.codes) if (!observed.has(code.text)) observed.set(code.text, s.shelf);
    const previousShelfOf = this.previousShelfOfCodes(db);

    const scanIds: string[] = [];
    for (const s of shelves) {
      const previous = this.latestScan(db, s.shelf);
      const now = s.codes.map((c) => c.text);
      const before = new Set(previous?.qr_codes_found ?? []);
      const row = insertRecorded(db, scanResults, {
        cabinet_id: scope.cabinet_id,
        shelf_id: s.shelf,
        scan_timestamp: s.started_at,
        trigger_type: ctx.trigger,
        triggered_by: ctx.triggered_by ?? ctx.user?.user_id,
        image_s3_key: s.image_path ?? "",
        image_size_bytes: s.image_size_bytes,
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
          const prev = previousShelfOf.get(q);
          return prev !== undefined && prev !== s.shelf;
        }),
        code_locations: {
          read: s.codes.map((c) => ({ text: c.text, corners: c.corners })),
          unread: s.unread ?? [],
        },
        anomalies_detected: s.codes
          .filter((c) => !c.text.startsWith("LILO:"))
          .map((c) => ({ kind: "foreign_code", text: c.text, corners: c.corners })),
      });
      scanIds.push(row.scan_id);
    }

    const expected = cabinetContainers(db, scope.cabinet_id);
    const scanned = new Set(shelves.filter((s) => s.ok).map((s) => s.shelf));
    const unread = new Map(shelves.map((s) => [s.shelf, s.unread?.length ?? 0]));
    const r = reconcile(expected, observed, scanned, unread);
    this.applyReconciliation(db, r, ctx);
    recordEvent(db, scope, {
      type: "scan",
      category: "inventory",
      action: "scan_completed",
      user: ctx.user,
      session_id: ctx.session_id,
      summary: `Scanned ${shelves.length} shelves: ${observed.size} labels read, ${r.taken.length} taken, ${r.returned.length} returned, ${r.moved.length} moved`,
      severity: shelves.every((s) => s.ok) ? "info" : "warning",
      details: {
        trigger: ctx.trigger,
        scan_ids: scanIds,
        failed_shelves: shelves.filter((s) => !s.ok).map((s) => s.shelf),
      },
    });
    return { scan_ids: scanIds, shelves, reconciliation: r };
  }

  private applyReconciliation(db: LocalDb, r: Reconciliation, ctx: ScanContext): void {
    const { scope } = this.deps;
    const now = new Date();
    const details = (id: string) =>
      db.select().from(chemicalInventory).where(eq(chemicalInventory.container_id, id)).get()!;
    const who = (u: AuthorizedUser) => ({
      user_id: u.user_id,
      user_name: u.display_name,
      user_email: u.email,
      user_role: u.role,
    });
    const eventContainer = (c: ReturnType<typeof details>) => ({
      container_id: c.container_id,
      qr_code: c.qr_code,
      chemical_name: c.chemical_name,
      cas_number: c.cas_number,
    });

    for (const { container, from } of r.taken) {
      const c = details(container.container_id);
      if (!ctx.user) {
        // No one to attribute it to (scheduled scan, forced door): flag it, do not invent a checkout.
        recordEvent(db, scope, {
          type: "transaction",
          category: "inventory",
          action: "container_missing",
          severity: "warning",
          shelf: from,
          container: eventContainer(c),
          session_id: ctx.session_id,
          requires_review: true,
          summary: `${c.chemical_name} (${c.qr_code}) missing from shelf ${from}`,
        });
        continue;
      }
      insertRecorded(db, containerTransactions, {
        container_id: c.container_id,
        transaction_type: "checkout",
        qr_code: c.qr_code,
        ...who(ctx.user),
        checkout_timestamp: now,
        source_cabinet_id: scope.cabinet_id,
        source_shelf_level: from,
        quantity_unit: c.unit,
        status: "active",
        workflow_id: ctx.session_id,
      });
      updateRecorded(db, chemicalInventory, c.container_id, { status: "checked_out", updated_at: now });
      recordEvent(db, scope, {
        type: "transaction",
        category: "inventory",
        action: "checkout",
        user: ctx.user,
        shelf: from,
        container: eventContainer(c),
        session_id: ctx.session_id,
        summary: `${ctx.user.display_name} took ${c.chemical_name} from shelf ${from}`,
      });
    }

    for (const { container, to } of r.returned) {
      const c = details(container.container_id);
      const open = db
        .select()
        .from(containerTransactions)
        .where(
          and(
            eq(containerTransactions.container_id, c.container_id),
            eq(containerTransactions.transaction_type, "checkout"),
            eq(containerTransactions.status, "active"),
          ),
        )
        .orderBy(desc(containerTransactions.checkout_timestamp))
        .get();
      // Without a session, the return belongs to whoever checked it out.
      const user =
        ctx.user ??
        (open
          ? {
              user_id: open.user_id,
              display_name: open.user_name ?? "",
              email: open.user_email,
              role: open.user_role ?? "",
            }
          : undefined);
      if (open)
        updateRecorded(db, containerTransactions, open.transaction_id, {
          status: "returned",
          actual_return_timestamp: now,
          updated_at: now,
        });
      if (user) {
        insertRecorded(db, containerTransactions, {
          container_id: c.container_id,
          transaction_type: "return",
          qr_code: c.qr_code,
          ...who(user),
          actual_return_timestamp: now,
          // The cloud files every transaction under the cabinet that recorded it.
          source_cabinet_id: scope.cabinet_id,
          return_cabinet_id: scope.cabinet_id,
          return_shelf_level: to,
          parent_transaction_id: open?.transaction_id,
          status: "returned",
          workflow_id: ctx.session_id,
        });
      }
      updateRecorded(db, chemicalInventory, c.container_id, {
        status: "in_cabinet",
        shelf_level: to,
        last_detected: now,
        updated_at: now,
      });
      recordEvent(db, scope, {
        type: "transaction",
        category: "inventory",
        action: "return",
        user,
        shelf: to,
        container: eventContainer(c),
        session_id: ctx.session_id,
        summary: `${c.chemical_name} returned to shelf ${to}`,
      });
    }

    for (const { container, from, to } of r.moved) {
      const c = details(container.container_id);
      if (ctx.user) {
        insertRecorded(db, containerTransactions, {
          container_id: c.container_id,
          transaction_type: "transfer",
          qr_code: c.qr_code,
          ...who(ctx.user),
          source_cabinet_id: scope.cabinet_id,
          source_shelf_level: from,
          return_cabinet_id: scope.cabinet_id,
          return_shelf_level: to,
          // A move within the cabinet is complete the moment it is seen.
          status: "returned",
          workflow_id: ctx.session_id,
        });
      }
      updateRecorded(db, chemicalInventory, c.container_id, {
        shelf_level: to,
        last_detected: now,
        updated_at: now,
      });
      recordEvent(db, scope, {
        type: "transaction",
        category: "inventory",
        action: "transfer",
        user: ctx.user,
        shelf: to,
        container: eventContainer(c),
        session_id: ctx.session_id,
        requires_review: !ctx.user,
        summary: `${c.chemical_name} moved from shelf ${from} to shelf ${to}`,
      });
    }

    for (const { container, shelf } of r.labelNotRead) {
      const c = details(container.container_id);
      recordEvent(db, scope, {
        type: "scan",
        category: "inventory",
        action: "label_not_read",
        severity: "warning",
        shelf,
        container: eventContainer(c),
        user: ctx.user,
        session_id: ctx.session_id,
        requires_review: true,
        summary: `A label on shelf ${shelf} could not be read; ${c.chemical_name} (${c.qr_code}) not confirmed: please turn the bottle so its label faces the camera`,
        details: { prompt: "turn_bottle" },
      });
    }

    for (const { container } of r.present) {
      updateRecorded(db, chemicalInventory, container.container_id, { last_detected: now });
    }

    for (const { qr_code, shelf } of r.unknown) {
      recordEvent(db, scope, {
        type: "scan",
        category: "inventory",
        action: "unknown_code",
        severity: "warning",
        shelf,
        session_id: ctx.session_id,
        user: ctx.user,
        requires_review: true,
        summary: `Unregistered label ${qr_code} on shelf ${shelf}: register this container`,
        details: { qr_code, prompt: "register_container" },
      });
    }
    for (const { qr_code, shelf } of r.foreign) {
      recordEvent(db, scope, {
        type: "scan",
        category: "inventory",
        action: "foreign_code",
        severity: "info",
        shelf,
        session_id: ctx.session_id,
        summary: `Non-L.I.L.O. code on shelf ${shelf} recorded, not trusted`,
        details: { text: qr_code },
      });
    }
  }

  private latestScan(db: LocalDb, shelf: number) {
    return db
      .select()
      .from(scanResults)
      .where(
        and(
          eq(scanResults.cabinet_id, this.deps.scope.cabinet_id),
          eq(scanResults.shelf_id, shelf),
          eq(scanResults.processing_status, "completed"),
        ),
      )
      .orderBy(desc(scanResults.scan_timestamp))
      .get();
  }

  /** Where each code was last read, from the latest completed scan of each shelf. */
  private previousShelfOfCodes(db: LocalDb): Map<string, number> {
    const out = new Map<string, number>();
    for (const cam of this.deps.cameras)
      for (const { shelf } of cam.shelves)
        for (const q of this.latestScan(db, shelf)?.qr_codes_found ?? []) out.set(q, shelf);
    return out;
  }
}

/** Every container the cabinet's inventory places in it, whatever its status. */
function cabinetContainers(db: LocalDb, cabinetId: string): ExpectedContainer[] {
  return db
    .select({
      container_id: chemicalInventory.container_id,
      qr_code: chemicalInventory.qr_code,
      shelf_level: chemicalInventory.shelf_level,
      status: chemicalInventory.status,
    })
    .from(chemicalInventory)
    .where(eq(chemicalInventory.cabinet_id, cabinetId))
    .all() as ExpectedContainer[];
}
