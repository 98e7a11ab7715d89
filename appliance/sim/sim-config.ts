// The configuration of a standalone simulated cabinet (`lilo appliance run --sim` without --config):
// written once into the data directory so that its identity and secret survive restarts.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ApplianceConfigInput } from "../config.js";

export const SIM_SHELVES = [1, 2, 3, 4];

export function simConfigInput(dataDir: string, port: number): ApplianceConfigInput {
  return {
    dataDir,
    http: { host: "127.0.0.1", port },
    cabinet: { org_id: randomUUID(), dept_id: randomUUID(), lab_id: randomUUID(), cabinet_id: randomUUID() },
    credentialSecret: randomBytes(24).toString("base64url"),
    scan: { intervalMinutes: 60, afterSession: true },
    hardware: {
      mode: "sim",
      lock: { mode: "fail-secure", autoRelockMs: 30_000, ajarAlarmMs: 60_000 },
      // One 1920x1080 camera per shelf, as the pilot cabinets are built.
      cameras: SIM_SHELVES.map((shelf) => ({
        id: `shelf${shelf}`,
        index: shelf - 1,
        shelves: [{ shelf, roi: { x: 0, y: 0, w: 1, h: 1 } }],
        width: 1920,
        height: 1080,
      })),
    },
  };
}

/** Reads `<dataDir>/appliance.json`, creating it on first use. */
export function ensureSimConfigFile(dataDir: string, port: number): string {
  const path = join(dataDir, "appliance.json");
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, `${JSON.stringify(simConfigInput(dataDir, port), null, 2)}\n`, { mode: 0o600 });
  } else {
    JSON.parse(readFileSync(path, "utf8"));
  }
  return path;
}
