// The org-administration gate on the admin routes outside /api/v1's authorization (the label route;
// devices and claim tokens are v1 routes, decided by cloud/authz): a caller who is not signed in, a
// plain member, and an admin of another organization are all refused before any service is reached;
// an admin of the organization gets through.
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { AppError } from "../../shared/errors.js";
import { errorHandler } from "../../shared/http/errors.js";
import { silentLogger } from "../../shared/logger.js";
import type { AccountService, Principal } from "../accounts/account.service.js";
import type { LabelService } from "../labels/label.service.js";
import type { CloudEnv } from "./auth.middleware.js";
import { labelRoutes } from "./labels.routes.js";

const ORG = randomUUID();
const OTHER_ORG = randomUUID();
const people: Record<string, Principal> = {
  member: { user_id: randomUUID(), email: "m@lab.test", memberships: [{ org_id: ORG, org_role: "member" }] },
  "other-admin": {
    user_id: randomUUID(),
    email: "o@lab.test",
    memberships: [
      { org_id: ORG, org_role: "member" },
      { org_id: OTHER_ORG, org_role: "admin" },
    ],
  },
  admin: { user_id: randomUUID(), email: "a@lab.test", memberships: [{ org_id: ORG, org_role: "admin" }] },
};

/** A service whose every method records that it was reached and answers 409. */
function serviceStub<T>(reached: string[], own: Record<string, unknown> = {}): T {
  return new Proxy(own, {
    get: (target, name) =>
      target[String(name)] ??
      (async () => {
        reached.push(String(name));
        throw new AppError("conflict", "service reached");
      }),
  }) as T;
}

function api(reached: string[]) {
  const accounts = serviceStub<AccountService>(reached, {
    authenticate: async (token: string) => people[token],
  });
  const app = new Hono<CloudEnv>();
  app.onError(errorHandler(silentLogger));
  app.route("/", labelRoutes({ accounts, labels: serviceStub<LabelService>(reached) }));
  return app;
}

/** Each path once: a route's middleware and handler are listed as two entries. */
const adminRoutes = (app: Hono<CloudEnv>) => [
  ...new Set(
    app.routes.filter((r) => r.method === "POST" && r.path.startsWith("/orgs/:org/")).map((r) => r.path),
  ),
];

const call = (app: Hono<CloudEnv>, path: string, token?: string) =>
  app.request(
    path.replace(":org", ORG).replace(/:[a-z]+/g, () => randomUUID()),
    {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: "{}",
    },
  );

describe("org admin routes outside /api/v1's authorization", () => {
  const routes = adminRoutes(api([]));

  it("covers the label route", () => {
    expect(routes).toEqual(["/orgs/:org/containers/:container/label"]);
  });

  it.each([
    [undefined, 401, "unauthorized"],
    ["member", 403, "forbidden"],
    ["other-admin", 403, "forbidden"],
  ])("refuses caller %s on every route before any service runs", async (token, status, code) => {
    const reached: string[] = [];
    const app = api(reached);
    for (const path of routes) {
      const res = await call(app, path, token);
      expect({ path, status: res.status }).toEqual({ path, status });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(reached).toEqual([]);
  });

  it("lets an admin of the organization through on every route", async () => {
    const reached: string[] = [];
    const app = api(reached);
    for (const path of routes) {
      const res = await call(app, path, "admin");
      expect({ path, passed: ![401, 403].includes(res.status) }).toEqual({ path, passed: true });
    }
    expect(reached.length).toBeGreaterThan(0);
  });
});
