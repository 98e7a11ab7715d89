// What `lilo demo` (= `npm start`, declared in demo.command.ts) runs: the whole product on one machine with
// nothing installed but Node — the cloud on embedded PGlite (or DATABASE_URL) with its MQTT broker (or
// MQTT_URL), and one simulated cabinet, provisioned through the real claim flow and running as its own
// process, restarted if it dies, as systemd would.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ApplianceConfigInput } from "../appliance/config.js";
import { SimCabinet } from "../appliance/hardware/sim-cabinet.js";
import { KIOSK_KEY_FILE, KIOSK_KEY_HEADER } from "../appliance/kiosk-guard.middleware.js";
import { simConfigInput } from "../appliance/sim/sim-config.js";
import { DASHBOARD_PATH } from "../cloud/api/dashboard.routes.js";
import { Cloud } from "../cloud/cloud.js";
import { loadCloudConfig } from "../cloud/config.js";
import { DEMO_SHELVES, type DemoOrg, type DemoPerson, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { ensureSelfSignedFiles } from "../cloud/mqtt/self-signed-cert.js";
import { createLogger, type Logger, stdoutLogFormat } from "../shared/logger.js";
import { fromRoot } from "../shared/paths.js";

export interface DemoOptions {
  dataDir: string;
  cloudPort: string;
  appliancePort: string;
}

/** First start for this organization: a claim token, the cabinet's config and its stocked shelves. */
async function prepareAppliance(
  cloud: Cloud,
  org: DemoOrg,
  dir: string,
  port: number,
  logger: Logger,
  mqttCaFile: string | undefined,
): Promise<string> {
  const configPath = join(dir, "appliance.json");
  const marker = join(dir, "demo-org");
  if (
    existsSync(configPath) &&
    existsSync(marker) &&
    readFileSync(marker, "utf8") === org.org_id &&
    // A cabinet prepared before the broker had its certificate would not trust it: prepare it again.
    (JSON.parse(readFileSync(configPath, "utf8")) as ApplianceConfigInput).cloud?.mqttCaFile === mqttCaFile
  )
    return configPath;
  // A cabinet from another database (or none yet): start it afresh and claim it again.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { claim_token } = await new ProvisioningService(cloud.db).createClaimToken(
    org.org_id,
    org.cabinet_id,
  );
  const base = simConfigInput(dir, port);
  const config: ApplianceConfigInput = {
    ...base,
    cabinet: undefined,
    credentialSecret: undefined,
    cloud: {
      url: cloud.url,
      claimToken: claim_token,
      serialNumber: `SIM-${randomUUID().slice(0, 8)}`,
      uploadIntervalMs: 1000,
      ...(mqttCaFile ? { mqttCaFile } : {}),
    },
  };
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const sim = SimCabinet.load(join(dir, "sim-cabinet.json"), { shelves: DEMO_SHELVES });
  for (const p of org.placements) sim.addContainer(p.shelf, { qr_code: p.qr_code, x: p.x, y: p.y });
  writeFileSync(marker, org.org_id);
  logger.info(
    { containers: org.placements.length },
    "demo cabinet prepared; it claims itself on first start",
  );
  return configPath;
}

/**
 * How to call the cabinet's kiosk API as the kiosk does: the key is new at every start of the cabinet
 * process, so it is read from its file at each call, not copied here.
 */
function kioskHowTo(applianceUrl: string, applianceDir: string, tech: DemoOrg["users"][number]) {
  const keyFile = join(applianceDir, KIOSK_KEY_FILE);
  return {
    access_url: `${applianceUrl}/api/access`,
    key_file: keyFile,
    key_header: KIOSK_KEY_HEADER,
    content_type: "application/json",
    bodies: [
      '{"user": <user_number>, "pin": "<pin>"}',
      '{"badge": "<badge>"}',
      '{"badge": "<badge>", "pin": "<pin>"}',
    ],
    example: `curl -XPOST ${applianceUrl}/api/access -H 'content-type: application/json' -H "${KIOSK_KEY_HEADER}: $(cat ${keyFile})" -d '{"user": ${tech.user_number}, "pin": "${tech.pin}"}'`,
  };
}

/** Resolves once `url` answers 2xx, asking every quarter second, or after `timeoutMs` regardless. */
async function untilAnswers(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(250);
  }
}

interface BannerInfo {
  created: boolean;
  cloudUrl: string;
  applianceUrl: string;
  demoFile: string;
  kiosk: ReturnType<typeof kioskHowTo>;
  people: DemoPerson[];
  /** How to run `lilo` from the current directory. */
  lilo: string;
}

/**
 * What a person at a terminal needs to use the demo: where it runs, who may open the cabinet and how,
 * and three things to try. The people's credentials are public demo data (demo.json holds them too).
 */
function demoBanner(b: BannerInfo): string {
  const tech = b.people.find((p) => p.role === "technician") ?? b.people[0]!;
  const manager = b.people.find((p) => p.password) ?? b.people[0]!;
  const shelf = DEMO_SHELVES[0];
  const column = (values: string[]) => Math.max(...values.map((v) => v.length));
  const nameWidth = column(b.people.map((p) => `${p.name} (${p.role})`));
  const badgeWidth = column(b.people.map((p) => p.badge));
  const person = (p: DemoPerson) =>
    `    ${`${p.name} (${p.role})`.padEnd(nameWidth)}  badge ${p.badge.padEnd(badgeWidth)}  ` +
    `user ${p.user_number}  PIN ${p.pin}${p.password ? `  password ${p.password} (${p.email})` : ""}`;
  return [
    "",
    `  L.I.L.O. demo ${b.created ? "created" : "resumed"}; Ctrl-C stops it`,
    "",
    `  Cloud        ${b.cloudUrl}`,
    `  Dashboard    ${b.cloudUrl}${DASHBOARD_PATH}  (sign in as ${manager.email}, password ${manager.password})`,
    `  Touchscreen  ${b.applianceUrl}/kiosk/  (open it in a browser at 800×480 or 1280×800)`,
    `  Cabinet API  ${b.applianceUrl}/api  (the kiosk's: header ${b.kiosk.key_header}, key in ${b.kiosk.key_file})`,
    `  Simulator    ${b.applianceUrl}/sim`,
    `  All of this  ${b.demoFile}`,
    "",
    "  People",
    ...b.people.map(person),
    "",
    "  Try",
    `    1. Open the cabinet from the kiosk as ${tech.name}, with user number and PIN:`,
    `       ${b.kiosk.example}`,
    `    2. Photograph shelf ${shelf} with the simulated camera and read its labels:`,
    `       curl -so shelf-${shelf}.jpg ${b.applianceUrl}/sim/shelves/${shelf}/image && ${b.lilo} appliance decode shelf-${shelf}.jpg`,
    `    3. Sign in to the cloud as ${manager.name}:`,
    `       curl -XPOST ${b.cloudUrl}/api/v1/auth/login -H 'content-type: application/json' -d '{"email": "${manager.email}", "password": "${manager.password}"}'`,
    "",
    "",
  ].join("\n");
}

/** The cloud, the demo organization and its simulated cabinet, until SIGINT or SIGTERM. */
export async function runDemo(opts: DemoOptions): Promise<void> {
  const logger = createLogger();
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // The embedded broker speaks TLS with a self-signed certificate made once here; the demo cabinet
  // trusts exactly that certificate. A configured certificate or broker wins.
  const selfSigned =
    process.env.MQTT_URL || process.env.LILO_MQTT_TLS_CERT
      ? undefined
      : await ensureSelfSignedFiles(join(dataDir, "mqtt-tls"));
  const cloud = new Cloud(
    loadCloudConfig({
      ...process.env,
      LILO_CLOUD_DATA_DIR: process.env.LILO_CLOUD_DATA_DIR ?? join(dataDir, "cloud"),
      LILO_CLOUD_PORT: opts.cloudPort,
      ...(selfSigned
        ? {
            LILO_MQTT_TLS_CERT: selfSigned.certFile,
            LILO_MQTT_TLS_KEY: selfSigned.keyFile,
            LILO_MQTT_HOST: process.env.LILO_MQTT_HOST ?? "127.0.0.1",
          }
        : {}),
    }),
    logger.child({ component: "cloud" }),
  );
  await cloud.start();
  const org = await ensureDemoOrg(cloud.db);
  const applianceDir = join(dataDir, "appliance");
  const configPath = await prepareAppliance(
    cloud,
    org,
    applianceDir,
    Number(opts.appliancePort),
    logger,
    selfSigned?.certFile ?? process.env.MQTT_CA_FILE,
  );
  const applianceUrl = `http://127.0.0.1:${opts.appliancePort}`;
  const kiosk = kioskHowTo(applianceUrl, applianceDir, org.users.find((u) => u.role === "technician")!);
  const demoFile = join(dataDir, "demo.json");

  let child: ChildProcess | undefined;
  let stopping = false;
  const writeDemoFile = () =>
    writeFileSync(
      demoFile,
      `${JSON.stringify(
        {
          cloud_url: cloud.url,
          dashboard_url: `${cloud.url}${DASHBOARD_PATH}`,
          sim_url: `${applianceUrl}/sim`,
          kiosk_url: `${applianceUrl}/kiosk/`,
          appliance_url: `${applianceUrl}/api`,
          org_id: org.org_id,
          tenant_schema: org.tenant_schema,
          cabinet_id: org.cabinet_id,
          appliance_pid: child?.pid,
          users: org.users,
          kiosk,
        },
        null,
        2,
      )}\n`,
    );
  const startAppliance = () => {
    // As systemd/lilo-appliance.service runs it: V8's collector on the decoding thread only.
    const args = [
      "--single-threaded-gc",
      fromRoot("bin/lilo.js"),
      "appliance",
      "run",
      "--config",
      configPath,
    ];
    child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
    writeDemoFile();
    child.on("exit", (code, signal) => {
      if (stopping) return;
      logger.warn({ code, signal }, "cabinet process exited; restarting it");
      setTimeout(startAppliance, 500);
    });
  };
  startAppliance();

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const exited = new Promise((r) => (child && child.exitCode === null ? child.once("exit", r) : r(null)));
    child?.kill("SIGTERM");
    await Promise.race([exited, sleep(10_000)]);
    await cloud.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  // The people's badges, PINs and passwords are left to demo.json and the banner: a log line carries none.
  logger.info(
    {
      cloud: cloud.url,
      appliance: `${applianceUrl}/api`,
      simulator: `${applianceUrl}/sim`,
      org: org.org_id,
      tenant_schema: org.tenant_schema,
      file: demoFile,
    },
    `L.I.L.O. demo ${org.created ? "created" : "resumed"}; Ctrl-C stops it`,
  );
  // A person at a terminal gets the banner once the cabinet answers, below its start-up lines.
  if (stdoutLogFormat() === "pretty") {
    await untilAnswers(`${applianceUrl}/api/health`, 60_000);
    if (!stopping)
      process.stdout.write(
        demoBanner({
          created: org.created,
          cloudUrl: cloud.url,
          applianceUrl,
          demoFile,
          kiosk,
          people: org.users,
          lilo: `node ${relative(process.cwd(), fromRoot("bin/lilo.js"))}`,
        }),
      );
  }
}
