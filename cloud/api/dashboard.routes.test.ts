// The dashboard's static route: index.html for every client-side path, hashed assets cached for good,
// nothing outside the build folder, and a clear answer when the dashboard was never built.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardRoutes } from "./dashboard.routes.js";

describe("dashboard routes", () => {
  let root: string;
  let dist: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "lilo-dashboard-routes-"));
    dist = join(root, "dist");
    mkdirSync(join(dist, "assets"), { recursive: true });
    writeFileSync(join(dist, "index.html"), "<!doctype html><title>dash</title>");
    writeFileSync(join(dist, "assets", "index-abc123.js"), "console.log(1)");
    writeFileSync(join(root, "secret.txt"), "outside the build");
    // A sibling whose name starts like the build folder's.
    mkdirSync(join(root, "dist-other", "assets"), { recursive: true });
    writeFileSync(join(root, "dist-other", "assets", "x.js"), "outside the build");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("sends / and /dashboard to /dashboard/", async () => {
    const app = dashboardRoutes(dist);
    for (const path of ["/", "/dashboard"]) {
      const res = await app.request(path);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/dashboard/");
    }
  });

  it("answers every client-side path with index.html, revalidated, under a strict CSP", async () => {
    const app = dashboardRoutes(dist);
    for (const path of ["/dashboard/", "/dashboard/inventory", "/dashboard/containers/7f1c"]) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("<title>dash</title>");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    }
  });

  it("serves hashed assets with their type, cached for a year", async () => {
    const res = await dashboardRoutes(dist).request("/dashboard/assets/index-abc123.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/javascript");
    expect(res.headers.get("cache-control")).toContain("immutable");
    expect(await res.text()).toBe("console.log(1)");
  });

  it("answers 404 for a missing asset and never reads outside the build folder", async () => {
    const app = dashboardRoutes(dist);
    expect((await app.request("/dashboard/assets/gone.js")).status).toBe(404);
    for (const path of [
      "/dashboard/assets/..%2F..%2Fsecret.txt",
      "/dashboard/assets/%2e%2e/%2e%2e/secret.txt",
    ]) {
      const res = await app.request(path);
      expect(await res.text()).not.toContain("outside the build");
    }
  });

  it("says how to build the dashboard when it was not built", async () => {
    const res = await dashboardRoutes(join(root, "nowhere")).request("/dashboard/");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("npm run build");
  });
});
