// The v1 API on a real cloud and PostgreSQL: the OpenAPI document, credentials, API keys, containers,
// grants, and the cross-tenant suite that sends every operation of the document as organization B (a
// person and an API key) on organization A's ids: each answers 403 or 404 and none leaks an id of A.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountService } from "../cloud/accounts/account.service.js";
import { ApiKeyService } from "../cloud/apikeys/api-key.service.js";
import { type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { CabinetService } from "../cloud/orgs/cabinet.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { RateLimitRepository } from "../cloud/security/rate-limit.repository.js";
import { RateLimitService } from "../cloud/security/rate-limit.service.js";
import { claimTokens, iotDevices, userOrgMemberships } from "../shared/schema/platform.js";
import {
  accessCredentials,
  chemicalInventory,
  safetyAlerts,
  unifiedEventLog,
  userRoleAssignments,
} from "../shared/schema/tenant.js";
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

  /** A new member of A with a password (signed in), created through the API by A's manager. */
  const newMember = async (email: string, org_role: string) => {
    const password = `${email.split("@")[0]!.replace(".", "-")}-password`;
    const res = await api(`/orgs/${a.org_id}/users`, managerA, {
      method: "POST",
      body: { email, password, org_role },
    });
    expect(res.status).toBe(201);
    const { user_id } = (await res.json()) as { user_id: string };
    return { user_id, token: await login(email, password) };
  };
  const roleId = async (slug: string) =>
    (
      (await (await api(`/orgs/${a.org_id}/roles`, managerA)).json()) as {
        items: { role_id: string; role_slug: string }[];
      }
    ).items.find((r) => r.role_slug === slug)!.role_id;
  let managerId: string;

  beforeAll(async () => {
    t = await startCloud(backend);
    a = await ensureDemoOrg(t.cloud.db);
    const m = a.users.find((u) => u.role === "lab_manager")!;
    managerA = await login(m.email, m.password!);
    managerId = m.user_id;
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
    // A's cabinet controller, claimed as a cabinet does, and an open claim token of A's.
    const provisioning = new ProvisioningService(t.cloud.db);
    const device = await provisioning.claim({
      claim_token: (await provisioning.createClaimToken(a.org_id, a.cabinet_id)).claim_token,
      serial_number: "API-V1-A-1",
      firmware_version: "2026.11.1",
    });
    const openToken = await provisioning.createClaimToken(a.org_id, a.cabinet_id);
    const [alert] = await t.cloud.db.withTenant(a.org_id, (tx) =>
      tx
        .insert(safetyAlerts)
        .values({
          alert_type: "spill",
          severity: "high",
          title: "Spill on shelf 2",
          cabinet_id: a.cabinet_id,
        })
        .returning(),
    );
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
      device: device.device_id,
      token: openToken.token_id,
      alert: alert!.alert_id,
    };
  }, 120_000);
  afterAll(async () => t?.dispose());

  it("serves an OpenAPI 3 document of every operation, and no operation answers without credentials", async () => {
    const doc = (await (await api("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      "/api/v1/orgs/{org}/containers",
      "/api/v1/orgs/{org}/grants",
      "/api/v1/orgs/{org}/api-keys",
      "/api/v1/orgs/{org}/devices",
      "/api/v1/orgs/{org}/devices/{device}/decommission",
      "/api/v1/orgs/{org}/claim-tokens",
      "/api/v1/orgs/{org}/users/{user}",
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    let sent = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith("/api/v1/orgs") && path !== "/api/v1/me") continue;
      for (const method of Object.keys(ops)) {
        const res = await api(pathFor(path, ids), undefined, {
          method: method.toUpperCase(),
          body: method === "get" ? undefined : bodyFor(path, ids),
        });
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 });
        const text = await res.text();
        expect(text).not.toContain("LILO:C:");
        expect(Object.values(ids).filter((id) => text.includes(id))).toEqual([]);
        sent++;
      }
    }
    expect(sent).toBeGreaterThan(40);
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
            const url = pathFor(path, { ...ids, org });
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

  it("devices and claim tokens: listed without secrets, issued once, revoked, rotated, decommissioned; refused without device:manage", async () => {
    const tech = await newMember("tokens.tech@demo.lilo.example", "member");
    const list = await api(`/orgs/${a.org_id}/devices`, managerA);
    expect(list.status).toBe(200);
    const devices = (await list.json()) as { items: Record<string, unknown>[] };
    expect(devices.items).toContainEqual(
      expect.objectContaining({
        device_id: ids.device,
        serial_number: "API-V1-A-1",
        cabinet_id: a.cabinet_id,
        cabinet_name: "Flammables cabinet 1",
        firmware_version: "2026.11.1",
        status: "active",
      }),
    );
    expect((await api(`/orgs/${a.org_id}/devices?limit=0`, managerA)).status).toBe(400);
    expect((await api(`/orgs/${a.org_id}/devices`, tech.token)).status).toBe(403);
    expect((await api(`/orgs/${a.org_id}/claim-tokens`, tech.token)).status).toBe(403);
    expect((await api(`/orgs/${a.org_id}/devices/${ids.device}`, keyA.key)).status).toBe(200);

    // Issued once: the list has its state, never the token.
    const issued = await api(`/orgs/${a.org_id}/cabinets/${a.cabinet_id}/claim-tokens`, keyA.key, {
      method: "POST",
    });
    expect(issued.status).toBe(201);
    const token = (await issued.json()) as { claim_token: string; token_id: string };
    expect(token.claim_token).toMatch(/^lilo_claim_/);
    const tokens = async () => {
      const res = await api(`/orgs/${a.org_id}/claim-tokens`, managerA);
      const text = await res.text();
      expect(text).not.toContain(token.claim_token);
      expect(text).not.toContain("token_hash");
      return (JSON.parse(text) as { items: { token_id: string; state: string }[] }).items;
    };
    expect((await tokens()).find((x) => x.token_id === token.token_id)?.state).toBe("issued");
    expect((await tokens()).some((x) => x.state === "used")).toBe(true);
    expect(
      (await api(`/orgs/${a.org_id}/cabinets/${a.cabinet_id}/claim-tokens`, tech.token, { method: "POST" }))
        .status,
    ).toBe(403);

    // Revocation: a vague or unknown reference changes nothing.
    const countTokens = async () =>
      (await t.cloud.db.asService((tx) => tx.select().from(claimTokens))).filter((x) => x.revoked_at).length;
    const revokedBefore = await countTokens();
    const vague = await api(`/orgs/${a.org_id}/claim-tokens/revoke`, managerA, { method: "POST", body: {} });
    expect(vague.status).toBe(400);
    const both = await api(`/orgs/${a.org_id}/claim-tokens/revoke`, managerA, {
      method: "POST",
      body: { token_id: token.token_id, cabinet_id: a.cabinet_id },
    });
    expect(both.status).toBe(400);
    const unknown = await api(`/orgs/${a.org_id}/claim-tokens/revoke`, managerA, {
      method: "POST",
      body: { token_id: crypto.randomUUID() },
    });
    expect(unknown.status).toBe(404);
    expect(
      (
        await api(`/orgs/${a.org_id}/claim-tokens/revoke`, tech.token, {
          method: "POST",
          body: { token_id: token.token_id },
        })
      ).status,
    ).toBe(403);
    expect(await countTokens()).toBe(revokedBefore);
    const revoked = await api(`/orgs/${a.org_id}/claim-tokens/revoke`, managerA, {
      method: "POST",
      body: { token_id: token.token_id },
    });
    expect(await revoked.json()).toEqual({ revoked: 1 });
    expect((await tokens()).find((x) => x.token_id === token.token_id)?.state).toBe("revoked");

    // A second controller to retire: commands are validated first, then rotated, approved, decommissioned.
    const provisioning = new ProvisioningService(t.cloud.db);
    const spare = await provisioning.claim({
      claim_token: (await provisioning.createClaimToken(a.org_id, a.cabinet_id)).claim_token,
      serial_number: "API-V1-A-2",
    });
    const device = (action: string, token: string, body?: unknown) =>
      api(`/orgs/${a.org_id}/devices/${spare.device_id}/${action}`, token, { method: "POST", body });
    const badUnlock = await device("commands", managerA, { command: "unlock", params: {} });
    expect(badUnlock.status).toBe(400);
    expect(((await badUnlock.json()) as { error: { fields: object } }).error.fields).toHaveProperty(
      "params.user_id",
    );
    const badCommand = await device("commands", managerA, { command: "self_destruct" });
    expect(((await badCommand.json()) as { error: { fields: object } }).error.fields).toHaveProperty(
      "command",
    );
    for (const action of ["rotate", "revoke", "decommission", "approve-reclaim"]) {
      expect({ action, status: (await device(action, tech.token)).status }).toEqual({ action, status: 403 });
    }
    expect((await device("commands", tech.token, { command: "sync_now" })).status).toBe(403);
    const rotated = await device("rotate", managerA);
    expect(rotated.status).toBe(200);
    const { credential } = (await rotated.json()) as { credential: string };
    expect(await provisioning.authenticate(spare.credential)).toBeUndefined();
    expect((await provisioning.authenticate(credential))?.device_id).toBe(spare.device_id);
    const approval = await device("approve-reclaim", keyA.key);
    expect(approval.status).toBe(200);
    expect(await device("decommission", managerA)).toHaveProperty("status", 204);
    const [row] = await t.cloud.db.asService((tx) =>
      tx.select().from(iotDevices).where(eq(iotDevices.device_id, spare.device_id)),
    );
    expect(row?.status).toBe("decommissioned");
    expect(await provisioning.authenticate(credential)).toBeUndefined();
    expect((await device("rotate", managerA)).status).toBe(409);
    const listed = (await (await api(`/orgs/${a.org_id}/devices/${spare.device_id}`, managerA)).json()) as {
      status: string;
      online: boolean;
    };
    expect(listed).toMatchObject({ status: "decommissioned", online: false });
  });

  it("cabinets: created by a manager or an `all` key; bad input names its fields and creates nothing", async () => {
    const count = async () =>
      ((await (await api(`/orgs/${a.org_id}/cabinets?limit=200`, managerA)).json()) as { items: unknown[] })
        .items.length;
    const before = await count();
    const bad = await api(`/orgs/${a.org_id}/cabinets`, managerA, {
      method: "POST",
      body: { department: "", shelves: 99, colour: "red" },
    });
    expect(bad.status).toBe(400);
    const fields = Object.keys(((await bad.json()) as { error: { fields: object } }).error.fields);
    expect(fields).toEqual(expect.arrayContaining(["department", "lab", "name", "code", "shelves"]));
    expect(await count()).toBe(before);
    const tech = await newMember("cabinet.tech@demo.lilo.example", "member");
    const body = {
      department: "Department of Chemistry",
      lab: "Teaching Lab",
      name: "Acids",
      code: "API-ACIDS",
    };
    expect((await api(`/orgs/${a.org_id}/cabinets`, tech.token, { method: "POST", body })).status).toBe(403);
    const created = await api(`/orgs/${a.org_id}/cabinets`, managerA, { method: "POST", body });
    expect(created.status).toBe(201);
    const { cabinet_id } = (await created.json()) as { cabinet_id: string };
    const cab = (await (await api(`/orgs/${a.org_id}/cabinets/${cabinet_id}`, keyA.key)).json()) as {
      cabinet_code: string;
      live: { online: boolean };
    };
    expect(cab).toMatchObject({ cabinet_code: "API-ACIDS", live: { online: false } });
    expect((await api(`/orgs/${a.org_id}/cabinets`, keyA.key, { method: "POST", body })).status).toBe(409);
    expect(await count()).toBe(before + 1);
  });

  it("members: the list shows a badge and PIN right after enrolment; roles change and members leave, audited, the last admin stays", async () => {
    const person = await newMember("role.change@demo.lilo.example", "member");
    const listed = async (query = "") =>
      (
        (await (await api(`/orgs/${a.org_id}/users?limit=200${query}`, managerA)).json()) as {
          items: {
            user_id: string;
            org_role: string;
            membership_status: string;
            credentials: { has_badge: boolean; has_pin: boolean; user_number: number | null } | null;
          }[];
        }
      ).items.find((m) => m.user_id === person.user_id);
    expect((await listed())?.credentials).toBeNull();
    const enrol = await api(`/orgs/${a.org_id}/users/${person.user_id}/credentials`, managerA, {
      method: "PUT",
      body: { badge: "BADGE-LIST-1" },
    });
    expect(enrol.status).toBe(200);
    expect((await listed())?.credentials).toMatchObject({ has_badge: true, has_pin: false });
    await api(`/orgs/${a.org_id}/users/${person.user_id}/credentials`, managerA, {
      method: "PUT",
      body: { pin: "864209" },
    });
    expect((await listed())?.credentials).toMatchObject({ has_badge: true, has_pin: true });

    // Role changes: bad input and missing permissions change nothing.
    const patch = (token: string, body: unknown, user = person.user_id) =>
      api(`/orgs/${a.org_id}/users/${user}`, token, { method: "PATCH", body });
    const bad = await patch(managerA, { org_role: "emperor" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { fields: object } }).error.fields).toHaveProperty("org_role");
    expect((await patch(person.token, { org_role: "manager" })).status).toBe(403);
    expect((await patch(managerA, { org_role: "admin" })).status).toBe(403);
    expect((await listed())?.org_role).toBe("member");
    expect((await patch(managerA, { org_role: "manager" })).status).toBe(200);
    expect((await listed())?.org_role).toBe("manager");

    // An organization admin (a key scoped `all`) makes them admin; the only admin cannot step down.
    expect(await (await patch(keyA.key, { org_role: "admin" })).json()).toMatchObject({ org_role: "admin" });
    const last = await patch(keyA.key, { org_role: "member" });
    expect(last.status).toBe(409);
    expect((await listed())?.org_role).toBe("admin");
    const removeAdmin = await api(`/orgs/${a.org_id}/users/${person.user_id}`, managerA, {
      method: "DELETE",
    });
    expect(removeAdmin.status).toBe(403);
    const lastGone = await api(`/orgs/${a.org_id}/users/${person.user_id}`, keyA.key, { method: "DELETE" });
    expect(lastGone.status).toBe(409);
    const second = await newMember("second.admin@demo.lilo.example", "member");
    expect((await patch(keyA.key, { org_role: "admin" }, second.user_id)).status).toBe(200);
    expect((await patch(keyA.key, { org_role: "member" })).status).toBe(200);

    // Sessions: only an admin ends another member's; a manager is refused.
    const sessions = (token: string) =>
      api(`/orgs/${a.org_id}/users/${person.user_id}/sessions/revoke`, token, { method: "POST" });
    expect((await sessions(managerA)).status).toBe(403);
    expect((await api("/me", person.token)).status).toBe(200);
    expect(await (await sessions(second.token)).json()).toEqual({ revoked: 1 });
    expect((await api("/me", person.token)).status).toBe(401);

    // Removal: grants revoked, cabinet credentials inactive, no longer listed or let in; who and when audited.
    const grantRes = await api(`/orgs/${a.org_id}/grants`, managerA, {
      method: "POST",
      body: {
        user_id: person.user_id,
        role_id: await roleId("technician"),
        scope_type: "lab",
        scope_id: ids.lab,
      },
    });
    expect(grantRes.status).toBe(201);
    const again = await login("role.change@demo.lilo.example", "role-change-password");
    expect((await api(`/orgs/${a.org_id}/containers`, again)).status).toBe(200);
    const removed = await api(`/orgs/${a.org_id}/users/${person.user_id}`, managerA, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({ membership_status: "removed" });
    expect(await listed()).toBeUndefined();
    expect((await listed("&include_removed=true"))?.membership_status).toBe("removed");
    expect((await api(`/orgs/${a.org_id}/containers`, again)).status).toBe(404);
    const [grants, [creds]] = await t.cloud.db.withTenant(
      a.org_id,
      async (tx) =>
        [
          await tx.select().from(userRoleAssignments).where(eq(userRoleAssignments.user_id, person.user_id)),
          await tx.select().from(accessCredentials).where(eq(accessCredentials.user_id, person.user_id)),
        ] as const,
    );
    expect(grants.every((g) => g.is_active === false && g.revoked_by !== null)).toBe(true);
    expect(creds?.status).toBe("inactive");
    expect(
      (await api(`/orgs/${a.org_id}/users/${person.user_id}`, managerA, { method: "DELETE" })).status,
    ).toBe(404);
    const audit = await t.cloud.db.withTenant(a.org_id, (tx) =>
      tx.select().from(unifiedEventLog).where(eq(unifiedEventLog.event_type, "manual")),
    );
    const about = audit.filter((e) => JSON.stringify(e.new_values ?? {}).includes(person.user_id));
    const actions = about.map((e) => (e.event_details as { action: string }).action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "member_role_changed",
        "member_sessions_revoked",
        "role_granted",
        "member_removed",
      ]),
    );
    const removal = about.find((e) => (e.event_details as { action: string }).action === "member_removed")!;
    expect(removal).toMatchObject({ user_id: managerId, user_name: "max.manager@demo.lilo.example" });
    expect(removal.event_timestamp).toBeInstanceOf(Date);
    const [membership] = await t.cloud.db.asService((tx) =>
      tx.select().from(userOrgMemberships).where(eq(userOrgMemberships.user_id, person.user_id)),
    );
    expect(membership?.status).toBe("removed");
  });
});

/** A path of the document with its parameters filled from `ids`; a parameter without an id fails the test. */
/** Path parameters that name no data of an organization (a report kind, a record class): the same in every answer. */
const PUBLIC_PARAMS: Record<string, string> = { kind: "audit_log", record_class: "audit_log" };

function pathFor(path: string, ids: Record<string, string>): string {
  return path.replace("/api/v1", "").replace(/\{(\w+)\}/g, (_, k: string) => {
    const value = ids[k] ?? PUBLIC_PARAMS[k];
    if (!value) throw new Error(`no id for {${k}} in ${path}: add one to the suite's ids`);
    return value;
  });
}

/** A body that passes validation for each write operation, so that the check under test is access. */

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
  if (path.endsWith("/retention/{record_class}")) return { days: 4000 };
  if (path.endsWith("/grants"))
    return { user_id: ids.user, role_id: ids.grant, scope_type: "lab", scope_id: ids.lab };
  if (path.endsWith("/users/{user}")) return { org_role: "member" };
  if (path.endsWith("/cabinets")) return { department: "D", lab: "L", name: "X", code: "LEAK-1" };
  if (path.endsWith("/claim-tokens/revoke")) return { token_id: ids.token };
  if (path.endsWith("/commands")) return { command: "unlock", params: { user_id: ids.user } };
  return {};
}
