// A scan of every shelf: capture each camera (a second, darker frame when the first leaves a label
// unexplained), cut out each shelf's region, read every code, merge the frames, score the picture,
// then, in one SQLite transaction, store the scan results and apply the reconciliation through the
// inventory repository. Scans run one at a time.
import { type GreyImage, imageQuality, type LabelDecoder } from "@lilo/vision";
import sharp from "sharp";
import type { Logger } from "../../shared/logger.js";
import type { AuthorizedUser, CabinetScope } from "../auth/auth.service.js";
import type {
  ControlledAccess,
  ControlledSubstanceService,
} from "../controlled/controlled-substance.service.js";
import type { LocalDatabase, LocalDb } from "../db/local-database.js";
import type { EventBus, HazardFound } from "../event-bus.js";
import type { Camera } from "../hardware/camera.js";
import type { AlertRow } from "../safety/alert.repository.js";
import { type Detection, modelImageFrom, type SpillDetector } from "../safety/spill-detector.js";
import { recordEvent } from "../session/event-recorder.js";
import type { EvidenceStore } from "./evidence.store.js";
import type { InventoryRepository, ShelfEvidence, Transaction } from "./inventory.repository.js";
import { type FrameRead, mergeFrames, readsEverything } from "./merge-frames.js";
import { type Reconciliation, reconcile } from "./reconcile.js";
import type { ScanResultRepository } from "./scan-result.repository.js";
import type { ScanContext, ShelfObservation } from "./shelf-observation.js";

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
  /** Spill and breakage findings, on the first frame of a scan. */
  hazards?: Detection;
  ms: number;
}

export interface ScanOutcome {
  scan_ids: string[];
  shelves: ShelfObservation[];
  reconciliation: Reconciliation;
}

export class ScanService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      local: LocalDatabase;
      cameras: Camera[];
      scope: CabinetScope;
      inventory: InventoryRepository;
      results: ScanResultRepository;
      evidence: EvidenceStore;
      logger: Logger;
      decoder: LabelDecoder;
      /** Defaults to one frame per camera. */
      frames?: ScanFrames;
      /** Spill and breakage detection on every shelf image; without it the columns stay false. */
      hazards?: SpillDetector;
      /** Where "scan.hazards" goes when a shelf shows a spill or broken glass. */
      bus?: EventBus;
      /** Signed records of controlled-substance accesses, and theft/loss alerts (docs/controlled-substances.md). */
      controlled?: ControlledSubstanceService;
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
      for (const f of await this.decodeFrame(camera, frame, expected, i === 0)) taken.get(f.shelf)!.push(f);
      const explained = camera.shelves.every(({ shelf }) =>
        readsEverything(mergeFrames(taken.get(shelf)!.map((f) => f.read)), expected.get(shelf) ?? []),
      );
      if (explained) break;
    }
    return camera.shelves.map(({ shelf }) => this.observation(shelf, taken.get(shelf)!, startedAt));
  }

  /** Cuts one frame into its shelves and reads each; on the first frame, looks for hazards too. */
  private async decodeFrame(
    camera: Camera,
    frame: Buffer,
    expected: ReadonlyMap<number, readonly string[]>,
    first: boolean,
  ): Promise<(ShelfFrame & { shelf: number })[]> {
    const meta = await sharp(frame).metadata();
    const W = meta.width ?? 0;
    const H = meta.height ?? 0;
    // Each shelf is decoded for the detector straight at the model's size (modelImageFrom).
    const detector = first ? this.deps.hazards : undefined;
    const out: (ShelfFrame & { shelf: number })[] = [];
    for (const { shelf, roi } of camera.shelves) {
      const t0 = performance.now();
      let hazards: Detection | undefined;
      try {
        const region = {
          left: Math.round(roi.x * W),
          top: Math.round(roi.y * H),
          width: Math.max(1, Math.min(W - Math.round(roi.x * W), Math.round(roi.w * W))),
          height: Math.max(1, Math.min(H - Math.round(roi.y * H), Math.round(roi.h * H))),
        };
        if (detector) hazards = await this.detectHazards(detector, frame, region, camera.id, shelf);
        const whole = region.left === 0 && region.top === 0 && region.width === W && region.height === H;
        const image = whole ? frame : await sharp(frame).extract(region).jpeg({ quality: 92 }).toBuffer();
        const decoded = await this.deps.decoder.decode(image, { expected: expected.get(shelf) ?? [] });
        out.push({
          shelf,
          read: { ok: true, codes: decoded.codes, unread: decoded.unread },
          evidence: { image, grey: decoded.grey, resolution: `${region.width}x${region.height}` },
          hazards,
          ms: performance.now() - t0,
        });
      } catch (err) {
        out.push({
          shelf,
          read: { ok: false, error: (err as Error).message },
          hazards,
          ms: performance.now() - t0,
        });
      }
    }
    return out;
  }

  /** A detector failure is logged and leaves the shelf's hazard columns empty; the scan goes on. */
  private async detectHazards(
    detector: SpillDetector,
    frame: Buffer,
    region: { left: number; top: number; width: number; height: number },
    camera: string,
    shelf: number,
  ): Promise<Detection | undefined> {
    try {
      return await detector.detect(await modelImageFrom(frame, region));
    } catch (err) {
      this.deps.logger.error({ err, camera, shelf }, "hazard detection failed");
      return undefined;
    }
  }

  /** One shelf's frames merged; the frame that read the most is kept as the evidence image. */
  private observation(shelf: number, frames: ShelfFrame[], startedAt: Date): ShelfObservation {
    const merged = mergeFrames(frames.map((f) => f.read));
    const processing_ms = Math.round(frames.reduce((sum, f) => sum + f.ms, 0));
    const hazards = frames.find((f) => f.hazards)?.hazards;
    if (!merged.ok)
      return {
        shelf,
        ok: false,
        error: merged.error,
        codes: [],
        processing_ms,
        started_at: startedAt,
        hazards,
      };
    const { image, grey, resolution } = frames[merged.best]!.evidence!;
    return {
      shelf,
      ok: true,
      codes: merged.codes,
      unread: merged.unread,
      frames: merged.frames,
      image: this.deps.evidence.save(image),
      resolution,
      processing_ms,
      started_at: startedAt,
      quality: imageQuality(grey),
      hazards,
    };
  }

  /** Codes of the containers the cabinet believes are on each shelf. */
  private expectedByShelf(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const c of this.deps.inventory.containers(this.deps.local.db)) {
      if (c.status !== "in_cabinet") continue;
      const list = out.get(c.shelf_level) ?? [];
      list.push(c.qr_code);
      out.set(c.shelf_level, list);
    }
    return out;
  }

  private apply(db: LocalDb, shelves: ShelfObservation[], ctx: ScanContext): ScanOutcome {
    const { scope, inventory, results } = this.deps;
    const observed = new Map<string, number>();
    for (const s of shelves)
      for (const code of s.codes) if (!observed.has(code.text)) observed.set(code.text, s.shelf);
    const lastShelfOf = results.lastShelfOfCodes(
      db,
      this.deps.cameras.flatMap((cam) => cam.shelves.map(({ shelf }) => shelf)),
    );
    // Each shelf's picture from its previous scan: the "before" of any change this scan sees there.
    const before = new Map(shelves.map((s) => [s.shelf, results.latest(db, s.shelf)?.image_s3_key]));
    const scanIds = shelves.map((s) => results.record(db, s, ctx, lastShelfOf));

    const scanned = new Set(shelves.filter((s) => s.ok).map((s) => s.shelf));
    const unread = new Map(shelves.map((s) => [s.shelf, s.unread?.length ?? 0]));
    const r = reconcile(inventory.containers(db), observed, scanned, unread);
    const evidence = this.trackEvidence(db, shelves, scanIds, changedShelves(r), before);
    const raised = this.applyReconciliation(db, r, ctx, evidence);
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
    // A controlled substance gone with no checkout must reach people at once, not after the next check.
    for (const alert of raised) {
      this.deps.bus?.emit("alert.raised", alert);
      this.deps.bus?.emit("cabinet.event", {
        action: "alert_raised",
        summary: alert.title,
        severity: "critical",
        at: alert.detected_at.toISOString(),
        session_id: ctx.session_id,
      });
    }
    const found = hazardsFound(shelves, scanIds);
    // Listeners run after this transaction commits: emit() only queues them.
    if (found.length)
      this.deps.bus?.emit("scan.hazards", {
        scan_ids: scanIds,
        trigger: ctx.trigger,
        session_id: ctx.session_id,
        found,
      });
    return { scan_ids: scanIds, shelves, reconciliation: r };
  }

  /**
   * Records each shelf's image with the scan; those of shelves where something changed are to be
   * uploaded, with the shelf's picture before it. Returns each such shelf's evidence for the changes
   * to link to.
   */
  private trackEvidence(
    db: LocalDb,
    shelves: ShelfObservation[],
    scanIds: string[],
    changed: ReadonlySet<number>,
    before: ReadonlyMap<number, string | undefined>,
  ): Map<number, ShelfEvidence> {
    const { evidence } = this.deps;
    const out = new Map<number, ShelfEvidence>();
    shelves.forEach((s, i) => {
      if (!s.image) return;
      evidence.track(db, s.image, s.started_at, changed.has(s.shelf));
      if (!changed.has(s.shelf)) return;
      out.set(s.shelf, { scan_id: scanIds[i]!, image_key: s.image.image_key });
      const previous = before.get(s.shelf);
      if (previous) evidence.requestUpload(db, previous);
    });
    return out;
  }

  /**
   * Who answers for each change: the session's person; a return without one, whoever checked it out.
   * Returns the theft/loss alerts raised for controlled containers gone with no one to answer for them.
   */
  private applyReconciliation(
    db: LocalDb,
    r: Reconciliation,
    ctx: ScanContext,
    evidence: ReadonlyMap<number, ShelfEvidence>,
  ): AlertRow[] {
    const { scope, inventory, controlled } = this.deps;
    const at = new Date();
    const { user, session_id, authentication } = ctx;
    const access = (a: Omit<ControlledAccess, "session_id" | "authentication">) =>
      controlled?.recordAccess(db, { ...a, session_id, authentication });
    const raised: AlertRow[] = [];
    for (const { container, from } of r.taken) {
      const change = { container_id: container.container_id, from, session_id, evidence: evidence.get(from) };
      const image = change.evidence?.image_key;
      // No one to attribute it to (scheduled scan, forced door): flag it, do not invent a checkout.
      if (user) {
        const transaction_id = inventory.checkout(db, { ...change, user, at });
        access({
          container_id: container.container_id,
          access: "checkout",
          shelf: from,
          transaction_id,
          image,
        });
      } else {
        inventory.reportMissing(db, change);
        const alert = controlled?.raiseTheftLoss(db, {
          container_id: container.container_id,
          shelf: from,
          scan_id: change.evidence?.scan_id,
          image,
          at,
        });
        if (alert) raised.push(alert);
      }
    }
    for (const { container, to } of r.returned) {
      const checkout = inventory.openCheckout(db, container.container_id);
      const transaction_id = inventory.return(db, {
        container_id: container.container_id,
        to,
        user: user ?? (checkout && checkedOutBy(checkout)),
        checkout,
        session_id,
        at,
        evidence: evidence.get(to),
      });
      const image = evidence.get(to)?.image_key;
      access({ container_id: container.container_id, access: "return", shelf: to, transaction_id, image });
    }
    for (const { container, from, to } of r.moved) {
      const transaction_id = inventory.transfer(db, {
        container_id: container.container_id,
        from,
        to,
        user,
        session_id,
        at,
        evidence: evidence.get(to),
      });
      const image = evidence.get(to)?.image_key;
      access({ container_id: container.container_id, access: "transfer", shelf: to, transaction_id, image });
    }
    for (const { container, shelf } of r.labelNotRead)
      inventory.reportUnreadLabel(db, {
        container_id: container.container_id,
        shelf,
        user,
        session_id,
        evidence: evidence.get(shelf),
      });
    for (const { container, shelf } of r.present) {
      inventory.markSeen(db, container.container_id, at);
      // A session's scan counts the controlled containers in front of the people who opened the cabinet.
      if (session_id) access({ container_id: container.container_id, access: "count", shelf });
    }
    for (const { qr_code, shelf } of r.unknown) {
      recordEvent(db, scope, {
        type: "scan",
        category: "inventory",
        action: "unknown_code",
        severity: "warning",
        shelf,
        session_id,
        user,
        requires_review: true,
        image: evidence.get(shelf)?.image_key,
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
        session_id,
        summary: `Non-L.I.L.O. code on shelf ${shelf} recorded, not trusted`,
        details: { text: qr_code },
      });
    }
    return raised;
  }
}

/** Shelves whose picture shows a change: a container taken, returned, moved, unread or unknown. */
function changedShelves(r: Reconciliation): Set<number> {
  return new Set([
    ...r.taken.map((t) => t.from),
    ...r.returned.map((t) => t.to),
    ...r.moved.flatMap((t) => [t.from, t.to]),
    ...r.labelNotRead.map((t) => t.shelf),
    ...r.unknown.map((t) => t.shelf),
  ]);
}

/** Each detected spill or breakage, with the scan row and evidence image it belongs to. */
function hazardsFound(shelves: ShelfObservation[], scanIds: string[]): HazardFound[] {
  return shelves.flatMap((s, i) =>
    (["spill", "breakage"] as const).flatMap((kind) => {
      const f = s.hazards?.[kind];
      if (!f?.detected || !f.box) return [];
      return [
        {
          scan_id: scanIds[i]!,
          shelf: s.shelf,
          kind,
          confidence: f.confidence,
          box: f.box,
          image_key: s.image?.image_key,
          image_path: s.image?.path,
        },
      ];
    }),
  );
}

function checkedOutBy(t: Transaction): AuthorizedUser {
  return {
    user_id: t.user_id,
    display_name: t.user_name ?? "",
    email: t.user_email,
    role: t.user_role ?? "",
  };
}
