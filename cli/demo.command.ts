// `lilo demo` (= `npm start`): the whole product on one machine with nothing installed but Node —
// the cloud on embedded PGlite (or DATABASE_URL) and one simulated cabinet running as its own process,
// restarted if it dies, as systemd would.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { SIM_PEOPLE } from "../appliance/sim/sim-people.js";
import { Cloud } from "../cloud/cloud.js";
import { loadCloudConfig } from "../cloud/config.js";
import { createLogger } from "../shared/logger.js";
import { fromRoot } from "../shared/paths.js";

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the cloud and a simulated cabinet together (what `npm start` runs)")
    .option("--data-dir <dir>", "where the demo keeps its data", "./data")
    .option("--cloud-port <port>", "cloud HTTP port", "8080")
    .option("--appliance-port <port>", "cabinet HTTP port (API and simulator)", "8081")
    .action(async (opts: { dataDir: string; cloudPort: string; appliancePort: string }) => {
      const logger = createLogger();
      const dataDir = resolve(opts.dataDir);
      mkdirSync(dataDir, { recursive: true });
      const cloudConfig = loadCloudConfig({
        ...process.env,
        LILO_CLOUD_DATA_DIR: process.env.LILO_CLOUD_DATA_DIR ?? join(dataDir, "cloud"),
        LILO_CLOUD_PORT: opts.cloudPort,
      });
      const cloud = new Cloud(cloudConfig, logger.child({ component: "cloud" }));
      await cloud.start();

      const applianceUrl = `http://127.0.0.1:${opts.appliancePort}`;
      const demoFile = join(dataDir, "demo.json");
      let child: ChildProcess | undefined;
      let stopping = false;
      const writeDemoFile = () =>
        writeFileSync(
          demoFile,
          `${JSON.stringify(
            {
              cloud_url: cloud.url,
              sim_url: `${applianceUrl}/sim`,
              appliance_url: `${applianceUrl}/api`,
              appliance_pid: child?.pid,
              users: SIM_PEOPLE.map((p) => ({
                name: p.display_name,
                email: p.email,
                badge: p.badge,
                pin: p.pin,
                role: p.role,
                user_id: p.user_id,
              })),
            },
            null,
            2,
          )}\n`,
        );
      const startAppliance = () => {
        child = spawn(
          process.execPath,
          [
            fromRoot("bin/lilo.js"),
            "appliance",
            "run",
            "--sim",
            "--data-dir",
            join(dataDir, "appliance"),
            "--port",
            opts.appliancePort,
          ],
          { stdio: ["ignore", "inherit", "inherit"] },
        );
        writeDemoFile();
        child.on("exit", (code, signal) => {
          if (stopping) return;
          logger.warn({ code, signal }, "appliance exited; restarting in 1 s");
          setTimeout(startAppliance, 1000);
        });
      };
      startAppliance();
      logger.info(
        {
          cloud: cloud.url,
          simulator: `${applianceUrl}/sim`,
          people: SIM_PEOPLE.map(({ display_name, badge, pin }) => ({ display_name, badge, pin })),
          file: demoFile,
        },
        "L.I.L.O. demo running; Ctrl-C stops it",
      );

      const stop = async () => {
        if (stopping) return;
        stopping = true;
        const exited = new Promise((r) =>
          child && child.exitCode === null ? child.once("exit", r) : r(null),
        );
        child?.kill("SIGTERM");
        await exited;
        await cloud.stop();
        process.exit(0);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
}
