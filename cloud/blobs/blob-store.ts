// Where shelf images live in the cloud: a key → bytes store behind one interface, the filesystem by
// default and an S3-compatible bucket by configuration (chosen once, in createBlobStore).
import { join } from "node:path";
import type { CloudConfig } from "../config.js";
import { FsBlobStore } from "./blob-store.fs.js";
import { S3BlobStore } from "./blob-store.s3.js";

export interface Blob {
  bytes: Uint8Array;
  contentType: string;
}

export interface BlobStore {
  readonly kind: "fs" | "s3";
  /** Stores the bytes under `key`; writing a key again with the same bytes is harmless. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The bytes under `key`, or undefined when there are none. */
  get(key: string): Promise<Blob | undefined>;
  has(key: string): Promise<boolean>;
}

/** Keys are `<segment>/<segment>` of letters, digits, `-`, `_` and `.`, never `..`: safe as paths and URLs. */
const KEY = /^(?!.*\.\.)[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

export function assertBlobKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
  return key;
}

export function createBlobStore(config: Pick<CloudConfig, "dataDir" | "blobs">): BlobStore {
  const { blobs } = config;
  if (blobs.kind === "s3") return new S3BlobStore(blobs);
  return new FsBlobStore(blobs.dir ?? join(config.dataDir, "blobs"));
}
