// Boots a real appliance in simulator mode on a temporary data directory, seeded with a cabinet,
// two people and labelled chemicals.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Appliance } from "../../appliance/appliance.js";
import { type ApplianceConfigInput, parseApplianceConfig } from "../../appliance/config.js";
import { SIM_SHELVES, simConfigInput } from "../../appliance/sim/sim-config.js";
import { type SeedPerson, seedLocalCabinet } from "../../appliance/sim/sim-seed.js";
import { silentLogger } from "../../shared/logger.js";

const SHELVES = SIM_SHELVES;

export const TECH: SeedPerson = {
  user_id: randomUUID(),
  display_name: "Tina Technician",
  email: "tina@example.org",
  badge: "BADGE-0001",
  user_number: 1001,
  pin: "471147",
  role: "technician",
};
export const MANAGER: SeedPerson = {
  user_id: randomUUID(),
  display_name: "Max Manager",
  email: "max@example.org",
  badge: "BADGE-0002",
  user_number: 1002,
  pin: "246810",
  role: "lab_manager",
};

export interface SimAppliance {
  appliance: Appliance;
  url: string;
  sim: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: unknown }>;
  dispose(): Promise<void>;
}

export async function startSimAppliance(
  opts: { containers?: number; requiresDualApproval?: boolean; config?: Partial<ApplianceConfigInput> } = {},
): Promise<SimAppliance> {
  const dataDir = mkdtempSync(join(tmpdir(), "lilo-appliance-"));
  const base = simConfigInput(dataDir, 0);
  const config = parseApplianceConfig({
    ...base,
    scan: { intervalMinutes: 0, afterSession: true },
    hardware: { ...base.hardware, lock: { mode: "fail-secure", autoRelockMs: 60_000, ajarAlarmMs: 120_000 } },
    ...opts.config,
  });
  const appliance = new Appliance(config, { logger: silentLogger });
  await appliance.start();
  seedLocalCabinet(appliance.database, appliance.sim!, {
    scope: config.cabinet!,
    secret: config.credentialSecret!,
    shelves: SHELVES,
    people: [TECH, MANAGER],
    containers: opts.containers ?? 8,
    requiresDualApproval: opts.requiresDualApproval,
  });
  return handle(appliance, dataDir);
}

/** Stops the appliance and starts a new one on the same data directory and simulated cabinet. */
export async function restartSimAppliance(old: SimAppliance): Promise<SimAppliance> {
  await old.appliance.stop();
  const appliance = new Appliance(old.appliance.config, { logger: silentLogger });
  await appliance.start();
  return handle(appliance, old.appliance.config.dataDir);
}

function handle(appliance: Appliance, dataDir: string): SimAppliance {
  const url = appliance.url;
  let stopped = false;
  return {
    appliance,
    url,
    async sim(method, path, body) {
      const res = await fetch(`${url}/sim${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
    async dispose() {
      if (!stopped) await appliance.stop();
      stopped = true;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
