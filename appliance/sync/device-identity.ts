// The cabinet's identity after it claimed itself: written once, with 0600 permissions, atomically.
import { chmodSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { DeviceIdentity } from "../../shared/device-identity.js";

export const DeviceIdentityFile = DeviceIdentity.extend({
  lab_id: z.uuid(),
  dept_id: z.uuid(),
  credential: z.string().min(10),
  credential_secret: z.string().min(16),
  cloud_url: z.url(),
  /** The cloud's MQTT broker for the live channel; absent when the cloud runs none. */
  mqtt_url: z.string().optional(),
  /** The organization's command public key at claim time; later downlinks may replace it. */
  command_key: z.string().optional(),
});
export type DeviceIdentityFile = z.infer<typeof DeviceIdentityFile>;

export function readIdentity(path: string): DeviceIdentityFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return DeviceIdentityFile.parse(JSON.parse(text));
}

export function writeIdentity(path: string, identity: DeviceIdentityFile): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
