// The blob store contract, on the filesystem and on a real S3-compatible server (s3rver, from npm,
// on loopback) through the same S3 client production uses.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "./blob-store.js";
import { createBlobStore } from "./blob-store.js";
import { S3BlobStore } from "./blob-store.s3.js";

interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)("s3rver") as new (opts: Record<string, unknown>) => S3rver;

const dir = mkdtempSync(join(tmpdir(), "lilo-blobs-"));
let server: S3rver;
let endpoint: string;
const s3 = (over: Partial<ConstructorParameters<typeof S3BlobStore>[0]> = {}) =>
  new S3BlobStore({
    endpoint,
    bucket: "lilo-evidence",
    region: "us-east-1",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    prefix: "test/",
    ...over,
  });

beforeAll(async () => {
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: join(dir, "s3"),
    configureBuckets: [{ name: "lilo-evidence", configs: [] }],
  });
  endpoint = `http://127.0.0.1:${(await server.run()).port}`;
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]);

describe.each([
  {
    name: "filesystem",
    store: (): BlobStore => createBlobStore({ dataDir: join(dir, "data"), blobs: { kind: "fs" } }),
  },
  { name: "S3 (s3rver)", store: (): BlobStore => s3() },
])("the $name blob store", ({ store }) => {
  it("keeps bytes and their type under a key, and knows what it does not hold", async () => {
    const blobs = store();
    const key = `org-1/${"a".repeat(64)}`;
    expect(await blobs.has(key)).toBe(false);
    expect(await blobs.get(key)).toBeUndefined();
    await blobs.put(key, JPEG, "image/jpeg");
    expect(await blobs.has(key)).toBe(true);
    const blob = await blobs.get(key);
    expect(blob?.contentType).toBe("image/jpeg");
    expect(Buffer.from(blob!.bytes).equals(Buffer.from(JPEG))).toBe(true);
    // Writing the same key again is harmless.
    await blobs.put(key, JPEG, "image/jpeg");
    expect((await blobs.get(key))?.bytes.length).toBe(JPEG.length);
    expect(await blobs.has(`org-2/${"a".repeat(64)}`)).toBe(false);
  });

  it("refuses keys that could leave their place", async () => {
    const blobs = store();
    for (const key of ["../escape", "org/../../x", "/abs", "a//b", "a b", ""])
      await expect(blobs.put(key, JPEG, "image/jpeg")).rejects.toThrow(/invalid blob key/);
  });
});

describe("the filesystem store", () => {
  it("lives under <data dir>/blobs by default and leaves no temporary files", async () => {
    const blobs = createBlobStore({ dataDir: join(dir, "fsdefault"), blobs: { kind: "fs" } });
    await blobs.put("org/k1", JPEG, "image/jpeg");
    expect(readdirSync(join(dir, "fsdefault", "blobs", "org")).sort()).toEqual(["k1", "k1.type"]);
  });
});

describe("the S3 store", () => {
  it("fails loudly with an unknown access key or a missing bucket", async () => {
    await expect(s3({ accessKeyId: "NOBODY" }).put("org/k", JPEG, "image/jpeg")).rejects.toThrow(
      /S3 PUT lilo-evidence\/org\/k: 403/,
    );
    await expect(s3({ bucket: "no-such-bucket" }).put("org/k", JPEG, "image/jpeg")).rejects.toThrow(
      /404|NoSuchBucket/,
    );
  });
});
