// `lilo demo` (= `npm start`): the whole product on one machine with nothing installed but Node — the
// cloud on embedded PGlite (or DATABASE_URL) with its MQTT broker (or MQTT_URL), and one simulated
// cabinet, provisioned through the real claim flow and running as its own process, restarted if it
// dies, as systemd would.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import type { ApplianceConfigInput } from "../appliance/config.js";
import { SimCabinet } from "../appliance/hardware/sim-cabinet.js";
import { KIOSK_KEY_FILE, KIOSK_KEY_HEADER } from "../appliance/kiosk-guard.middleware.js";
import { simConfigInput } from "../appliance/sim/sim-config.js";
import { Cloud } from "../cloud/cloud.js";
import { loadCloudConfig } from "../cloud/config.js";
import { DEMO_SHELVES, type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { ensureSelfSignedFiles } from "../cloud/mqtt/self-signed-cert.js";
import { createLogger, type Logger } from "../shared/logger.js";
import { fromRoot } from "../shared/paths.js";

interface DemoOptions {
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

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the cloud and a simulated cabinet together (what `npm start` runs)")
    .option("--data-dir <dir>", "where the demo keeps its data", "./data")
    .option("--cloud-port <port>", "cloud HTTP port", "8080")
    .option("--appliance-port <port>", "cabinet HTTP port (API and simulator)", "8081")
    .action(async (opts: DemoOptions) => {
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

      let child: ChildProcess | undefined;
      let stopping = false;
      const writeDemoFile = () =>
        writeFileSync(
          join(dataDir, "demo.json"),
          `${JSON.stringify(
            {
              cloud_url: cloud.url,
              sim_url: `${applianceUrl}/sim`,
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
        child = spawn(
          process.execPath,
          [fromRoot("bin/lilo.js"), "appliance", "run", "--config", configPath],
          {
            stdio: ["ignore", "inherit", "inherit"],
          },
        );
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
        const exited = new Promise((r) =>
          child && child.exitCode === null ? child.once("exit", r) : r(null),
        );
        child?.kill("SIGTERM");
        await Promise.race([exited, sleep(10_000)]);
        await cloud.stop();
        process.exit(0);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);

      logger.info(
        {
          cloud: cloud.url,
          simulator: `${applianceUrl}/sim`,
          org: org.org_id,
          tenant_schema: org.tenant_schema,
          people: org.users.map(({ name, email, password, badge, user_number, pin, role }) => ({
            name,
            email,
            password,
            badge,
            user_number,
            pin,
            role,
          })),
          kiosk: kiosk.example,
          file: join(dataDir, "demo.json"),
        },
        `L.I.L.O. demo ${org.created ? "created" : "resumed"}; Ctrl-C stops it`,
      );
      // Logs redact PINs, badges and passwords wherever they sit; the demo people's are public demo
      // data, so a person at a terminal sees them here (and every reader finds them in demo.json).
      if (process.stdout.isTTY) {
        const lines = org.users.map(
          (u) =>
            `  ${u.name} (${u.role}): badge ${u.badge}, user number ${u.user_number}, PIN ${u.pin}` +
            (u.password ? `, password ${u.password} (${u.email})` : ""),
        );
        process.stdout.write(`\nDemo people:\n${lines.join("\n")}\n\n`);
      }
    });
}
