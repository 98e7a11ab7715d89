// HTTP to the cloud, with errors that say whether trying again can help.
import { gzipSync } from "node:zlib";
import { CLOUD_TIME_HEADER } from "../../shared/sync/downlink.js";

export class CloudError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body:
      | { error?: { code?: string; message?: string; fields?: Record<string, string> } }
      | undefined,
  ) {
    super(message);
  }

  /** Network failures, timeouts and 5xx/429 may pass; a 4xx will not until something changes. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export class CloudClient {
  constructor(
    private readonly baseUrl: string,
    private token?: string,
    private readonly timeoutMs = 15_000,
  ) {}

  setToken(token: string): void {
    this.token = token;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { gzip?: boolean; etag?: string } = {},
  ): Promise<{ status: number; json: T | undefined; etag?: string; cloudTime?: string }> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (opts.etag) headers["if-none-match"] = opts.etag;
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) {
      // Bytes go as they are (a shelf image); the cloud tells their type from the bytes themselves.
      headers["content-type"] = "application/octet-stream";
      payload = body;
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      const text = JSON.stringify(body);
      if (opts.gzip) {
        payload = gzipSync(text);
        headers["content-encoding"] = "gzip";
      } else payload = text;
    }
    let res: Response;
    try {
      res = await fetch(new URL(`/api/v1${path}`, this.baseUrl), {
        method,
        headers,
        body: payload as RequestInit["body"],
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new CloudError(`cloud unreachable: ${(err as Error).message}`, 0, undefined);
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as T & CloudError["body"]) : undefined;
    if (!res.ok && res.status !== 304) {
      const msg = (json as CloudError["body"])?.error?.message ?? res.statusText;
      throw new CloudError(`${method} ${path}: ${res.status} ${msg}`, res.status, json as CloudError["body"]);
    }
    return {
      status: res.status,
      json,
      etag: res.headers.get("etag") ?? undefined,
      cloudTime: res.headers.get(CLOUD_TIME_HEADER) ?? undefined,
    };
  }
}

/** Exponential backoff with full jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}
