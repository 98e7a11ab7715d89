// The default blob store: one file per key under a directory, written to a temporary name and renamed
// so that a reader never sees half an image; the content type sits beside it.
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { assertBlobKey, type Blob, type BlobStore } from "./blob-store.js";

export class FsBlobStore implements BlobStore {
  readonly kind = "fs";

  constructor(private readonly dir: string) {}

  private path(key: string): string {
    return join(this.dir, assertBlobKey(key));
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(`${path}.type`, contentType);
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  }

  async get(key: string): Promise<Blob | undefined> {
    const path = this.path(key);
    try {
      const [bytes, contentType] = await Promise.all([readFile(path), readFile(`${path}.type`, "utf8")]);
      return { bytes, contentType };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async has(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    );
  }
}
