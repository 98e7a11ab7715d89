// Uploads the outbox to the cloud and applies the cloud's downlink. Changes stay in the outbox until
// the cloud acknowledges them (its high-water mark), then are pruned; batches are bounded, gzipped and
// retried with exponential backoff and jitter; a restart resumes from the outbox.
import { randomUUID } from "node:crypto";
import { and, asc, count, eq, lte, notInArray } from "drizzle-orm";
import type { Logger } from "../../shared/logger.js";
import { CABINET_OWNED_CONTAINER_FIELDS, type DownlinkSnapshot } from "../../shared/sync/downlink.js";
import { getDeviceState, setDeviceState } from "../db/device-state.repository.js";
import type { LocalDatabase, LocalDb } from "../db/local-database.js";
import {
  cabinets,
  changeLog,
  chemicalInventory,
  localUsers,
  roles,
  userRoleAssignments,
} from "../db/schema.js";
import type { EvidenceStore } from "../scan/evidence.store.js";
import { backoffMs, type CloudClient, CloudError } from "./cloud-client.js";

/** Images sent per round before the loop looks at the outbox again. */
const IMAGES_PER_ROUND = 8;
/** What the cloud answers for an image it will never take (malformed, not named by a synced row, too big). */
const REFUSED_FOR_GOOD = new Set([400, 404, 413]);

export interface SyncOptions {
  batchSize: number;
  uploadIntervalMs: number;
  downlinkIntervalMs: number;
  maxBackoffMs: number;
}

export interface SyncStatus {
  pending: number;
  acked_through: number;
  last_upload_at?: string;
  last_error?: string;
  downlink_version?: string;
  /** Shelf images waiting to be uploaded. */
  images_pending: number;
}

export class SyncService {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private failures = 0;
  private nextUploadAt = 0;
  private nextDownlinkAt = 0;
  private lastError?: string;
  private lastUploadAt?: Date;
  private wake?: () => void;
  private imageFailures = 0;
  private nextImagesAt = 0;

  constructor(
    private readonly deps: {
      local: LocalDatabase;
      client: CloudClient;
      options: SyncOptions;
      logger: Logger;
      /** Told the cloud's time from every downlink response (the cabinet has no real-time clock). */
      onCloudTime?: (iso: string) => void;
      /** Shelf images to upload after the rows that name them. */
      evidence?: EvidenceStore;
    },
  ) {}

  /** The id of this change log; a new database gets a new one, so the cloud never confuses two logs. */
  logId(): string {
    const { db } = this.deps.local;
    const existing = getDeviceState(db, "change_log_id");
    if (existing) return existing;
    const id = randomUUID();
    setDeviceState(db, "change_log_id", id);
    return id;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.logId();
    void this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  /** Ask for an upload now (after a session, or a `sync_now` command). */
  kick(): void {
    this.nextUploadAt = 0;
    this.wake?.();
  }

  status(): SyncStatus {
    const { db } = this.deps.local;
    return {
      pending: db.select({ n: count() }).from(changeLog).get()?.n ?? 0,
      acked_through: Number(getDeviceState(db, "acked_through") ?? 0),
      last_upload_at: this.lastUploadAt?.toISOString(),
      last_error: this.lastError,
      downlink_version: getDeviceState(db, "downlink_version"),
      images_pending: this.deps.evidence?.pendingCount(db) ?? 0,
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      try {
        if (now >= this.nextDownlinkAt) {
          await this.pullDownlink();
          this.nextDownlinkAt = Date.now() + this.deps.options.downlinkIntervalMs;
        }
        if (now >= this.nextUploadAt) {
          const more = (await this.uploadOnce()) || (await this.uploadImages());
          this.failures = 0;
          this.nextUploadAt = more ? 0 : Date.now() + this.deps.options.uploadIntervalMs;
        }
      } catch (err) {
        this.failures++;
        this.lastError = (err as Error).message;
        const wait = backoffMs(this.failures, 500, this.deps.options.maxBackoffMs);
        this.deps.logger.warn({ err: this.lastError, retry_in_ms: wait }, "sync failed");
        this.nextUploadAt = Date.now() + wait;
        this.nextDownlinkAt = Math.max(this.nextDownlinkAt, Date.now() + wait);
      }
      const sleepMs = Math.max(0, Math.min(this.nextUploadAt, this.nextDownlinkAt) - Date.now());
      if (sleepMs > 0 && !this.stopped) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, sleepMs);
        });
      }
    }
  }

  /** Sends one batch; true when more are waiting. */
  async uploadOnce(): Promise<boolean> {
    const { local, client, options } = this.deps;
    const rows = local.db.select().from(changeLog).orderBy(asc(changeLog.seq)).limit(options.batchSize).all();
    if (rows.length === 0) return false;
    const batch = {
      log_id: this.logId(),
      changes: rows.map((r) => ({
        seq: r.seq,
        entity: r.entity,
        entity_id: r.entity_id,
        op: r.op,
        payload: JSON.parse(r.payload),
        recorded_at: r.recorded_at,
      })),
    };
    let ackedThrough: number;
    try {
      const { json } = await client.request<{ accepted_through: number }>(
        "POST",
        "/device/sync/changes",
        batch,
        { gzip: true },
      );
      ackedThrough = json!.accepted_through;
    } catch (err) {
      const expected =
        err instanceof CloudError && err.status === 409
          ? Number(err.body?.error?.fields?.expected_seq)
          : Number.NaN;
      // The cloud is ahead of the outbox (it committed a batch whose answer never arrived): prune up to it.
      if (Number.isFinite(expected) && expected > rows[0]!.seq) ackedThrough = expected - 1;
      else throw err;
    }
    local.transaction((db) => {
      db.delete(changeLog).where(lte(changeLog.seq, ackedThrough)).run();
      setDeviceState(db, "acked_through", String(ackedThrough));
    });
    this.lastUploadAt = new Date();
    // Only a request that reached the cloud clears the error; an empty outbox proves nothing.
    this.lastError = undefined;
    this.deps.logger.debug({ acked_through: ackedThrough, sent: rows.length }, "uploaded");
    return rows.length === options.batchSize;
  }

  /**
   * Uploads shelf images waiting for the cloud, oldest first, a few per round; true when more wait.
   * Only with an empty outbox, so that the rows naming an image are in the cloud before it; a change
   * recorded meanwhile goes first. A failure here never holds up the rows: images back off on their own.
   */
  async uploadImages(): Promise<boolean> {
    const { local, client, evidence, logger } = this.deps;
    if (!evidence || Date.now() < this.nextImagesAt) return false;
    const outboxEmpty = () => !local.db.select({ seq: changeLog.seq }).from(changeLog).limit(1).get();
    if (!outboxEmpty()) return true;
    const batch = evidence.pending(local.db, IMAGES_PER_ROUND);
    for (const image of batch) {
      if (!outboxEmpty()) return true;
      const bytes = evidence.read(image);
      if (!bytes) {
        logger.warn({ image: image.image_key }, "shelf image missing on disk; not uploaded");
        evidence.abandon(local.db, image.image_key);
        continue;
      }
      try {
        await client.request("PUT", `/device/evidence/${image.image_key}`, new Uint8Array(bytes));
        evidence.markUploaded(local.db, image.image_key);
      } catch (err) {
        if (err instanceof CloudError && REFUSED_FOR_GOOD.has(err.status)) {
          logger.warn({ image: image.image_key, err: err.message }, "shelf image refused by the cloud");
          evidence.abandon(local.db, image.image_key);
          continue;
        }
        this.imageFailures++;
        const wait = backoffMs(this.imageFailures, 500, this.deps.options.maxBackoffMs);
        this.nextImagesAt = Date.now() + wait;
        logger.warn({ err: (err as Error).message, retry_in_ms: wait }, "image upload failed");
        return false;
      }
    }
    this.imageFailures = 0;
    return batch.length === IMAGES_PER_ROUND;
  }

  /**
   * The downlink once at boot, before the cabinet decides anything. Offline at boot is normal: the
   * cabinet works from what the last downlink left.
   */
  async refresh(): Promise<void> {
    await this.pullDownlink().catch((err: unknown) =>
      this.deps.logger.warn(
        { err: (err as Error).message },
        "downlink at start failed; using the local copy",
      ),
    );
  }

  /** Fetches the snapshot and applies it unless it is the one already applied. */
  async pullDownlink(): Promise<boolean> {
    const { local, client } = this.deps;
    const version = getDeviceState(local.db, "downlink_version");
    const res = await client.request<DownlinkSnapshot>("GET", "/device/downlink", undefined, {
      etag: version,
    });
    if (res.cloudTime) this.deps.onCloudTime?.(res.cloudTime);
    if (res.status === 304 || !res.json) return false;
    local.transaction((db) => applySnapshot(db, res.json!));
    this.deps.logger.info(
      { version: res.json.version, people: res.json.people.length, containers: res.json.containers.length },
      "downlink applied",
    );
    return true;
  }
}

const reviveDates = (row: Record<string, unknown>, keys: string[]) => {
  const out = { ...row };
  for (const k of keys) if (typeof out[k] === "string") out[k] = new Date(out[k] as string);
  return out;
};
const TIMESTAMPS = [
  "created_at",
  "updated_at",
  "granted_at",
  "expires_at",
  "revoked_at",
  "last_detected",
  "last_verified_at",
];

/** Applies a downlink in the caller's transaction. Not recorded in the outbox: it came from the cloud. */
export function storedSecret(db: LocalDb): string | undefined {
  return getDeviceState(db, "credential_secret");
}

/** The organization's command public key from the last downlink that carried one. */
export function storedCommandKey(db: LocalDb): string | undefined {
  return getDeviceState(db, "command_key");
}

export function applySnapshot(db: LocalDb, s: DownlinkSnapshot): void {
  const cab = reviveDates(s.cabinet, TIMESTAMPS) as typeof cabinets.$inferInsert;
  db.insert(cabinets).values(cab).onConflictDoUpdate({ target: cabinets.cabinet_id, set: cab }).run();

  // People, roles and grants are the cloud's alone: replace them.
  db.delete(userRoleAssignments).run();
  db.delete(roles).run();
  db.delete(localUsers).run();
  for (const r of s.roles)
    db.insert(roles)
      .values(reviveDates(r, TIMESTAMPS) as typeof roles.$inferInsert)
      .run();
  for (const a of s.assignments)
    db.insert(userRoleAssignments)
      .values(reviveDates(a, TIMESTAMPS) as typeof userRoleAssignments.$inferInsert)
      .run();
  for (const p of s.people)
    db.insert(localUsers)
      .values({ ...p, updated_at: new Date().toISOString() })
      .run();

  // Containers: new ones arrive whole; for known ones the cloud's descriptive fields win and the
  // cabinet keeps what it observed (status, shelf, last seen).
  const ids = s.containers.map((c) => c.container_id as string);
  for (const c of s.containers) {
    const row = reviveDates(c, TIMESTAMPS) as typeof chemicalInventory.$inferInsert;
    const descriptive = Object.fromEntries(
      Object.entries(row).filter(([k]) => !(CABINET_OWNED_CONTAINER_FIELDS as readonly string[]).includes(k)),
    );
    db.insert(chemicalInventory)
      .values(row)
      .onConflictDoUpdate({ target: chemicalInventory.container_id, set: descriptive })
      .run();
  }
  // A container the cloud moved to another cabinet or deleted is no longer expected here, unless it
  // has local changes the cloud has not seen yet (it will, and the next snapshot settles it).
  const pending = db
    .select({ id: changeLog.entity_id })
    .from(changeLog)
    .where(eq(changeLog.entity, "chemical_inventory"));
  db.delete(chemicalInventory)
    .where(
      and(
        eq(chemicalInventory.cabinet_id, s.scope.cabinet_id),
        ids.length ? notInArray(chemicalInventory.container_id, ids) : undefined,
        notInArray(chemicalInventory.container_id, pending),
      ),
    )
    .run();
  setDeviceState(db, "downlink_version", s.version);
  setDeviceState(db, "credential_secret", s.credential_secret);
  if (s.command_key) setDeviceState(db, "command_key", s.command_key);
  setDeviceState(db, "scope", JSON.stringify(s.scope));
}
