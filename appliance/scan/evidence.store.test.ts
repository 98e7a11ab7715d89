// Shelf images on the cabinet's disk: one file per content hash, and retention that removes the oldest
// uploaded images first and an image not yet uploaded only past the hard cap.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LocalDatabase, openLocalDatabase } from "../db/local-database.js";
import { EvidenceStore } from "./evidence.store.js";

let dir: string;
let local: LocalDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lilo-evidence-store-"));
  local = openLocalDatabase(join(dir, "appliance.db"));
});
afterEach(() => {
  local.close();
  rmSync(dir, { recursive: true, force: true });
});

const image = (n: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(97, n)]);
const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 12, minute));

describe("EvidenceStore", () => {
  it("keeps identical pictures once, under the SHA-256 of their bytes", () => {
    const store = new EvidenceStore(join(dir, "scans"), { quotaBytes: 10_000, hardCapBytes: 10_000 });
    const a = store.save(image(1));
    const b = store.save(image(1));
    expect(a).toEqual(b);
    expect(a.image_key).toMatch(/^[0-9a-f]{64}$/);
    store.track(local.db, a, at(0), false);
    store.track(local.db, b, at(5), true);
    expect(store.pending(local.db, 10)).toMatchObject([
      { image_key: a.image_key, captured_at: at(0).toISOString() },
    ]);
    store.markUploaded(local.db, a.image_key);
    expect(store.pendingCount(local.db)).toBe(0);
  });

  it("removes the oldest uploaded or unwanted images past the quota, never one waiting for the cloud", () => {
    // Each image is 100 bytes: a quota of 250 keeps two, a hard cap of 1000 never bites here.
    const store = new EvidenceStore(join(dir, "scans"), { quotaBytes: 250, hardCapBytes: 1000 });
    const saved = [0, 1, 2, 3, 4].map((n) => store.save(image(n)));
    // 0: uploaded, 1: waiting, 2: never to upload, 3: waiting, 4: uploaded.
    saved.forEach((s, n) => {
      store.track(local.db, s, at(n), n !== 2);
    });
    store.markUploaded(local.db, saved[0]!.image_key);
    store.markUploaded(local.db, saved[4]!.image_key);

    const result = store.prune(local.db);
    expect(result).toEqual({ removed: 3, removedBeforeUpload: 0, bytesLeft: 200 });
    expect(saved.map((s) => existsSync(s.path))).toEqual([false, true, false, true, false]);
    expect(store.pending(local.db, 10).map((p) => p.image_key)).toEqual([
      saved[1]!.image_key,
      saved[3]!.image_key,
    ]);
  });

  it("past the hard cap removes the oldest images not yet uploaded too, and says so", () => {
    const store = new EvidenceStore(join(dir, "scans"), { quotaBytes: 100, hardCapBytes: 250 });
    const saved = [0, 1, 2, 3].map((n) => store.save(image(n)));
    saved.forEach((s, n) => {
      store.track(local.db, s, at(n), true);
    });
    expect(store.prune(local.db)).toEqual({ removed: 2, removedBeforeUpload: 2, bytesLeft: 200 });
    expect(store.pending(local.db, 10).map((p) => p.image_key)).toEqual([
      saved[2]!.image_key,
      saved[3]!.image_key,
    ]);
    // A picture taken again after its removal is back on disk and tracked again.
    const again = store.save(image(0));
    store.track(local.db, again, at(9), true);
    expect(existsSync(again.path)).toBe(true);
    expect(store.pendingCount(local.db)).toBe(3);
  });
});
