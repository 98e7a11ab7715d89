// Over real HTTP: a chunked body (no Content-Length) is counted as it streams, not trusted.
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { silentLogger } from "../logger.js";
import { bodyLimit, KIB } from "./body-limit.js";
import { errorHandler, parseBody } from "./errors.js";

const Echo = z.object({ pad: z.string() });
let server: ReturnType<typeof serve>;
let port = 0;

beforeAll(async () => {
  const app = new Hono();
  app.onError(errorHandler(silentLogger));
  app.use("*", bodyLimit(64 * KIB));
  app.post("/small", async (c) => c.json({ length: (await parseBody(c, Echo, KIB)).pad.length }));
  app.post("/form", async (c) => c.json({ length: (await parseBody(c, Echo)).pad.length }));
  app.post("/raw", async (c) => c.json({ length: (await c.req.arrayBuffer()).byteLength }));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
      port = info.port;
      resolve();
    });
  });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** POSTs `body`, in 1 KiB chunks without Content-Length when `chunked`. */
function post(path: string, body: string, chunked: boolean): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (!chunked) headers["content-length"] = String(Buffer.byteLength(body));
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    // The server may close the connection once it has answered; the answer is what counts.
    req.on("error", (err) => (req.writableEnded ? undefined : reject(err)));
    if (chunked) for (let i = 0; i < body.length; i += KIB) req.write(body.slice(i, i + KIB));
    req.end(chunked ? undefined : body);
  });
}

const padded = (bytes: number) => JSON.stringify({ pad: "x".repeat(bytes) });

describe("bodyLimit and parseBody's limit", () => {
  it.each([false, true])("accept a body within the limit (chunked: %s)", async (chunked) => {
    expect(await post("/small", padded(500), chunked)).toEqual({ status: 200, json: { length: 500 } });
  });

  it.each([false, true])("refuse a body over parseBody's limit with 413 (chunked: %s)", async (chunked) => {
    const res = await post("/small", padded(4 * KIB), chunked);
    expect(res.status).toBe(413);
    expect(res.json).toEqual({
      error: { code: "payload_too_large", message: "request body over 1024 bytes" },
    });
  });

  it("gives parseBody a default limit for form-sized bodies", async () => {
    expect((await post("/form", padded(60 * KIB), true)).status).toBe(200);
    expect((await post("/form", padded(70 * KIB), true)).status).toBe(413);
  });

  it.each([false, true])(
    "refuse a body over the app's limit for any handler (chunked: %s)",
    async (chunked) => {
      expect((await post("/raw", "x".repeat(60 * KIB), chunked)).status).toBe(200);
      const res = await post("/raw", "x".repeat(200 * KIB), chunked);
      expect(res.status).toBe(413);
      expect(res.json).toMatchObject({ error: { code: "payload_too_large" } });
    },
  );
});
