// What `lilo cloud ...` runs (declared in cloud.commands.ts): database migrations, organizations, devices,
// retention. Loaded only when one of these commands runs; the HTTP server and the MQTT client, which most
// of them never touch, load only in the commands that use them.
import { readFileSync } from "node:fs";
import { loadCloudConfig } from "../cloud/config.js";
import { connectDatabase, type Database } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { initRoles } from "../cloud/db/roles.js";
import { type CredentialListener, ProvisioningService } from "../cloud/devices/provisioning.service.js";
import type { MosquittoProvisioner } from "../cloud/mqtt/mosquitto.js";
import { CabinetService } from "../cloud/orgs/cabinet.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { AppError } from "../shared/errors.js";
import { createLogger, silentLogger } from "../shared/logger.js";
import { createServiceNotifier } from "../shared/systemd/sd-notify.js";

/** Opens the cloud database named by the environment for one command, and closes it. */
export async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadCloudConfig();
  const db = await connectDatabase({
    databaseUrl: config.databaseUrl,
    ownerUrl: config.databaseOwnerUrl,
    dataDir: config.dataDir,
  });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * A provisioning service for one credential command. With an external Mosquitto (MQTT_URL and
 * LILO_MQTT_PROVISIONER=mosquitto-dynsec) the change reaches the broker from here, which closes the
 * device's live session; the embedded broker's cloud notices within seconds (its revocation sweep).
 */
async function withProvisioning<T>(fn: (provisioning: ProvisioningService) => Promise<T>): Promise<T> {
  const { mqtt } = loadCloudConfig();
  let broker: MosquittoProvisioner | undefined;
  if (mqtt.url && mqtt.provisioner === "mosquitto-dynsec") {
    const { MosquittoProvisioner } = await import("../cloud/mqtt/mosquitto.js");
    broker = new MosquittoProvisioner({
      url: mqtt.url,
      username: mqtt.username!,
      password: mqtt.password!,
      logger: silentLogger,
      mqttOptions: mqtt.caFile ? { ca: readFileSync(mqtt.caFile) } : undefined,
    });
    await broker.start();
  }
  const listener: CredentialListener | undefined = broker && {
    added: (identity, token) => broker.addDevice(identity, token),
    revoked: (identity) => broker.revokeDevice(identity.thing_name),
  };
  try {
    return await withDatabase((db) => fn(new ProvisioningService(db, listener)));
  } finally {
    await broker?.stop();
  }
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export async function serve(): Promise<void> {
  const { Cloud } = await import("../cloud/cloud.js");
  const logger = createLogger(loadCloudConfig().logLevel);
  const service = new Cloud(loadCloudConfig(), logger);
  const notifier = createServiceNotifier(logger);
  notifier.starting();
  await service.start();
  notifier.ready("serving");
  const stop = () => {
    notifier.stopping();
    void service.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

export function migrate(): Promise<void> {
  return withDatabase(async (db) => {
    for (const r of await migrateAll(db)) {
      process.stderr.write(
        `${r.schema}: ${r.applied.length ? `applied ${r.applied.join(", ")}` : "up to date"}\n`,
      );
    }
  });
}

export async function initDatabaseRoles(): Promise<void> {
  const config = loadCloudConfig();
  if (!config.databaseUrl || !config.databaseOwnerUrl)
    throw new AppError("validation_failed", "init-roles needs DATABASE_URL and DATABASE_OWNER_URL");
  printJson(await initRoles({ serviceUrl: config.databaseUrl, ownerUrl: config.databaseOwnerUrl }));
}

export interface CreateOrgOptions {
  name: string;
  slug: string;
  type: string;
  tier: string;
}

export function createOrganization(opts: CreateOrgOptions): Promise<void> {
  return withDatabase(async (db) => {
    const created = await new OrganizationService(db).create({
      name: opts.name,
      slug: opts.slug,
      type: opts.type as never,
      tier: opts.tier as never,
    });
    printJson(created);
  });
}

export interface CreateCabinetOptions {
  org: string;
  department: string;
  lab: string;
  name: string;
  code: string;
  shelves: string;
  dualApproval?: boolean;
}

export function createCabinet(o: CreateCabinetOptions): Promise<void> {
  return withDatabase(async (db) => {
    const created = await new CabinetService(db).create(o.org, {
      department: o.department,
      lab: o.lab,
      name: o.name,
      code: o.code,
      shelves: o.shelves,
      requires_dual_approval: Boolean(o.dualApproval),
    });
    printJson(created);
  });
}

export function createClaimToken(o: { org: string; cabinet: string }): Promise<void> {
  return withDatabase(async (db) =>
    printJson(await new ProvisioningService(db).createClaimToken(o.org, o.cabinet)),
  );
}

export interface RevokeClaimTokenOptions {
  org: string;
  token?: string;
  tokenId?: string;
  cabinet?: string;
}

export function revokeClaimToken(o: RevokeClaimTokenOptions): Promise<void> {
  return withDatabase(async (db) =>
    printJson(
      await new ProvisioningService(db).revokeClaimToken(o.org, {
        claim_token: o.token,
        token_id: o.tokenId,
        cabinet_id: o.cabinet,
      }),
    ),
  );
}

export function revokeDevice(o: { device: string }): Promise<void> {
  return withProvisioning((p) => p.revoke(o.device));
}

export function rotateDevice(o: { device: string }): Promise<void> {
  return withProvisioning(async (p) => printJson({ credential: await p.rotate(o.device) }));
}

export function decommissionDevice(o: { device: string }): Promise<void> {
  return withProvisioning((p) => p.decommission(o.device));
}

export interface ApproveReclaimOptions {
  device?: string;
  serial?: string;
  minutes: string;
}

export function approveReclaim(o: ApproveReclaimOptions): Promise<void> {
  return withDatabase(async (db) => {
    const minutes = Number(o.minutes);
    if (!(o.device || o.serial) || (o.device && o.serial))
      throw new AppError("validation_failed", "name the device: --device or --serial");
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 7 * 24 * 60)
      throw new AppError("validation_failed", "--minutes must be a whole number from 1 to 10080");
    printJson(
      await new ProvisioningService(db).approveReclaim(
        { device_id: o.device, serial_number: o.serial },
        undefined,
        undefined,
        minutes * 60_000,
      ),
    );
  });
}

export async function setUpMqtt(): Promise<void> {
  const { mqtt } = loadCloudConfig();
  const adminPassword = process.env.MQTT_ADMIN_PASSWORD;
  if (!mqtt.url || !adminPassword)
    throw new AppError(
      "validation_failed",
      "MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD and MQTT_ADMIN_PASSWORD are required",
    );
  const { MosquittoProvisioner } = await import("../cloud/mqtt/mosquitto.js");
  const admin = new MosquittoProvisioner({
    url: mqtt.url,
    username: process.env.MQTT_ADMIN_USERNAME ?? "admin",
    password: adminPassword,
    logger: silentLogger,
    mqttOptions: mqtt.caFile ? { ca: readFileSync(mqtt.caFile) } : undefined,
  });
  await admin.start();
  try {
    await admin.ensureServiceAccount({ username: mqtt.username!, password: mqtt.password! });
  } finally {
    await admin.stop();
  }
  printJson({ account: mqtt.username, role: "lilo-cloud" });
}
