// An S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, …) through aws4fetch: SigV4-signed fetch calls,
// path-style URLs (`<endpoint>/<bucket>/<key>`), which every S3-compatible server accepts.
import { AwsClient } from "aws4fetch";
import { assertBlobKey, type Blob, type BlobStore } from "./blob-store.js";

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Prepended to every key, e.g. `lilo/`, to share a bucket. */
  prefix: string;
}

const TIMEOUT_MS = 30_000;

export class S3BlobStore implements BlobStore {
  readonly kind = "s3";
  private readonly client: AwsClient;

  constructor(private readonly s3: S3Settings) {
    this.client = new AwsClient({
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      service: "s3",
      region: s3.region,
      retries: 3,
    });
  }

  private url(key: string): string {
    const base = this.s3.endpoint.replace(/\/+$/, "");
    return `${base}/${encodeURIComponent(this.s3.bucket)}/${this.s3.prefix}${assertBlobKey(key)}`;
  }

  private async call(method: string, key: string, init: RequestInit = {}): Promise<Response> {
    const res = await this.client.fetch(this.url(key), {
      ...init,
      method,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    // A missing key is an answer for a read; for a write (a missing bucket) it is a failure.
    if (res.ok || (res.status === 404 && method !== "PUT")) return res;
    const detail = (await res.text()).match(/<Code>([^<]+)<\/Code>/)?.[1] ?? res.statusText;
    throw new Error(`S3 ${method} ${this.s3.bucket}/${key}: ${res.status} ${detail}`);
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.call("PUT", key, {
      body: bytes as RequestInit["body"],
      headers: { "content-type": contentType },
    });
  }

  async get(key: string): Promise<Blob | undefined> {
    const res = await this.call("GET", key);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    return {
      bytes: new Uint8Array(await res.arrayBuffer()),
      contentType: res.headers.get("content-type") ?? "application/octet-stream",
    };
  }

  async has(key: string): Promise<boolean> {
    const res = await this.call("HEAD", key);
    await res.body?.cancel();
    return res.status !== 404;
  }
}
