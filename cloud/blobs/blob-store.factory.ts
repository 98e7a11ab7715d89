// Picks the blob store the configuration names; the only place that constructs one.
import { join } from "node:path";
import type { CloudConfig } from "../config.js";
import { FsBlobStore } from "./blob-store.fs.js";
import type { BlobStore } from "./blob-store.js";
import { S3BlobStore } from "./blob-store.s3.js";

export function createBlobStore(config: Pick<CloudConfig, "dataDir" | "blobs">): BlobStore {
  const { blobs } = config;
  if (blobs.kind === "s3") return new S3BlobStore(blobs);
  return new FsBlobStore(blobs.dir ?? join(config.dataDir, "blobs"));
}
