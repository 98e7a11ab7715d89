// What `lilo appliance ...` runs (declared in appliance.commands.ts): the cabinet service, decoding shelf
// photos, driving the lock to its safe state. Loaded only when one of these commands runs.
import { join } from "node:path";
import type { Command } from "commander";
import { Appliance } from "../appliance/appliance.js";
import { type ApplianceConfig, loadApplianceConfig } from "../appliance/config.js";
import { driveLockToSafeState } from "../appliance/hardware/lock-safety.js";
import { KIOSK_KEY_FILE, KIOSK_KEY_HEADER } from "../appliance/kiosk-guard.middleware.js";
import { detectFiles } from "../appliance/safety/detect-files.js";
import { OnnxSpillDetector } from "../appliance/safety/spill-detector.onnx.js";
import { DEFAULT_THRESHOLDS } from "../appliance/safety/thresholds.js";
import { decodeFiles } from "../appliance/scan/decode-files.js";
import { ensureSimConfigFile, SIM_SHELVES } from "../appliance/sim/sim-config.js";
import { SIM_PEOPLE } from "../appliance/sim/sim-people.js";
import { seedLocalCabinet } from "../appliance/sim/sim-seed.js";
import { createLogger } from "../shared/logger.js";
import { createServiceNotifier } from "../shared/systemd/sd-notify.js";

/** Stops cleanly on SIGTERM/SIGINT, giving up after a timeout so systemd never waits forever. */
function stopOnSignals(stop: () => Promise<void>, timeoutMs = 10_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(signal === "SIGINT" ? 130 : 0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

export interface RunOptions {
  config?: string;
  sim?: boolean;
  dataDir: string;
  port: string;
}

export async function run(opts: RunOptions, cmd: Command): Promise<void> {
  if (!opts.config && !opts.sim) throw new Error("give --config FILE, or --sim for a simulated cabinet");
  const standalone = !opts.config;
  const path = opts.config ?? ensureSimConfigFile(opts.dataDir, Number(opts.port));
  const config: ApplianceConfig = loadApplianceConfig(path);
  // --sim on a real cabinet's config would leave the relay undriven and open the /sim API
  // (swipe any badge, open the door) on the cabinet's own port.
  if (opts.sim && config.hardware.mode === "real") {
    cmd.error(`lilo: --sim refused: ${path} has hardware.mode "real"; run it without --sim`, {
      exitCode: 2,
    });
  }
  const logger = createLogger();
  const app = new Appliance(config, {
    logger,
    installCrashHandlers: true,
    notifier: createServiceNotifier(logger),
  });
  stopOnSignals(() => app.stop());
  await app.start();
  if (standalone && app.sim) {
    seedLocalCabinet(app.database, app.sim, {
      scope: config.cabinet!,
      secret: config.credentialSecret!,
      shelves: SIM_SHELVES,
      people: SIM_PEOPLE,
    });
    logger.info(
      {
        api: `${app.url}/api`,
        sim: `${app.url}/sim`,
        // POST /api/access with this header and the file's content (new at every start).
        kiosk: { key_header: KIOSK_KEY_HEADER, key_file: join(config.dataDir, KIOSK_KEY_FILE) },
        people: SIM_PEOPLE.map(({ display_name, badge, user_number, pin }) => ({
          display_name,
          badge,
          user_number,
          pin,
        })),
      },
      "simulated cabinet ready",
    );
  }
}

export async function decode(files: string[], opts: { frames: string }, cmd: Command): Promise<void> {
  try {
    const write = (line: string) => process.stdout.write(`${line}\n`);
    if (!(await decodeFiles(files, write, { frames: Number(opts.frames) }))) process.exitCode = 1;
  } catch (err) {
    // Bad --frames (checked before any file is read): a usage error.
    if (err instanceof RangeError) cmd.error(`lilo: ${err.message}`, { exitCode: 2 });
    throw err;
  }
}

export async function detect(files: string[], opts: { config?: string }): Promise<void> {
  const safety = opts.config ? loadApplianceConfig(opts.config).safety : undefined;
  const detector = await OnnxSpillDetector.load({
    thresholds: safety
      ? { spill: safety.spillThreshold, breakage: safety.breakageThreshold }
      : DEFAULT_THRESHOLDS,
    threads: safety?.threads,
  });
  try {
    const write = (line: string) => process.stdout.write(`${line}\n`);
    if (!(await detectFiles(files, write, detector))) process.exitCode = 1;
  } finally {
    await detector.close();
  }
}

export function lockSafe(opts: { config: string }): void {
  const config = loadApplianceConfig(opts.config);
  driveLockToSafeState(config.hardware, { logger: createLogger() });
}
