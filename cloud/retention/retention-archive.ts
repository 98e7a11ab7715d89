// The archive retention writes before it deletes: one gzip'd NDJSON file (a row per line, as stored) per
// record table and batch, named by its SHA-256 in the blob store, so a file and the checksum the audit
// log records for it can be matched at any later time (docs/retention.md).
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { BlobStore } from "../blobs/blob-store.js";

export const ARCHIVE_CONTENT_TYPE = "application/x-ndjson+gzip";

export interface ArchiveFile {
  key: string;
  sha256: string;
  bytes: number;
  rows: number;
}

/** The file's bytes for `rows`, without storing them (also what a dry run would write). */
export function encodeArchive(rows: readonly unknown[]): Uint8Array {
  return gzipSync(rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

/** Writes the rows under `retention/<owner>/<table>/<sha256>.ndjson.gz` and returns what to record. */
export async function writeArchive(
  blobs: BlobStore,
  where: { owner: string; table: string },
  rows: readonly unknown[],
): Promise<ArchiveFile> {
  const bytes = encodeArchive(rows);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const key = `retention/${where.owner}/${where.table}/${sha256}.ndjson.gz`;
  await blobs.put(key, bytes, ARCHIVE_CONTENT_TYPE);
  return { key, sha256, bytes: bytes.length, rows: rows.length };
}

/** An archive's rows back, after checking its bytes against the recorded checksum. */
export async function readArchive(blobs: BlobStore, key: string, sha256: string): Promise<unknown[]> {
  const blob = await blobs.get(key);
  if (!blob) throw new Error(`archive ${key} is missing`);
  const actual = createHash("sha256").update(blob.bytes).digest("hex");
  if (actual !== sha256)
    throw new Error(`archive ${key} does not match its checksum (${actual} ≠ ${sha256})`);
  return gunzipSync(blob.bytes)
    .toString("utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);
}
