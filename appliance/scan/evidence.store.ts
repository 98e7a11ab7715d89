// Shelf photographs kept as the evidence of each scan, one file per SHA-256 of the bytes under the data
// directory (identical pictures are kept once), tracked in SQLite: which ones go to the cloud (those of
// scans that changed something), which went, and which retention removed.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { and, asc, count, eq, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { LocalDb } from "../db/local-database.js";
import { evidenceImages } from "../db/schema.js";

const WAITING = and(
  eq(evidenceImages.upload, true),
  isNull(evidenceImages.uploaded_at),
  isNull(evidenceImages.removed_at),
);

export type TrackedImage = typeof evidenceImages.$inferSelect;

export interface StoredImage {
  /** The hex SHA-256 of the bytes: the scan's `image_s3_key` and the cloud's key. */
  image_key: string;
  path: string;
  size_bytes: number;
}

/**
 * Bytes of images on disk: above `quotaBytes` the oldest images already uploaded (or never to be) are
 * removed; above `hardCapBytes` (the cloud unreachable for a long time) the oldest not yet uploaded too.
 */
export interface EvidenceLimits {
  quotaBytes: number;
  hardCapBytes: number;
}

export interface PruneResult {
  removed: number;
  /** Of those, images that never reached the cloud (only past the hard cap). */
  removedBeforeUpload: number;
  bytesLeft: number;
}

export class EvidenceStore {
  constructor(
    private readonly dir: string,
    private readonly limits: EvidenceLimits,
  ) {}

  /** Writes one shelf's image under the SHA-256 of its bytes. */
  save(image: Buffer): StoredImage {
    const key = createHash("sha256").update(image).digest("hex");
    const dir = join(this.dir, key.slice(0, 2));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${key}.jpg`);
    writeFileSync(path, image);
    return { image_key: key, path, size_bytes: image.length };
  }

  /**
   * In the scan's transaction: records the image; `upload` when its scan changed something (a picture
   * taken again keeps its first capture time, and is uploaded if either scan asks for it).
   */
  track(db: LocalDb, image: StoredImage, capturedAt: Date, upload: boolean): void {
    db.insert(evidenceImages)
      .values({ ...image, captured_at: capturedAt.toISOString(), upload })
      .onConflictDoUpdate({
        target: evidenceImages.image_key,
        set: {
          path: image.path,
          removed_at: null,
          upload: sql`${evidenceImages.upload} OR excluded.upload`,
        },
      })
      .run();
  }

  /** An image already on disk is to be uploaded after all (the "before" of a change seen later). */
  requestUpload(db: LocalDb, key: string): void {
    db.update(evidenceImages)
      .set({ upload: true })
      .where(and(eq(evidenceImages.image_key, key), isNull(evidenceImages.removed_at)))
      .run();
  }

  /** Images waiting for the cloud, oldest first. */
  pending(db: LocalDb, limit: number): TrackedImage[] {
    return db
      .select()
      .from(evidenceImages)
      .where(WAITING)
      .orderBy(asc(evidenceImages.captured_at))
      .limit(limit)
      .all();
  }

  pendingCount(db: LocalDb): number {
    return db.select({ n: count() }).from(evidenceImages).where(WAITING).get()?.n ?? 0;
  }

  /** The image's bytes, or undefined when its file is gone. */
  read(image: TrackedImage): Buffer | undefined {
    try {
      return readFileSync(image.path);
    } catch {
      return undefined;
    }
  }

  markUploaded(db: LocalDb, key: string, at = new Date()): void {
    db.update(evidenceImages)
      .set({ uploaded_at: at.toISOString() })
      .where(eq(evidenceImages.image_key, key))
      .run();
  }

  /** The cloud refused it for good (or its file is gone): it is not offered again. */
  abandon(db: LocalDb, key: string): void {
    db.update(evidenceImages).set({ upload: false }).where(eq(evidenceImages.image_key, key)).run();
  }

  /** Removes the oldest images until the disk holds no more than the limits allow. */
  prune(db: LocalDb, at = new Date()): PruneResult {
    const present = isNull(evidenceImages.removed_at);
    let bytes =
      db
        .select({ n: sql<number>`coalesce(sum(${evidenceImages.size_bytes}), 0)` })
        .from(evidenceImages)
        .where(present)
        .get()?.n ?? 0;
    const result: PruneResult = { removed: 0, removedBeforeUpload: 0, bytesLeft: bytes };
    const removeOldest = (which: ReturnType<typeof and>, limit: number, beforeUpload: boolean) => {
      if (bytes <= limit) return;
      const rows = db
        .select()
        .from(evidenceImages)
        .where(and(present, which))
        .orderBy(asc(evidenceImages.captured_at))
        .all();
      for (const row of rows) {
        if (bytes <= limit) break;
        try {
          unlinkSync(row.path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
        db.update(evidenceImages)
          .set({ removed_at: at.toISOString() })
          .where(eq(evidenceImages.image_key, row.image_key))
          .run();
        bytes -= row.size_bytes;
        result.removed++;
        if (beforeUpload) result.removedBeforeUpload++;
      }
    };
    // Uploaded or never to be uploaded first; an image still waiting for the cloud only past the hard cap.
    removeOldest(
      or(eq(evidenceImages.upload, false), isNotNull(evidenceImages.uploaded_at)),
      this.limits.quotaBytes,
      false,
    );
    removeOldest(WAITING, this.limits.hardCapBytes, true);
    result.bytesLeft = bytes;
    return result;
  }
}
