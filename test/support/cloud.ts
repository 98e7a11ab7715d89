// Starts a real cloud service (HTTP + embedded MQTT broker) on a fresh database of the given backend.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cloud } from "../../cloud/cloud.js";
import { loadCloudConfig } from "../../cloud/config.js";
import { silentLogger } from "../../shared/logger.js";
import type { Backend } from "./databases.js";

export interface TestCloud {
  cloud: Cloud;
  dispose(): Promise<void>;
}

/** @param extraEnv more configuration, e.g. an external broker (MQTT_URL, LILO_MQTT_PROVISIONER) */
export async function startCloud(backend: Backend, extraEnv: NodeJS.ProcessEnv = {}): Promise<TestCloud> {
  const dir = mkdtempSync(join(tmpdir(), "lilo-cloud-"));
  let dropDatabase = async () => {};
  const env: NodeJS.ProcessEnv = {
    LILO_CLOUD_PORT: "0",
    LILO_MQTT_PORT: "0",
    LILO_MQTT_HOST: "127.0.0.1",
    ...extraEnv,
  };
  if (backend.name === "postgres") {
    const scratch = await backend.create();
    // The cloud opens its own pool; this handle only drops the database afterwards.
    env.DATABASE_URL = scratch.url;
    env.DATABASE_OWNER_URL = scratch.ownerUrl;
    dropDatabase = scratch.dispose;
  } else {
    env.LILO_CLOUD_DATA_DIR = join(dir, "pglite");
  }
  const cloud = new Cloud(loadCloudConfig(env), silentLogger);
  await cloud.start();
  return {
    cloud,
    async dispose() {
      await cloud.stop();
      await dropDatabase();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
