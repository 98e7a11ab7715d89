// `lilo cloud ...`: database migrations, organizations, retention.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { Cloud } from "../cloud/cloud.js";
import { loadCloudConfig } from "../cloud/config.js";
import { connectDatabase, type Database } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { ensurePartitions, expirePartitions } from "../cloud/db/partitions.js";
import { initRoles } from "../cloud/db/roles.js";
import { type CredentialListener, ProvisioningService } from "../cloud/devices/provisioning.service.js";
import { MosquittoProvisioner } from "../cloud/mqtt/mosquitto.js";
import { CabinetService } from "../cloud/orgs/cabinet.service.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { AppError } from "../shared/errors.js";
import { createLogger, silentLogger } from "../shared/logger.js";

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

export function registerCloudCommands(program: Command): void {
  const cloud = program
    .command("cloud")
    .description("the cloud service: database, organizations (DATABASE_URL or embedded PGlite)");

  cloud
    .command("serve")
    .description("run the cloud service: migrate, then serve HTTP (LILO_CLOUD_PORT, default 8080)")
    .action(async () => {
      const logger = createLogger(loadCloudConfig().logLevel);
      const service = new Cloud(loadCloudConfig(), logger);
      await service.start();
      const stop = () =>
        void service.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    });

  cloud
    .command("migrate")
    .description("create or upgrade lilo_platform and every tenant schema (idempotent)")
    .action(() =>
      withDatabase(async (db) => {
        for (const r of await migrateAll(db)) {
          process.stderr.write(
            `${r.schema}: ${r.applied.length ? `applied ${r.applied.join(", ")}` : "up to date"}\n`,
          );
        }
      }),
    );

  cloud
    .command("db")
    .description("database logins of a PostgreSQL server")
    .command("init-roles")
    .description(
      "as DATABASE_OWNER_URL's login: create or update DATABASE_URL's login (its password too) as a " +
        "service login without superuser, BYPASSRLS or CREATEROLE, and grant it lilo_service and every tenant role",
    )
    .action(async () => {
      const config = loadCloudConfig();
      if (!config.databaseUrl || !config.databaseOwnerUrl)
        throw new AppError("validation_failed", "init-roles needs DATABASE_URL and DATABASE_OWNER_URL");
      printJson(await initRoles({ serviceUrl: config.databaseUrl, ownerUrl: config.databaseOwnerUrl }));
    });

  const org = cloud.command("org").description("organizations (tenants)");
  org
    .command("create")
    .description("create an organization and its tenant_<org_id> schema; prints {org_id, schema} as JSON")
    .requiredOption("--name <name>", "display name")
    .requiredOption("--slug <slug>", "URL-safe identifier, unique (lowercase letters, digits, hyphens)")
    .requiredOption("--type <type>", "university | pharma | biotech | government | industrial")
    .option("--tier <tier>", "starter | professional | enterprise", "starter")
    .action((opts: { name: string; slug: string; type: string; tier: string }) =>
      withDatabase(async (db) => {
        const created = await new OrganizationService(db).create({
          name: opts.name,
          slug: opts.slug,
          type: opts.type as never,
          tier: opts.tier as never,
        });
        process.stdout.write(`${JSON.stringify(created)}\n`);
      }),
    );

  const cabinet = cloud.command("cabinet").description("cabinets of an organization");
  cabinet
    .command("create")
    .description("create a cabinet (and its department and lab, found or created by name); prints JSON")
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption("--department <name>", "department name")
    .requiredOption("--lab <name>", "lab name")
    .requiredOption("--name <name>", "cabinet name")
    .requiredOption("--code <code>", "cabinet code, unique in the organization")
    .option("--shelves <n>", "number of shelves", "4")
    .option("--dual-approval", "two people must badge to open it")
    .action(
      (o: {
        org: string;
        department: string;
        lab: string;
        name: string;
        code: string;
        shelves: string;
        dualApproval?: boolean;
      }) =>
        withDatabase(async (db) => {
          const created = await new CabinetService(db).create(o.org, {
            department: o.department,
            lab: o.lab,
            name: o.name,
            code: o.code,
            shelves: o.shelves,
            requires_dual_approval: Boolean(o.dualApproval),
          });
          process.stdout.write(`${JSON.stringify(created)}\n`);
        }),
    );

  const device = cloud.command("device").description("cabinet controllers: claim tokens and credentials");
  device
    .command("claim-token")
    .description("issue a one-time claim token for a cabinet (valid 7 days); prints JSON")
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption("--cabinet <cabinet_id>", "cabinet id")
    .action((o: { org: string; cabinet: string }) =>
      withDatabase(async (db) => {
        const token = await new ProvisioningService(db).createClaimToken(o.org, o.cabinet);
        process.stdout.write(`${JSON.stringify(token)}\n`);
      }),
    );
  device
    .command("revoke-claim-token")
    .description("make unused claim tokens unusable: one (--token or --token-id) or all of a cabinet's")
    .requiredOption("--org <org_id>", "organization id")
    .option("--token <claim_token>", "the token itself")
    .option("--token-id <token_id>", "its id (printed by claim-token)")
    .option("--cabinet <cabinet_id>", "every unused token of this cabinet")
    .action((o: { org: string; token?: string; tokenId?: string; cabinet?: string }) =>
      withDatabase(async (db) =>
        printJson(
          await new ProvisioningService(db).revokeClaimToken(o.org, {
            claim_token: o.token,
            token_id: o.tokenId,
            cabinet_id: o.cabinet,
          }),
        ),
      ),
    );
  device
    .command("revoke")
    .description("revoke a device's credential: it can no longer sync or connect, its MQTT session is closed")
    .requiredOption("--device <device_id>", "device id")
    .action((o: { device: string }) => withProvisioning((p) => p.revoke(o.device)));
  device
    .command("rotate")
    .description("issue a new credential for a device (the old one stops working); prints it once")
    .requiredOption("--device <device_id>", "device id")
    .action((o: { device: string }) =>
      withProvisioning(async (p) => printJson({ credential: await p.rotate(o.device) })),
    );
  device
    .command("decommission")
    .description("retire a device for good: refused on every route and topic, its MQTT session is closed")
    .requiredOption("--device <device_id>", "device id")
    .action((o: { device: string }) => withProvisioning((p) => p.decommission(o.device)));
  device
    .command("approve-reclaim")
    .description(
      "let a claim with this device's serial number take it over without its credential; prints JSON",
    )
    .option("--device <device_id>", "device id")
    .option("--serial <serial_number>", "or the board's serial number")
    .option("--minutes <n>", "how long the approval lasts", "60")
    .action((o: { device?: string; serial?: string; minutes: string }) =>
      withDatabase(async (db) => {
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
      }),
    );

  cloud
    .command("mqtt-setup")
    .description(
      "with Mosquitto's dynsec admin (MQTT_ADMIN_USERNAME, MQTT_ADMIN_PASSWORD), create the cloud's own " +
        "least-privilege account MQTT_USERNAME/MQTT_PASSWORD on MQTT_URL; the cloud then runs with that one",
    )
    .action(async () => {
      const { mqtt } = loadCloudConfig();
      const adminPassword = process.env.MQTT_ADMIN_PASSWORD;
      if (!mqtt.url || !adminPassword)
        throw new AppError(
          "validation_failed",
          "MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD and MQTT_ADMIN_PASSWORD are required",
        );
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
    });

  cloud
    .command("retention")
    .description("create upcoming time partitions and drop those past their retention period")
    .action(() =>
      withDatabase(async (db) => {
        const { retentionDays } = loadCloudConfig();
        const result = await db.asOwner(async (tx) => ({
          created: await ensurePartitions(tx),
          dropped: await expirePartitions(tx, retentionDays),
        }));
        process.stdout.write(`${JSON.stringify(result)}\n`);
      }),
    );
}
