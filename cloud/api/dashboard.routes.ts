// Serves the built dashboard (cloud/dashboard/dist, made by `npm run build`) at /dashboard/: hashed
// assets are cached for a year, index.html is revalidated every time, and every other path under
// /dashboard/ answers index.html so the browser's router can take it (bookmarks, reloads).
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { Hono } from "hono";
import { fromRoot } from "../../shared/paths.js";

export const DASHBOARD_PATH = "/dashboard/";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

/** Scripts and styles only from this origin; images also as blob: URLs (the bearer-fetched photos). */
const CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

export function dashboardRoutes(distDir = fromRoot("cloud", "dashboard", "dist")) {
  const read = async (file: string) => {
    // normalize() resolves "..": a request cannot leave distDir.
    const path = normalize(join(distDir, file));
    if (!path.startsWith(distDir + sep)) return undefined;
    return readFile(path).catch(() => undefined);
  };
  return new Hono()
    .get("/", (c) => c.redirect(DASHBOARD_PATH))
    .get("/dashboard", (c) => c.redirect(DASHBOARD_PATH))
    .get("/dashboard/*", async (c) => {
      const rel = decodeURIComponent(c.req.path.slice(DASHBOARD_PATH.length));
      const security = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
      };
      const asset = rel.startsWith("assets/") ? await read(rel) : undefined;
      if (asset)
        return c.body(new Uint8Array(asset), 200, {
          ...security,
          "content-type": TYPES[extname(rel)] ?? "application/octet-stream",
          // Vite names assets by content hash: a changed file is a new name.
          "cache-control": "public, max-age=31536000, immutable",
        });
      if (rel.startsWith("assets/")) return c.text("not found", 404);
      const index = await read("index.html");
      if (!index)
        return c.text("The dashboard is not built: run `npm run build` (or `npm ci`).", 503, security);
      return c.body(new Uint8Array(index), 200, {
        ...security,
        "content-type": TYPES[".html"]!,
        "cache-control": "no-cache",
      });
    });
}
