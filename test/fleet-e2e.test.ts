// A simulated cabinet provisioned through the real claim flow against a real cloud: the session's
// checkout reaches the tenant schema, presence and telemetry arrive over MQTT, and a remote unlock
// from a manager is carried out and audited.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Appliance } from "../appliance/appliance.js";
import { parseApplianceConfig } from "../appliance/config.js";
import { SimCabinet } from "../appliance/hardware/sim-cabinet.js";
import { simConfigInput } from "../appliance/sim/sim-config.js";
import { DEMO_SHELVES, type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { silentLogger } from "../shared/logger.js";
import { deviceTelemetry, systemEvents } from "../shared/schema/partitioned.js";
import { iotDevices } from "../shared/schema/platform.js";
import { containerTransactions } from "../shared/schema/tenant.js";
import { startCloud, type TestCloud } from "./support/cloud.js";
import { backends } from "./support/databases.js";
import { waitFor } from "./support/wait-for.js";

const IMAGE_VERSION = "0.1.0+202612061920.e2e";

describe.each(backends)("a provisioned cabinet on $name", (backend) => {
  let t: TestCloud;
  let org: DemoOrg;
  let appliance: Appliance;
  let dir: string;
  const sim = async (method: string, path: string, body?: unknown) =>
    fetch(`${appliance.url}/sim${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, json: await r.json().catch(() => undefined) }));

  beforeAll(async () => {
    t = await startCloud(backend);
    org = await ensureDemoOrg(t.cloud.db);
    dir = mkdtempSync(join(tmpdir(), "lilo-e2e-"));
    // The image's version file (image-build/ writes /etc/lilo-release): the claim and telemetry report it.
    writeFileSync(join(dir, "lilo-release"), `LILO_IMAGE_VERSION=${IMAGE_VERSION}\nLILO_APP_VERSION=0.1.0\n`);
    process.env.LILO_RELEASE_FILE = join(dir, "lilo-release");
    const { claim_token } = await new ProvisioningService(t.cloud.db).createClaimToken(
      org.org_id,
      org.cabinet_id,
    );
    const cabinet = SimCabinet.load(join(dir, "sim-cabinet.json"), { shelves: DEMO_SHELVES });
    for (const p of org.placements) cabinet.addContainer(p.shelf, p);
    const base = simConfigInput(dir, 0);
    appliance = new Appliance(
      parseApplianceConfig({
        ...base,
        cabinet: undefined,
        credentialSecret: undefined,
        cloud: { url: t.cloud.url, claimToken: claim_token, serialNumber: "E2E-1", uploadIntervalMs: 300 },
      }),
      { logger: silentLogger },
    );
    await appliance.start();
  });
  afterAll(async () => {
    delete process.env.LILO_RELEASE_FILE;
    await appliance?.stop();
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("claims itself and keeps its credential private", async () => {
    expect(appliance.device).toMatchObject({ org_id: org.org_id, cabinet_id: org.cabinet_id });
    expect(statSync(join(dir, "device.json")).mode & 0o777).toBe(0o600);
    const [device] = await t.cloud.db.asService((tx) =>
      tx.select().from(iotDevices).where(eq(iotDevices.device_id, appliance.device!.device_id)),
    );
    expect(device).toMatchObject({
      device_serial_number: "E2E-1",
      assigned_cabinet_id: org.cabinet_id,
      firmware_version: IMAGE_VERSION,
    });
  });

  it("reports presence and health telemetry over MQTT", async () => {
    const device = await waitFor(
      async () => {
        const [d] = await t.cloud.db.asService((tx) =>
          tx.select().from(iotDevices).where(eq(iotDevices.device_id, appliance.device!.device_id)),
        );
        return d?.status === "active" && d.last_heartbeat_at !== null && d;
      },
      { what: "device online with a heartbeat" },
    );
    expect(Number(device.memory_usage_percent)).toBeGreaterThan(0);
    expect(Number(device.disk_usage_percent)).toBeGreaterThan(0);
    const telemetry = await t.cloud.db.asService((tx) =>
      tx.select().from(deviceTelemetry).where(eq(deviceTelemetry.device_id, device.device_id)),
    );
    expect(telemetry[0]).toMatchObject({ org_id: org.org_id, cabinet_id: org.cabinet_id });
    expect(telemetry[0]!.metrics).toHaveProperty("uptime_seconds");
    expect(telemetry[0]!.metrics).toMatchObject({ firmware_version: IMAGE_VERSION });
    expect(device.firmware_version).toBe(IMAGE_VERSION);
  });

  it("brings a checkout by the technician into the tenant schema", async () => {
    const tech = org.users.find((u) => u.role === "technician")!;
    expect((await sim("POST", "/badge", { badge: tech.badge })).json).toMatchObject({ granted: true });
    await sim("POST", "/door", { open: true });
    await sim("DELETE", `/shelves/2/containers/${encodeURIComponent("LILO:C:000002")}`);
    await sim("POST", "/door", { open: false });
    const [txn] = await waitFor(
      async () => {
        const rows = await t.cloud.db.withTenant(org.org_id, (tx) =>
          tx.select().from(containerTransactions).where(eq(containerTransactions.qr_code, "LILO:C:000002")),
        );
        return rows.length ? rows : undefined;
      },
      { what: "checkout in the cloud" },
    );
    expect(txn).toMatchObject({
      transaction_type: "checkout",
      user_id: tech.user_id,
      user_name: tech.name,
      user_role: "technician",
      source_shelf_level: 2,
    });
  });

  it("carries out a manager's remote unlock for a named person and audits it", async () => {
    const manager = org.users.find((u) => u.role === "lab_manager")!;
    const tech = org.users.find((u) => u.role === "technician")!;
    const login = await fetch(`${t.cloud.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: manager.email, password: manager.password }),
    });
    const { token } = (await login.json()) as { token: string };
    const command = (body: unknown, auth = token) =>
      fetch(`${t.cloud.url}/api/v1/orgs/${org.org_id}/devices/${appliance.device!.device_id}/commands`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
        body: JSON.stringify(body),
      });
    expect((await command({ command: "unlock", params: {} })).status).toBe(400);
    expect(
      (await command({ command: "unlock", params: { user_id: tech.user_id } }, "lilo_sess_forged")).status,
    ).toBe(401);
    const res = await command({ command: "unlock", params: { user_id: tech.user_id } });
    expect(await res.json()).toMatchObject({ status: "done" });
    expect((await sim("GET", "/state")).json).toMatchObject({ lock: "unlocked" });
    const audit = await t.cloud.db.asService((tx) =>
      tx
        .select()
        .from(systemEvents)
        .where(and(eq(systemEvents.org_id, org.org_id), eq(systemEvents.event_type, "device_command"))),
    );
    expect(audit[0]).toMatchObject({ user_id: manager.user_id, event_category: "security" });
    expect(audit[0]!.event_data).toMatchObject({
      command: "unlock",
      params: { user_id: tech.user_id },
      ack: { status: "done" },
    });
  });

  it("goes offline in the cloud when the cabinet stops", async () => {
    await appliance.stop();
    await waitFor(
      async () => {
        const [d] = await t.cloud.db.asService((tx) =>
          tx.select().from(iotDevices).where(eq(iotDevices.device_id, appliance.device!.device_id)),
        );
        return d?.status === "offline";
      },
      { what: "device offline" },
    );
  });
});
