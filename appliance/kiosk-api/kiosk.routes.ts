// The kiosk's own routes under /api/kiosk (the cabinet's kiosk only: kiosk-guard.middleware.ts) and
// the built kiosk page under /kiosk/. Sign-in is the appliance's POST /api/access.
import { readFile } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { AppError } from "../../shared/errors.js";
import { parseBody } from "../../shared/http/errors.js";
import { GHS_CODES, type GhsCode, normalizeGhs } from "../../shared/labels/ghs.js";
import { pictogramSvg } from "../../shared/labels/svg.js";
import { kioskGuard } from "../kiosk-guard.middleware.js";
import type { KioskService } from "./kiosk.service.js";
import type { KioskLiveListener } from "./kiosk-live.listener.js";
import type { KioskViewRepository } from "./kiosk-view.repository.js";

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => v || undefined);
const RETURN_CONDITIONS = ["good", "damaged", "leaking", "nearly_empty", "empty"] as const;

const Empty = z.strictObject({});
const SignOutBody = z.strictObject({ reason: z.enum(["button", "inactivity"]).default("button") });
const ConfirmBody = z.strictObject({
  checkouts: z
    .array(
      z.strictObject({
        transaction_id: z.uuid(),
        purpose: optionalText(500),
        experiment_id: optionalText(100),
        project_name: optionalText(255),
      }),
    )
    .max(200)
    .default([]),
  returns: z
    .array(z.strictObject({ transaction_id: z.uuid(), condition: z.enum(RETURN_CONDITIONS) }))
    .max(200)
    .default([]),
});
const RegisterBody = z.strictObject({
  qr_code: text(100),
  chemical_name: text(255),
  cas_number: optionalText(50),
  quantity: z.number().positive().max(9_999_999),
  unit: z.enum(["mL", "L", "g", "kg", "mg", "µL"]),
  ghs_pictograms: z
    .array(z.enum(GHS_CODES))
    .max(GHS_CODES.length)
    .default([])
    .transform((a) => [...new Set(a)]),
  signal_word: z.enum(["Danger", "Warning"]).optional(),
});

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};
/** The page talks only to this server; nothing inline but styles Preact sets. */
const PAGE_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";

export interface KioskRouteDeps {
  kiosk: KioskService;
  views: KioskViewRepository;
  live: KioskLiveListener;
  /** Where the scans' photos are kept: a photo is served only from under it. */
  evidenceDir: string;
  /** The port this server listens on and the kiosk key of this start. */
  guard: { port: () => number; key: () => string };
}

export function kioskApiRoutes({ kiosk, views, live, evidenceDir, guard }: KioskRouteDeps): Hono {
  const root = resolve(evidenceDir) + sep;
  return new Hono()
    .use("*", kioskGuard(guard))
    .get("/status", (c) => c.json(kiosk.status()))
    .get("/shelves", (c) => c.json({ shelves: views.shelves(kiosk.status().cabinet.shelves) }))
    .get("/review", (c) => c.json({ review: kiosk.currentReview() ?? null }))
    .get("/alerts", (c) => c.json({ alerts: views.alerts() }))
    .get("/photos/:scan", async (c) => {
      const path = views.photoPath(z.uuid().safeParse(c.req.param("scan")).data ?? "");
      if (!path || !resolve(path).startsWith(root)) throw new AppError("not_found", "no such photo");
      const jpeg = await readFile(path).catch(() => undefined);
      if (!jpeg) throw new AppError("not_found", "the photo is no longer kept");
      return c.body(new Uint8Array(jpeg), 200, {
        "content-type": "image/jpeg",
        "cache-control": "private, max-age=86400, immutable",
      });
    })
    .get("/ghs/:code", (c) => {
      const code = normalizeGhs(c.req.param("code").replace(/\.svg$/, "")) as GhsCode | undefined;
      if (!code) throw new AppError("not_found", "no such GHS pictogram");
      return c.body(pictogramSvg(code), 200, {
        "content-type": "image/svg+xml",
        "cache-control": "public, max-age=86400",
      });
    })
    .get("/live", (c) =>
      streamSSE(c, async (stream) => {
        const stopped = new Promise<void>((done) => stream.onAbort(done));
        const remove = live.subscribe((m) => {
          void stream.writeSSE({ event: "change", data: JSON.stringify(m) });
        });
        await stream.writeSSE({ event: "hello", data: "{}" });
        await stopped;
        remove();
      }),
    )
    .post("/open", async (c) => {
      await parseBody(c, Empty);
      return c.json(await kiosk.open());
    })
    .post("/sign-out", async (c) => {
      const { reason } = await parseBody(c, SignOutBody);
      await kiosk.signOut(reason);
      return c.json({ signed_out: true });
    })
    .post("/review/:id/confirm", async (c) => {
      const body = await parseBody(c, ConfirmBody);
      return c.json({ review: kiosk.confirm({ review_id: c.req.param("id"), ...body }) });
    })
    .post("/review/:id/rescan", async (c) => {
      await parseBody(c, Empty);
      return c.json({ review: await kiosk.rescan(c.req.param("id")) });
    })
    .post("/review/:id/containers", async (c) => {
      const body = await parseBody(c, RegisterBody);
      return c.json({ container: kiosk.register(c.req.param("id"), body) }, 201);
    })
    .post("/alerts/:id/acknowledge", async (c) => {
      await parseBody(c, Empty);
      return c.json({ alert: kiosk.acknowledge(c.req.param("id")) });
    });
}

/** The built page (appliance/kiosk/dist): hashed assets cached for good, the page itself never. */
export function kioskPageRoutes(distDir: string): Hono {
  const root = resolve(distDir) + sep;
  const send = async (rel: string) => {
    const path = resolve(join(root, rel));
    if (!path.startsWith(root)) return undefined;
    const body = await readFile(path).catch(() => undefined);
    return body && { body, type: TYPES[extname(path)] ?? "application/octet-stream" };
  };
  return new Hono().get("/*", async (c) => {
    const rel = decodeURIComponent(new URL(c.req.url).pathname.replace(/^\/kiosk\/?/, ""));
    const asset = rel && (await send(rel));
    if (asset)
      return c.body(new Uint8Array(asset.body), 200, {
        "content-type": asset.type,
        "cache-control": rel.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
      });
    if (rel.startsWith("assets/")) throw new AppError("not_found", "no such file");
    const page = await send("index.html");
    if (!page)
      return c.text("The kiosk is not built: run `npm run build`.", 503, { "cache-control": "no-store" });
    return c.body(new Uint8Array(page.body), 200, {
      "content-type": page.type,
      "cache-control": "no-cache",
      "content-security-policy": PAGE_CSP,
      "x-content-type-options": "nosniff",
    });
  });
}
