// An organization for the report and saved-view tests, on the real server when configured: the demo
// organization (its containers disposed, so that a test's rows are the only ones) in Europe/Berlin with
// a second lab, its manager (organization-wide), a technician of each lab, another organization's owner,
// and the v1 API over the given routers.
import { randomUUID } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { AccountService } from "../../cloud/accounts/account.service.js";
import { PasswordHasher } from "../../cloud/accounts/password.js";
import type { ApiEnv } from "../../cloud/api/v1/openapi.js";
import { createV1App } from "../../cloud/api/v1/v1.app.js";
import { ApiKeyService } from "../../cloud/apikeys/api-key.service.js";
import { AccessService } from "../../cloud/authz/access.service.js";
import { callerAuth } from "../../cloud/authz/caller.middleware.js";
import type { Database, Tx } from "../../cloud/db/database.js";
import { migrateAll } from "../../cloud/db/migrator.js";
import { type DemoOrg, ensureDemoOrg } from "../../cloud/demo/demo-seed.js";
import { CabinetService } from "../../cloud/orgs/cabinet.service.js";
import { OrganizationService } from "../../cloud/orgs/organization.service.js";
import { RateLimitRepository } from "../../cloud/security/rate-limit.repository.js";
import { RateLimitService } from "../../cloud/security/rate-limit.service.js";
import { errorHandler } from "../../shared/http/errors.js";
import { silentLogger } from "../../shared/logger.js";
import { organizations } from "../../shared/schema/platform.js";
import { cabinets, chemicalInventory, roles, userRoleAssignments } from "../../shared/schema/tenant.js";
import { backends } from "./databases.js";

export const ORG_TIME_ZONE = "Europe/Berlin";
export type Who = "manager" | "techA" | "techB" | "outsider";

export interface ReportWorld {
  database: Database;
  org: DemoOrg;
  otherOrg: string;
  access: AccessService;
  labA: string;
  labB: string;
  cabinetB: string;
  users: Record<Who, { user_id: string; email: string; token: string }>;
  tenant<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  api(who: Who, path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  dispose(): Promise<void>;
}

/** The backend the medium tests here run on: PostgreSQL when configured (row locks are the server's). */
export const reportBackend = backends.at(-1)!;

export async function reportWorld(
  routers: (access: AccessService, database: Database) => OpenAPIHono<ApiEnv>[],
) {
  const created = await reportBackend.create();
  const database = created.database;
  await migrateAll(database);
  const org = await ensureDemoOrg(database);
  const tenant = <T>(fn: (tx: Tx) => Promise<T>) => database.withTenant(org.org_id, fn);
  await database.asOwner((tx) =>
    tx.update(organizations).set({ timezone: ORG_TIME_ZONE }).where(eq(organizations.org_id, org.org_id)),
  );
  await tenant((tx) => tx.update(chemicalInventory).set({ status: "disposed" }));
  const labA = await tenant(async (tx) => {
    const [cab] = await tx.select().from(cabinets).where(eq(cabinets.cabinet_id, org.cabinet_id));
    return cab!.lab_id;
  });
  const b = await new CabinetService(database).create(org.org_id, {
    department: "Biology",
    lab: "Cell culture",
    name: "Acids B",
    code: `ACID-${randomUUID().slice(0, 6)}`,
  });

  const accounts = new AccountService(database, {
    hasher: new PasswordHasher({ maxConcurrent: 2, maxQueued: 8 }),
  });
  const password = "correct horse battery";
  const tech = async (email: string, lab: string) => {
    const { user_id } = await accounts.create({ email, password, org_id: org.org_id, org_role: "member" });
    await tenant(async (tx) => {
      const [role] = await tx.select().from(roles).where(eq(roles.role_slug, "technician"));
      await tx
        .insert(userRoleAssignments)
        .values({ user_id, role_id: role!.role_id, scope_type: "lab", scope_id: lab });
    });
    return user_id;
  };
  const suffix = randomUUID().slice(0, 8);
  const techA = await tech(`tech-a-${suffix}@a.test`, labA);
  const techB = await tech(`tech-b-${suffix}@a.test`, b.lab_id);
  const otherOrg = (
    await new OrganizationService(database).create({
      name: "Other University",
      slug: `other-${suffix}`,
      type: "university",
      tier: "starter",
    })
  ).org_id;
  const { user_id: outsider } = await accounts.create({
    email: `owner-${suffix}@b.test`,
    password,
    org_id: otherOrg,
    org_role: "owner",
  });
  const manager = org.users.find((u) => u.role === "lab_manager")!;
  const login = async (user_id: string, email: string, pw: string) => ({
    user_id,
    email,
    token: (await accounts.login(email, pw)).token,
  });
  const users: ReportWorld["users"] = {
    manager: await login(manager.user_id, manager.email, manager.password!),
    techA: await login(techA, `tech-a-${suffix}@a.test`, password),
    techB: await login(techB, `tech-b-${suffix}@a.test`, password),
    outsider: await login(outsider, `owner-${suffix}@b.test`, password),
  };

  const access = new AccessService(database);
  const app = new Hono();
  app.onError(errorHandler(silentLogger));
  const limits = new RateLimitService(new RateLimitRepository(database));
  app.route(
    "/",
    createV1App({
      caller: callerAuth({ accounts, apiKeys: new ApiKeyService(database, limits) }),
      routers: routers(access, database),
    }),
  );
  const api: ReportWorld["api"] = (who, path, init = {}) =>
    Promise.resolve(
      app.request(`/api/v1${path}`, {
        method: init.method ?? "GET",
        headers: { authorization: `Bearer ${users[who].token}`, "content-type": "application/json" },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
    );
  return {
    database,
    org,
    otherOrg,
    access,
    labA,
    labB: b.lab_id,
    cabinetB: b.cabinet_id,
    users,
    tenant,
    api,
    dispose: created.dispose,
  } satisfies ReportWorld;
}
