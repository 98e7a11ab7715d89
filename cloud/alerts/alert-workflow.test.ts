// The alert workflow in the cloud, on PGlite and on PostgreSQL when configured, with a real SMTP
// receiver and a real webhook receiver on loopback: the daily rules raise each condition once, the
// people of the lab get an e-mail and the webhook a Slack payload (recorded in notifications_sent), an
// unacknowledged alert escalates once even with two instances sweeping, a cabinet's live alert and its
// synced copy are one alert whose cloud-side state a later sync cannot undo, and the API lists, reads
// and works alerts for members only — another organization's user gets 404.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { errorHandler } from "../../shared/http/errors.js";
import { silentLogger } from "../../shared/logger.js";
import { SAFETY_ALERT_EVENT } from "../../shared/mqtt/topics.js";
import {
  cabinets,
  chemicalInventory,
  complianceAuditLog,
  roles,
  safetyAlerts,
  unifiedEventLog,
  userRoleAssignments,
} from "../../shared/schema/tenant.js";
import { change, newAlert, numbered } from "../../test/support/cabinet-rows.js";
import { backends } from "../../test/support/databases.js";

/** The row locks that make escalation safe across instances are the server's: PostgreSQL when configured. */
const backend = backends.at(-1)!;

import { freePort } from "../../test/support/free-port.js";
import { waitFor } from "../../test/support/wait-for.js";
import { AccountService } from "../accounts/account.service.js";
import { PasswordHasher } from "../accounts/password.js";
import { createV1App } from "../api/v1/v1.app.js";
import { ApiKeyService } from "../apikeys/api-key.service.js";
import { AccessService } from "../authz/access.service.js";
import { callerAuth } from "../authz/caller.middleware.js";
import type { Database, Tx } from "../db/database.js";
import { migrateAll } from "../db/migrator.js";
import { type DemoOrg, ensureDemoOrg } from "../demo/demo-seed.js";
import { ProvisioningService } from "../devices/provisioning.service.js";
import { CommandKeyService } from "../fleet/command-key.service.js";
import { FleetService } from "../fleet/fleet.service.js";
import { OrganizationService } from "../orgs/organization.service.js";
import { RateLimitRepository } from "../security/rate-limit.repository.js";
import { RateLimitService } from "../security/rate-limit.service.js";
import { IngestService } from "../sync/ingest.service.js";
import { alertRoutes } from "./alert.routes.js";
import { AlertService } from "./alert.service.js";
import { AlertNotifier } from "./alert-notifier.service.js";
import { EmailChannel } from "./notification-channels.js";

interface Mail {
  to: string;
  raw: string;
}

describe(`alert workflow on ${backend.name}`, () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let org: DemoOrg;
  let orgB: string;
  let device: DeviceIdentity;
  let accounts: AccountService;
  let alerts: AlertService;
  let notifier: AlertNotifier;
  let second: AlertNotifier;
  let ingest: IngestService;
  let fleet: FleetService;
  let email: EmailChannel;
  let smtp: SMTPServer;
  let hook: Server;
  let hookUrl: string;
  const mails: Mail[] = [];
  const posts: Record<string, unknown>[] = [];
  const app = new Hono();
  const tokens: Record<"manager" | "member" | "outsider", string> = { manager: "", member: "", outsider: "" };

  const tenant = <T>(fn: (tx: Tx) => Promise<T>) => database.withTenant(org.org_id, fn);
  const row = (id: string) =>
    tenant<(typeof safetyAlerts.$inferSelect)[]>((tx) =>
      tx.select().from(safetyAlerts).where(eq(safetyAlerts.alert_id, id)),
    ).then((r) => r[0]!);
  const api = async (who: keyof typeof tokens, path: string, init: RequestInit = {}) =>
    app.request(`/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${tokens[who]}`, "content-type": "application/json" },
    });

  beforeAll(async () => {
    const created = await backend.create();
    database = created.database;
    dispose = created.dispose;
    await migrateAll(database);
    org = await ensureDemoOrg(database);

    const smtpPort = await freePort();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, done) {
        let raw = "";
        stream.on("data", (b: Buffer) => {
          raw += b.toString();
        });
        stream.on("end", () => {
          for (const r of session.envelope.rcptTo) mails.push({ to: r.address, raw });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (b: Buffer) => {
        body += b.toString();
      });
      req.on("end", () => {
        posts.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(200).end("ok");
      });
    });
    const hookPort = await freePort();
    await new Promise<void>((resolve) => hook.listen(hookPort, "127.0.0.1", resolve));
    hookUrl = `http://127.0.0.1:${hookPort}/slack/hook`;

    email = new EmailChannel(`smtp://127.0.0.1:${smtpPort}`, "LILO <alerts@lilo.test>");
    ingest = new IngestService(database);
    notifier = new AlertNotifier({ database, logger: silentLogger, email });
    second = new AlertNotifier({ database, logger: silentLogger, email });
    alerts = new AlertService({ database, ingest, notifier });
    fleet = new FleetService(database, silentLogger, new CommandKeyService(database), (d, a) =>
      alerts.raiseFromCabinet(d, a),
    );
    accounts = new AccountService(database, {
      hasher: new PasswordHasher({ maxConcurrent: 2, maxQueued: 8 }),
    });
    app.onError(errorHandler(silentLogger));
    const limits = new RateLimitService(new RateLimitRepository(database));
    app.route(
      "/",
      createV1App({
        caller: callerAuth({ accounts, apiKeys: new ApiKeyService(database, limits) }),
        routers: [alertRoutes({ access: new AccessService(database), alerts })],
      }),
    );

    const provisioning = new ProvisioningService(database);
    device = await provisioning.claim({
      claim_token: (await provisioning.createClaimToken(org.org_id, org.cabinet_id)).claim_token,
      serial_number: `TEST-${randomUUID().slice(0, 8)}`,
    });
    const password = "correct horse battery";
    const { user_id: memberId } = await accounts.create({
      email: "member@a.test",
      password,
      org_id: org.org_id,
      org_role: "member",
    });
    // A technician of the demo lab: reads and acknowledges its alerts, resolves none.
    await tenant(async (tx) => {
      const [tech] = await tx.select().from(roles).where(eq(roles.role_slug, "technician"));
      const [cab] = await tx.select().from(cabinets).where(eq(cabinets.cabinet_id, org.cabinet_id));
      await tx
        .insert(userRoleAssignments)
        .values({ user_id: memberId, role_id: tech!.role_id, scope_type: "lab", scope_id: cab!.lab_id });
    });
    orgB = (
      await new OrganizationService(database).create({
        name: "Other University",
        slug: `other-${randomUUID().slice(0, 8)}`,
        type: "university",
        tier: "starter",
      })
    ).org_id;
    await accounts.create({ email: "owner@b.test", password, org_id: orgB, org_role: "owner" });
    const manager = org.users.find((u) => u.role === "lab_manager")!;
    tokens.manager = (await accounts.login(manager.email, manager.password!)).token;
    tokens.member = (await accounts.login("member@a.test", password)).token;
    tokens.outsider = (await accounts.login("owner@b.test", password)).token;

    // The demo cabinet (flammables) keeps only what this test puts there.
    await tenant((tx) => tx.update(chemicalInventory).set({ status: "disposed" }));
  }, 120_000);

  afterAll(async () => {
    email?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
    await dispose?.();
  });

  let expiredId = "";

  it("raises what the rules find once, notifies the lab by e-mail and webhook, and records each delivery", async () => {
    const res = await api("manager", `/orgs/${org.org_id}/alert-settings`, {
      method: "PUT",
      body: JSON.stringify({
        webhook: { url: hookUrl },
        escalation: [{ after_minutes: 10, scope: "organization" }],
      }),
    });
    expect(res.status).toBe(200);
    await tenant((tx) =>
      tx.insert(chemicalInventory).values([
        {
          cabinet_id: org.cabinet_id,
          qr_code: `T-${randomUUID()}`,
          shelf_level: 2,
          chemical_name: "Acetone",
          chemical_formula: "C3H6O",
          hazard_class: ["flammable"],
          h_statements: ["H225", "H319"],
          quantity: "800",
          unit: "mL",
          status: "in_cabinet",
          expiry_date: "2026-01-31",
        },
        {
          cabinet_id: org.cabinet_id,
          qr_code: `T-${randomUUID()}`,
          shelf_level: 4,
          chemical_name: "Hydrogen peroxide 30%",
          cas_number: "7722-84-1",
          hazard_class: ["oxidizer", "corrosive"],
          h_statements: ["H302", "H318", "H412"],
          quantity: "500",
          unit: "mL",
          status: "in_cabinet",
        },
      ]),
    );
    const raised = await alerts.runRules(org.org_id);
    expect(raised.map((a) => `${a.alert_type}:${a.hazard_type}:${a.severity}`).sort()).toEqual([
      "expired_chemical:expired:medium",
      "incompatible_storage:oxidizer+flammable:critical",
      "incompatible_storage:oxidizer-in-flammable:high",
    ]);
    expect(await alerts.runRules(org.org_id, new Date(Date.now() + 86_400_000))).toEqual([]);
    expiredId = raised.find((a) => a.alert_type === "expired_chemical")!.alert_id;

    const lab = org.users.map((u) => u.email).sort();
    await waitFor(() => mails.length >= 3 * lab.length && posts.length >= 3, {
      what: "the first notifications",
    });
    await notifier.sweep(org.org_id);
    expect(mails.map((m) => m.to).sort()).toEqual([...lab, ...lab, ...lab].sort());
    const critical = mails.find((m) => m.raw.includes("Subject: [CRITICAL] New"));
    expect(critical?.raw).toMatch(/Hydrogen peroxide 30%/);
    expect(posts).toHaveLength(3);
    expect(posts[0]).toMatchObject({ text: expect.stringMatching(/^\[(CRITICAL|HIGH|MEDIUM)\] New: /) });
    expect((posts[0] as { blocks: unknown[] }).blocks.length).toBeGreaterThan(0);

    const stored = await row(expiredId);
    expect(stored.escalation_level).toBe(0);
    expect(stored.notifications_sent).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: "email", to: lab[0], level: 0, status: "sent" }),
        expect.objectContaining({ channel: "webhook", level: 0, status: "sent", http_status: 200 }),
      ]),
    );
    expect(stored.notifications_sent).toHaveLength(lab.length + 1);
  });

  it("escalates an unacknowledged alert once after its delay, with two instances sweeping", async () => {
    const before = mails.length;
    await tenant((tx) =>
      tx.execute(
        sql`UPDATE safety_alerts SET detected_at = now() - interval '11 minutes' WHERE alert_id = ${expiredId}`,
      ),
    );
    const [a, b] = await Promise.all([second.sweep(org.org_id), notifier.sweep(org.org_id)]);
    expect(a + b).toBe(1);
    expect(await notifier.sweep(org.org_id)).toBe(0);
    const escalated = await row(expiredId);
    expect(escalated.escalation_level).toBe(1);
    expect(escalated.escalated_at).not.toBeNull();
    expect(mails.slice(before).map((m) => m.raw.match(/Subject: (.*)/)?.[1])).toEqual(
      org.users.map(() => expect.stringMatching(/^\[MEDIUM\] Escalated \(level 1/)),
    );
    const events = await tenant<{ action: string }[]>((tx) =>
      tx
        .select({ action: sql<string>`${unifiedEventLog.event_details}->>'action'` })
        .from(unifiedEventLog)
        .where(eq(unifiedEventLog.workflow_id, expiredId)),
    );
    expect(events.map((e) => e.action).sort()).toEqual(["alert_raised", "escalated"]);
  });

  it("stores a cabinet's live alert once; its synced copy and later syncs cannot undo the cloud's steps", async () => {
    const live = newAlert(org.cabinet_id, { severity: "critical", title: "Spill on shelf 3", shelf_id: 3 });
    const msg = { type: SAFETY_ALERT_EVENT, at: new Date().toISOString(), data: { alert: live.payload } };
    await fleet.event(device.thing_name, msg, new Date());
    await fleet.event(device.thing_name, msg, new Date());
    const id = live.entity_id;
    expect((await row(id)).title).toBe("Spill on shelf 3");
    await waitFor(async () => (await row(id)).notifications_sent?.length, {
      what: "the live alert's notifications",
    });

    expect(await ingest.ingest(device, numbered([live]))).toMatchObject({ applied: 1 });
    const ack = await api("member", `/orgs/${org.org_id}/alerts/${id}/acknowledge`, {
      method: "POST",
      body: JSON.stringify({ note: "on my way" }),
    });
    expect(ack.status).toBe(200);
    const resolved = await api("manager", `/orgs/${org.org_id}/alerts/${id}/resolve`, {
      method: "POST",
      body: JSON.stringify({ notes: "Neutralised and cleaned", actions: ["spill kit", "shelf wiped"] }),
    });
    expect(await resolved.json()).toMatchObject({
      status: "resolved",
      resolution_actions: ["spill kit", "shelf wiped"],
    });

    // The cabinet, offline meanwhile, uploads its kiosk acknowledgement afterwards.
    const kioskAck = change("safety_alerts", {
      ...live.payload,
      status: "acknowledged",
      acknowledged_by: org.users[0]!.user_id,
      acknowledged_at: new Date().toISOString(),
      acknowledged_via: "kiosk",
    });
    await ingest.ingest(device, {
      log_id: (await ingest.state(device)).log_id!,
      changes: [{ ...kioskAck, seq: 2 }],
    });
    expect(await row(id)).toMatchObject({ status: "resolved", resolution_notes: "Neutralised and cleaned" });
    expect((await row(id)).notifications_sent).toHaveLength(org.users.length + 1);

    const audits = await tenant<{ n: number }[]>((tx) =>
      tx
        .select({ n: sql<number>`count(*)::int` })
        .from(complianceAuditLog)
        .innerJoin(unifiedEventLog, eq(unifiedEventLog.event_id, complianceAuditLog.event_id))
        .where(eq(unifiedEventLog.workflow_id, id)),
    );
    expect(audits[0]!.n).toBe(2);
  });

  it("lists open alerts first, filters, and pages with a cursor", async () => {
    const all: { alert_id: string; status: string; detected_at: string }[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const res = await api("member", `/orgs/${org.org_id}/alerts?limit=2${q}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: typeof all; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      all.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    expect(all).toHaveLength(4);
    expect(new Set(all.map((a) => a.alert_id)).size).toBe(4);
    expect(all.map((a) => a.status)).toEqual(["open", "open", "open", "resolved"]);

    const critical = await api("member", `/orgs/${org.org_id}/alerts?severity=critical&status=open`);
    expect(
      ((await critical.json()) as { items: { hazard_type: string }[] }).items.map((a) => a.hazard_type),
    ).toEqual(["oxidizer+flammable"]);
    const bad = await api("member", `/orgs/${org.org_id}/alerts?status=burning`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "validation_failed" } });
  });

  it("allows each step only from its states and to the right people", async () => {
    const res = await api("member", `/orgs/${org.org_id}/alerts/${expiredId}/resolve`, {
      method: "POST",
      body: JSON.stringify({ notes: "x" }),
    });
    expect(res.status).toBe(403);
    const nobody = await api("manager", `/orgs/${org.org_id}/alerts/${expiredId}/assign`, {
      method: "POST",
      body: JSON.stringify({ user_id: randomUUID() }),
    });
    expect(nobody.status).toBe(400);
    const member = org.users[0]!.user_id;
    const assigned = await api("manager", `/orgs/${org.org_id}/alerts/${expiredId}/assign`, {
      method: "POST",
      body: JSON.stringify({ user_id: member }),
    });
    expect(await assigned.json()).toMatchObject({ status: "in_progress", assigned_to: member });
    const again = await api("member", `/orgs/${org.org_id}/alerts/${expiredId}/acknowledge`, {
      method: "POST",
      body: "{}",
    });
    expect(await again.json()).toMatchObject({
      error: { code: "conflict", fields: { status: "in_progress" } },
    });
    expect(again.status).toBe(409);
    const fp = await api("manager", `/orgs/${org.org_id}/alerts/${expiredId}/false-positive`, {
      method: "POST",
      body: JSON.stringify({ notes: "Expiry date was a typo; re-certified" }),
    });
    expect(await fp.json()).toMatchObject({ status: "false_positive" });
    expect(await notifier.sweep(org.org_id)).toBe(0);
  });

  it("answers 404 to another organization's user and changes nothing", async () => {
    const target = (await api("member", `/orgs/${org.org_id}/alerts?status=open&limit=1`).then((r) =>
      r.json(),
    )) as {
      items: { alert_id: string }[];
    };
    const id = target.items[0]!.alert_id;
    const before = await row(id);
    for (const [method, path, body] of [
      ["GET", `/orgs/${org.org_id}/alerts`, undefined],
      ["GET", `/orgs/${org.org_id}/alerts/${id}`, undefined],
      ["POST", `/orgs/${org.org_id}/alerts/${id}/acknowledge`, "{}"],
      ["GET", `/orgs/${orgB}/alerts/${id}`, undefined],
      ["POST", `/orgs/${orgB}/alerts/${id}/acknowledge`, "{}"],
      ["POST", `/orgs/${orgB}/alerts/${id}/resolve`, JSON.stringify({ notes: "mine now" })],
      ["GET", `/orgs/${org.org_id}/alert-settings`, undefined],
    ] as const) {
      const res = await api("outsider", path, { method, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    }
    expect(await row(id)).toEqual(before);
    const unsigned = await app.request(`/api/v1/orgs/${org.org_id}/alerts`);
    expect(unsigned.status).toBe(401);
  });
});
