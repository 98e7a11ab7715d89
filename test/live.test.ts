// Live status across instances: two cloud services on one PostgreSQL; a change ingested by one (a sync
// upload, a presence or door report) reaches the server-sent event streams of the other, only for
// callers of that organization, and a stream ends when its session is revoked.

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountService } from "../cloud/accounts/account.service.js";
import { Cloud } from "../cloud/cloud.js";
import { loadCloudConfig } from "../cloud/config.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { type ClaimResponse, ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { silentLogger } from "../shared/logger.js";
import { cabinets } from "../shared/schema/tenant.js";
import { eventChange } from "./support/changes.js";
import { backends, serverUrl } from "./support/databases.js";
import { waitFor } from "./support/wait-for.js";

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A live stream read the way the dashboard reads it: fetch() with a bearer token and a stream reader. */
class LiveClient {
  readonly events: SseEvent[] = [];
  closed = false;
  private readonly abort = new AbortController();

  constructor(
    readonly status: number,
    body: ReadableStream<Uint8Array> | null,
  ) {
    if (body) void this.read(body);
  }

  static async open(url: string, token?: string): Promise<LiveClient> {
    const abort = new AbortController();
    const res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: abort.signal,
    });
    const client = new LiveClient(res.status, res.ok ? res.body : null);
    client.abort.signal.addEventListener("abort", () => abort.abort());
    if (!res.ok) await res.body?.cancel();
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) this.events.push({ event, data: JSON.parse(data) });
          cut = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // aborted by close()
    }
    this.closed = true;
  }

  next(what: string, match: (e: SseEvent) => boolean): Promise<SseEvent> {
    return waitFor(() => this.events.find(match), { what, timeoutMs: 20_000 });
  }

  close(): void {
    this.abort.abort();
  }
}

describe.skipIf(!serverUrl)("live status across two cloud instances on PostgreSQL", () => {
  const postgres = backends.find((b) => b.name === "postgres")!;
  let dispose: () => Promise<void>;
  let a: Cloud;
  let b: Cloud;
  let dir: string;
  let org: DemoOrg;
  let device: ClaimResponse;
  let manager: string;
  let outsider: { org: string; token: string };
  const clients: LiveClient[] = [];

  const login = async (cloud: Cloud, email: string, password: string) => {
    const res = await fetch(`${cloud.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    return ((await res.json()) as { token: string }).token;
  };
  const live = async (cloud: Cloud, orgId: string, token?: string, query = "") => {
    const client = await LiveClient.open(`${cloud.url}/api/v1/orgs/${orgId}/live${query}`, token);
    clients.push(client);
    return client;
  };
  let seq = 0;
  const upload = async (cloud: Cloud, payload: Record<string, unknown> = {}) => {
    const change = eventChange(++seq, { cabinet_id: org.cabinet_id, lab_id: labId }, payload);
    const res = await fetch(`${cloud.url}/api/v1/device/sync/changes`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${device.credential}` },
      body: JSON.stringify({ log_id: logId, changes: [change] }),
    });
    expect(res.status).toBe(200);
    return change.entity_id;
  };
  const logId = randomUUID();
  let labId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lilo-live-"));
    const created = await postgres.create();
    dispose = created.dispose;
    await migrateAll(created.database);
    org = await ensureDemoOrg(created.database);
    labId = await created.database.withTenant(org.org_id, async (tx) => {
      const [row] = await tx.select().from(cabinets).where(eq(cabinets.cabinet_id, org.cabinet_id));
      return row!.lab_id;
    });
    const provisioning = new ProvisioningService(created.database);
    device = await provisioning.claim({
      claim_token: (await provisioning.createClaimToken(org.org_id, org.cabinet_id)).claim_token,
      serial_number: `LIVE-${randomUUID().slice(0, 8)}`,
    });
    const other = await new OrganizationService(created.database).create({
      name: "Other Lab",
      slug: `other-${randomUUID().slice(0, 8)}`,
      type: "university",
    });
    await new AccountService(created.database).create({
      email: "olga@other.example",
      password: "olga-password-123",
      org_id: other.org_id,
      org_role: "owner",
    });
    const instance = () =>
      new Cloud(
        loadCloudConfig({
          DATABASE_URL: created.url,
          DATABASE_OWNER_URL: created.ownerUrl,
          LILO_CLOUD_PORT: "0",
          LILO_MQTT_PORT: "0",
          LILO_MQTT_HOST: "127.0.0.1",
          LILO_BLOB_DIR: join(dir, "blobs"),
          LILO_LIVE_HEARTBEAT_SECONDS: "1",
        }),
        silentLogger,
      );
    a = instance();
    b = instance();
    await a.start();
    await b.start();
    const managerUser = org.users.find((u) => u.role === "lab_manager")!;
    manager = await login(a, managerUser.email, "lilo-demo-manager");
    outsider = { org: other.org_id, token: await login(b, "olga@other.example", "olga-password-123") };
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await a?.stop();
    await b?.stop();
    await dispose?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("delivers an event ingested by one instance to the streams of the other, and of itself", async () => {
    const onB = await live(b, org.org_id, manager);
    const onA = await live(a, org.org_id, manager);
    expect(onB.status).toBe(200);
    await onB.next("ready on B", (e) => e.event === "ready");
    await onA.next("ready on A", (e) => e.event === "ready");

    const eventId = await upload(a, { changes_summary: "Door forced open" });
    for (const stream of [onB, onA]) {
      const got = await stream.next(
        "the uploaded event",
        (e) => e.event === "event" && e.data.event_id === eventId,
      );
      expect(got.data).toMatchObject({ cabinet_id: org.cabinet_id, changes_summary: "Door forced open" });
    }
  });

  it("shows presence and door steps reported to one instance on the other", async () => {
    const onB = await live(b, org.org_id, manager, `?cabinet=${org.cabinet_id}`);
    await onB.next("ready", (e) => e.event === "ready");
    const at = new Date();
    await a.fleet!.presence(device.thing_name, "online", at.toISOString());
    await a.fleet!.event(
      device.thing_name,
      { type: "door_opened", at: at.toISOString(), data: { summary: "Door opened" } },
      at,
    );
    const presence = await onB.next("presence", (e) => e.event === "presence");
    expect(presence.data).toMatchObject({ cabinet_id: org.cabinet_id, status: "online" });
    const door = await onB.next("door step", (e) => e.event === "cabinet");
    expect(door.data).toMatchObject({
      cabinet_id: org.cabinet_id,
      type: "door_opened",
      door: "open",
      summary: "Door opened",
    });
  });

  it("keeps each organization's stream to itself: 404 for another org, 401 without credentials", async () => {
    expect((await live(b, org.org_id, outsider.token)).status).toBe(404);
    expect((await live(b, org.org_id)).status).toBe(401);
    expect((await live(b, org.org_id, manager, "?cabinet=not-a-uuid")).status).toBe(400);
    expect((await live(b, org.org_id, manager, `?cabinet=${randomUUID()}`)).status).toBe(404);

    const theirs = await live(b, outsider.org, outsider.token);
    const ours = await live(b, org.org_id, manager);
    await theirs.next("ready", (e) => e.event === "ready");
    await ours.next("ready", (e) => e.event === "ready");
    const first = await upload(a);
    await ours.next("our event", (e) => e.event === "event" && e.data.event_id === first);
    // One more round through both instances: anything sent to the other stream would be there by now.
    const second = await upload(a);
    await ours.next("our second event", (e) => e.event === "event" && e.data.event_id === second);
    expect(theirs.events.map((e) => e.event)).toEqual(["ready"]);
  });

  it("ends the stream when its session is revoked", async () => {
    const managerUser = org.users.find((u) => u.role === "lab_manager")!;
    const token = await login(b, managerUser.email, "lilo-demo-manager");
    const stream = await live(b, org.org_id, token);
    await stream.next("ready", (e) => e.event === "ready");
    const logout = await fetch(`${a.url}/api/v1/auth/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(logout.status).toBeLessThan(300);
    const end = await stream.next("end", (e) => e.event === "end");
    expect(end.data).toEqual({ reason: "credentials_ended" });
    await waitFor(() => stream.closed, { what: "the stream closed" });
  });
});
