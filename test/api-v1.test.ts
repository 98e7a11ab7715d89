// The v1 API on a real cloud and PostgreSQL: the OpenAPI document, credentials, API keys, containers,
// grants, and the cross-tenant suite that sends every operation of the document as organization B (a
// person and an API key) on organization A's ids: each answers 403 or 404 and none leaks an id of A.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountService } from "../cloud/accounts/account.service.js";
import { ApiKeyService } from "../cloud/apikeys/api-key.service.js";
import { type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { CabinetService } from "../cloud/orgs/cabinet.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { RateLimitRepository } from "../cloud/security/rate-limit.repository.js";
import { RateLimitService } from "../cloud/security/rate-limit.service.js";
import { chemicalInventory, unifiedEventLog } from "../shared/schema/tenant.js";
import { startCloud, type TestCloud } from "./support/cloud.js";
import { backends } from "./support/databases.js";

const backend = backends.at(-1)!;

describe(`API v1 on ${backend.name}`, () => {
  let t: TestCloud;
  let a: DemoOrg;
  let b: { org_id: string; cabinet_id: string };
  let managerA: string;
  let managerB: string;
  let keyB: string;
  let keyA: { key: string; key_id: string };
  let ids: Record<string, string>;

  const api = (path: string, token?: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${t.cloud.url}/api/v1${path}`, {
      method: init.method ?? "GET",
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const firstChunk = async (res: Response) => {
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    await reader.cancel();
    return new TextDecoder().decode(value);
  };
  const login = async (email: string, password: string) =>
    (
      (await (await api("/auth/login", undefined, { method: "POST", body: { email, password } })).json()) as {
        token: string;
      }
    ).token;

  beforeAll(async () => {
    t = await startCloud(backend);
    a = await ensureDemoOrg(t.cloud.db);
    const m = a.users.find((u) => u.role === "lab_manager")!;
    managerA = await login(m.email, m.password!);
    const { org_id } = await new OrganizationService(t.cloud.db).create({
      name: "Other",
      slug: "other-org",
      type: "pharma",
    });
    const cab = await new CabinetService(t.cloud.db).create(org_id, {
      department: "D",
      lab: "L",
      name: "B1",
      code: "B-1",
    });
    b = { org_id, cabinet_id: cab.cabinet_id };
    await new AccountService(t.cloud.db).create({
      email: "owner@b.example",
      password: "owner-b-password",
      org_id,
      org_role: "owner",
    });
    managerB = await login("owner@b.example", "owner-b-password");
    const keys = new ApiKeyService(t.cloud.db, new RateLimitService(new RateLimitRepository(t.cloud.db)));
    keyB = (await keys.createByOperator(org_id, { name: "b", scopes: ["all"] })).key;
    keyA = await keys.createByOperator(a.org_id, { name: "a", scopes: ["all"] });
    const [container] = await t.cloud.db.withTenant(a.org_id, (tx) =>
      tx.select().from(chemicalInventory).limit(1),
    );
    const [event] = await t.cloud.db.withTenant(a.org_id, (tx) =>
      tx.insert(unifiedEventLog).values({ event_type: "manual", cabinet_id: a.cabinet_id }).returning(),
    );
    const tree = (await (await api(`/orgs/${a.org_id}/cabinets/${a.cabinet_id}`, managerA)).json()) as {
      lab_id: string;
    };
    const lab = (await (await api(`/orgs/${a.org_id}/laboratories/${tree.lab_id}`, managerA)).json()) as {
      dept_id: string;
    };
    const grants = (await (await api(`/orgs/${a.org_id}/grants`, managerA)).json()) as {
      items: { assignment_id: string }[];
    };
    const hold = (await (
      await api(`/orgs/${a.org_id}/legal-holds`, keyA.key, {
        method: "POST",
        body: { scope_type: "cabinet", scope_id: a.cabinet_id, reason: "the cross-tenant walk" },
      })
    ).json()) as { hold_id: string };
    const post = async (path: string, body: unknown) =>
      (await (await api(`/orgs/${a.org_id}${path}`, managerA, { method: "POST", body })).json()) as Record<
        string,
        string
      >;
    const view = await post("/saved-views", { name: "A's view", entity: "chemicals", visibility: "public" });
    const schedule = await post("/scheduled-reports", {
      name: "A's report",
      kind: "audit_log",
      schedule: "0 7 * * MON",
      recipients: ["a@a.example"],
    });
    ids = {
      view: view.view_id!,
      schedule: schedule.schedule_id!,
      hold: hold.hold_id,
      org: a.org_id,
      cabinet: a.cabinet_id,
      container: container!.container_id,
      lab: tree.lab_id,
      dept: lab.dept_id,
      key: keyA.key_id,
      user: m.user_id,
      grant: grants.items[0]!.assignment_id,
      event: event!.event_id,
      transaction: event!.event_id,
      scan: event!.event_id,
    };
  }, 120_000);
  afterAll(async () => t?.dispose());

  it("serves an OpenAPI 3 document of every operation, and nothing under /orgs without credentials", async () => {
    const doc = (await (await api("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, object>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      "/api/v1/orgs/{org}/containers",
      "/api/v1/orgs/{org}/grants",
      "/api/v1/orgs/{org}/api-keys",
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    for (const path of Object.keys(doc.paths).filter((p) => p.includes("{org}"))) {
      const res = await api(
        path.replace("/api/v1", "").replace(/\{(\w+)\}/g, (_, k: string) => ids[k] ?? PUBLIC_PARAMS[k]!),
      );
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain("LILO:C:");
    }
  });

  it("walks every operation as organization B (person and API key) on A's ids: 403 or 404, nothing leaked", async () => {
    const doc = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const leaks: string[] = [];
    let sent = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.includes("{org}")) continue;
      for (const method of Object.keys(ops)) {
        for (const org of [a.org_id, b.org_id]) {
          for (const token of [managerB, keyB]) {
            const url = path
              .replace("/api/v1", "")
              .replace(/\{(\w+)\}/g, (_, k: string) => (k === "org" ? org : (ids[k] ?? PUBLIC_PARAMS[k])!));
            const body = method === "get" ? undefined : bodyFor(path, ids);
            const res = await api(url, token, { method: method.toUpperCase(), body });
            // A live stream (SSE) under B's own path never ends: its first chunk is all there is to check.
            const text = res.headers.get("content-type")?.startsWith("text/event-stream")
              ? await firstChunk(res)
              : await res.text();
            sent++;
            // Nothing of A in any answer; under A's own path, nothing but 403 or 404.
            const leaked = Object.values(ids).filter((id) => text.includes(id));
            if (org === a.org_id && ![403, 404].includes(res.status))
              leaks.push(`${method} ${url} as ${token === keyB ? "key" : "user"}: ${res.status}`);
            if (res.status >= 500) leaks.push(`${method} ${url}: ${res.status}`);
            if (leaked.length) leaks.push(`${method} ${url}: leaked ${leaked.join(",")}`);
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(80);
    expect(leaks).toEqual([]);
  }, 120_000);

  it("registers a container with a checked CAS and prints its label; bad input changes nothing", async () => {
    const before = await t.cloud.db.withTenant(a.org_id, (tx) => tx.select().from(chemicalInventory));
    const bad = await api(`/orgs/${a.org_id}/containers`, managerA, {
      method: "POST",
      body: {
        cabinet_id: a.cabinet_id,
        shelf_level: 9,
        chemical_name: "Toluene",
        cas_number: "108-88-4",
        quantity: 1,
        unit: "L",
      },
    });
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as { error: { code: string; fields: Record<string, string> } };
    expect(err.error.code).toBe("validation_failed");
    expect(Object.keys(err.error.fields)).toContain("cas_number");
    expect(await t.cloud.db.withTenant(a.org_id, (tx) => tx.select().from(chemicalInventory))).toHaveLength(
      before.length,
    );

    const ok = await api(`/orgs/${a.org_id}/containers`, keyA.key, {
      method: "POST",
      body: {
        cabinet_id: a.cabinet_id,
        shelf_level: 2,
        chemical_name: "Toluene",
        cas_number: "108-88-3",
        quantity: 500,
        unit: "mL",
        ghs_pictograms: ["GHS02", "GHS07", "GHS08"],
        signal_word: "Danger",
        expiry_date: "2020-01-01",
      },
    });
    expect(ok.status).toBe(201);
    const reg = (await ok.json()) as {
      container: { container_id: string; qr_code: string };
      label: { media_type: string; data_base64: string };
    };
    expect(reg.label.media_type).toBe("application/pdf");
    expect(Buffer.from(reg.label.data_base64, "base64").subarray(0, 4).toString()).toBe("%PDF");
    const search = (await (
      await api(`/orgs/${a.org_id}/containers?q=toluene&expired=true`, managerA)
    ).json()) as {
      items: { container_id: string }[];
    };
    expect(search.items.map((c) => c.container_id)).toEqual([reg.container.container_id]);
    const facets = (await (await api(`/orgs/${a.org_id}/containers/facets?ghs=GHS08`, managerA)).json()) as {
      expiry: Record<string, number>;
    };
    expect(facets.expiry.expired).toBe(1);
    const edit = await api(`/orgs/${a.org_id}/containers/${reg.container.container_id}`, managerA, {
      method: "PATCH",
      body: { expiry_date: "2031-01-01" },
    });
    expect(((await edit.json()) as { expiry_date: string }).expiry_date).toBe("2031-01-01");
    const history = (await (
      await api(`/orgs/${a.org_id}/containers/${reg.container.container_id}/history`, managerA)
    ).json()) as {
      items: { event_details: { action: string } }[];
    };
    expect(history.items.map((e) => e.event_details.action)).toEqual(
      expect.arrayContaining(["container_registered", "container_updated", "label_printed"]),
    );
  });

  it("pages with a cursor and refuses a forged one", async () => {
    const first = (await (await api(`/orgs/${a.org_id}/containers?limit=3`, managerA)).json()) as {
      items: { container_id: string }[];
      next_cursor: string;
    };
    expect(first.items).toHaveLength(3);
    const second = (await (
      await api(`/orgs/${a.org_id}/containers?limit=3&cursor=${first.next_cursor}`, managerA)
    ).json()) as {
      items: { container_id: string }[];
    };
    expect(second.items.some((c) => first.items.some((f) => f.container_id === c.container_id))).toBe(false);
    const forged = await api(`/orgs/${a.org_id}/containers?cursor=nonsense`, managerA);
    expect(forged.status).toBe(400);
  });

  it("API keys: scoped keys are refused outside their scopes, a revoked key at once, a busy key is rate limited", async () => {
    const created = await api(`/orgs/${a.org_id}/api-keys`, keyA.key, {
      method: "POST",
      body: { name: "reader", scopes: ["event:read"], rate_limit_per_hour: 3 },
    });
    expect(created.status).toBe(201);
    const { key, key_id } = (await created.json()) as { key: string; key_id: string };
    expect((await api(`/orgs/${a.org_id}/events`, key)).status).toBe(200);
    expect((await api(`/orgs/${a.org_id}/containers`, key)).status).toBe(403);
    expect((await api(`/orgs/${a.org_id}/events`, key)).status).toBe(200);
    expect((await api(`/orgs/${a.org_id}/events`, key)).status).toBe(429);
    const listed = await (await api(`/orgs/${a.org_id}/api-keys`, managerA)).text();
    expect(listed).not.toContain(key);
    const revoked = await api(`/orgs/${a.org_id}/api-keys/${key_id}/revoke`, keyA.key, {
      method: "POST",
      body: {},
    });
    expect(revoked.status).toBe(200);
    expect((await api(`/orgs/${a.org_id}/events`, key)).status).toBe(401);
  });

  it("grants: a bare member sees no inventory until granted a lab, and loses it when the grant is revoked", async () => {
    const created = await api(`/orgs/${a.org_id}/users`, managerA, {
      method: "POST",
      body: { email: "new.tech@demo.lilo.example", password: "new-tech-password", org_role: "member" },
    });
    expect(created.status).toBe(201);
    const { user_id } = (await created.json()) as { user_id: string };
    const tech = await login("new.tech@demo.lilo.example", "new-tech-password");
    expect((await api(`/orgs/${a.org_id}/containers`, tech)).status).toBe(403);
    const roles = (await (await api(`/orgs/${a.org_id}/roles`, managerA)).json()) as {
      items: { role_id: string; role_slug: string }[];
    };
    const technician = roles.items.find((r) => r.role_slug === "technician")!;
    const grant = await api(`/orgs/${a.org_id}/grants`, managerA, {
      method: "POST",
      body: { user_id, role_id: technician.role_id, scope_type: "lab", scope_id: ids.lab },
    });
    expect(grant.status).toBe(201);
    const { assignment_id } = (await grant.json()) as { assignment_id: string };
    expect((await api(`/orgs/${a.org_id}/containers`, tech)).status).toBe(200);
    expect(
      (
        await api(`/orgs/${a.org_id}/containers/${ids.container}`, tech, {
          method: "PATCH",
          body: { notes: "x" },
        })
      ).status,
    ).toBe(403);
    const enrol = await api(`/orgs/${a.org_id}/users/${user_id}/credentials`, managerA, {
      method: "PUT",
      body: { badge: "BADGE-NEW-1", pin: "135791", user_number: 2001 },
    });
    expect(await enrol.json()).toMatchObject({ has_badge: true, has_pin: true, user_number: 2001 });
    const revoke = await api(`/orgs/${a.org_id}/grants/${assignment_id}/revoke`, managerA, {
      method: "POST",
    });
    expect(((await revoke.json()) as { revoked_at: string | null }).revoked_at).not.toBeNull();
    expect((await api(`/orgs/${a.org_id}/containers`, tech)).status).toBe(403);
  });
});

/** A body that passes validation for each write operation, so that the check under test is access. */
/** Path parameters that name no data of an organization (a report kind): the same in every answer. */
const PUBLIC_PARAMS: Record<string, string> = { kind: "audit_log" };

function bodyFor(path: string, ids: Record<string, string>): unknown {
  if (path.endsWith("/containers"))
    return {
      cabinet_id: ids.cabinet,
      shelf_level: 1,
      chemical_name: "X",
      quantity: 1,
      unit: "g",
      label: false,
    };
  if (path.endsWith("/move")) return { cabinet_id: ids.cabinet, shelf_level: 1 };
  if (path.endsWith("/dispose")) return { disposal_method: "incineration" };
  if (path.endsWith("/containers/{container}")) return { notes: "leak?" };
  if (path.endsWith("/departments")) return { dept_name: "X" };
  if (path.endsWith("/laboratories")) return { dept_id: ids.dept, lab_name: "X" };
  if (path.endsWith("/api-keys")) return { name: "x", scopes: ["all"] };
  if (path.endsWith("/users")) return { email: "x@x.example", password: "long-enough-password" };
  if (path.endsWith("/credentials")) return { badge: "BADGE-X" };
  if (path.endsWith("/roles")) return { role_name: "X", role_slug: "x_role", permissions: [] };
  if (path.endsWith("/saved-views")) return { name: "B's view", entity: "chemicals" };
  if (path.endsWith("/saved-views/{view}")) return { name: "renamed" };
  if (path.endsWith("/scheduled-reports"))
    return { name: "B's report", kind: "audit_log", schedule: "0 7 * * *", recipients: ["b@b.example"] };
  if (path.endsWith("/scheduled-reports/{schedule}")) return { recipients: ["b@b.example"] };
  if (path.endsWith("/run")) return { format: "csv" };
  if (path.endsWith("/legal-holds")) return { scope_type: "cabinet", scope_id: ids.cabinet, reason: "x" };
  if (path.endsWith("/release")) return { reason: "x" };
  if (path.endsWith("/grants"))
    return { user_id: ids.user, role_id: ids.grant, scope_type: "lab", scope_id: ids.lab };
  return {};
}
