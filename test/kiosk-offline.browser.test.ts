// The touchscreen with the cloud stopped: a claimed cabinet process (`lilo appliance run`) loses its
// cloud; the kiosk says so, and a badge, a take, its confirmation and a registration all work and wait
// in the outbox. When the cloud is back, they arrive there and the kiosk says it is online.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoPerson } from "../cloud/demo/demo-seed.js";
import { labelFor } from "../shared/labels/label-code.js";
import {
  CabinetProcess,
  CloudProcess,
  cloudIds,
  killAll,
  prepareCabinet,
  type SeededFleet,
  seedCloud,
} from "./support/fleet-processes.js";
import { freePort } from "./support/free-port.js";
import { KIOSK_SCREENS, launchChromium, openKiosk } from "./support/kiosk-browser.js";
import { waitFor } from "./support/wait-for.js";

const SCAN_MS = 90_000;

describe("kiosk with the cloud stopped", () => {
  let tmp: string;
  let browser: Browser;
  let cloud: CloudProcess;
  let cabinet: CabinetProcess;
  let seeded: SeededFleet;
  let dispose: () => Promise<void> = async () => {};
  const logs = () => `${cloud?.logs() ?? ""}\n${cabinet?.logs() ?? ""}`;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "lilo-kiosk-offline-"));
    browser = await launchChromium();
    ({ cloud, dispose } = await CloudProcess.prepared(tmp, async (database) => {
      seeded = await seedCloud(database);
    }));
    await cloud.start();
    const dir = join(tmp, "cabinet");
    const port = await freePort();
    const configPath = prepareCabinet(dir, {
      port,
      cloudUrl: cloud.url,
      claimToken: seeded.claimToken,
      placements: seeded.org.placements,
      cloud: { uploadIntervalMs: 250, downlinkIntervalMs: 1_000, maxBackoffMs: 1_000 },
    });
    cabinet = new CabinetProcess(dir, configPath, port);
    await cabinet.start();
    await waitFor(async () => (await cabinet.status()).device?.device_id, {
      what: "the cabinet to be claimed",
      context: logs,
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await killAll();
    await dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("badge, take, confirm and register offline; all of it reaches the cloud when it is back", async () => {
    const tech = seeded.org.users.find((u) => u.role === "technician") as DemoPerson;
    const { page, tap, typeOn, shot, text } = await openKiosk(
      browser,
      `${cabinet.url}/kiosk/`,
      KIOSK_SCREENS[0],
    );
    const see = (testId: string, timeout = 10_000) => page.getByTestId(testId).first().waitFor({ timeout });
    const syncState = (prefix: string) =>
      waitFor(async () => (await text("sync-state")).startsWith(prefix) && text("sync-state"), {
        what: `the kiosk to say "${prefix}"`,
        context: logs,
      });

    await syncState("Online");
    expect(await text("cabinet-name")).toBe("Flammables cabinet 1");
    await cloud.stop();
    await syncState("Offline");
    expect(await shot("offline-idle")).toEqual([]);

    // The technician's badge at the simulated reader: their name within 5 s.
    expect((await cabinet.sim("POST", "/badge", { badge: tech.badge })).json).toMatchObject({
      granted: true,
    });
    await see("signed-in-name", 5_000);
    expect(await text("signed-in-name")).toContain(tech.name);

    const taken = seeded.org.placements[0]!;
    const stranger = labelFor(900);
    await cabinet.sim("POST", "/door", { open: true });
    await cabinet.sim("DELETE", `/shelves/${taken.shelf}/containers/${encodeURIComponent(taken.qr_code)}`);
    await cabinet.sim("POST", "/shelves/4/containers", { qr_code: stranger, x: 0.86, y: 0.5 });
    await cabinet.sim("POST", "/door", { open: false });
    await see(`taken-${taken.qr_code}`, SCAN_MS);
    await see("unknown-card");

    await tap("register");
    await typeOn("kb", "Toluene");
    await tap("register-next");
    await typeOn("key", "1");
    await tap("unit-L");
    await tap("register-next");
    await tap("register-next");
    await see("notice");
    await tap("purpose-experiment");
    await tap("confirm");
    await see("prompt");
    const offline = await syncState("Offline ·");
    expect(offline).toMatch(/Offline · \d+ waiting/);
    expect(await shot("offline-waiting")).toEqual([]);

    // The cloud is back: the registration and the checkout's purpose arrive; the kiosk is online.
    await cloud.start();
    await syncState("Online");
    const schema = seeded.org.tenant_schema;
    const inCloud = (table: string, pk: string, where: string) =>
      waitFor(async () => (await cloud.query((db) => cloudIds(db, schema, table, pk, where))).length === 1, {
        what: `${table} where ${where} in the cloud`,
        context: logs,
      });
    await inCloud(
      "chemical_inventory",
      "container_id",
      `qr_code = '${stranger}' AND chemical_name = 'Toluene'`,
    );
    await inCloud(
      "container_transactions",
      "transaction_id",
      `qr_code = '${taken.qr_code}' AND transaction_type = 'checkout' AND purpose = 'experiment'`,
    );
    await syncState("Online");
    expect(await shot("online-again")).toEqual([]);
    await page.context().close();
  }, 300_000);
});
