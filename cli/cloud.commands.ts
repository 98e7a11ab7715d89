// `lilo cloud ...`: database migrations, organizations, devices, retention. Declared here with nothing but
// commander, so `lilo --help` stays fast; what each command runs is loaded from cloud.handlers.ts then.
import type { Command } from "commander";
import { registerAuditCommands } from "./audit.commands.js";
import { registerControlledCommands } from "./controlled.commands.js";
import { registerReportCommands } from "./report.commands.js";
import { registerRetentionCommands } from "./retention.commands.js";

const handlers = () => import("./cloud.handlers.js");

export function registerCloudCommands(program: Command): void {
  const cloud = program
    .command("cloud")
    .description("the cloud service: database, organizations (DATABASE_URL or embedded PGlite)");

  cloud
    .command("serve")
    .description("run the cloud service: migrate, then serve HTTP (LILO_CLOUD_PORT, default 8080)")
    .action(async () => (await handlers()).serve());

  cloud
    .command("migrate")
    .description("create or upgrade lilo_platform and every tenant schema (idempotent)")
    .action(async () => (await handlers()).migrate());

  cloud
    .command("db")
    .description("database logins of a PostgreSQL server")
    .command("init-roles")
    .description(
      "as DATABASE_OWNER_URL's login: create or update DATABASE_URL's login (its password too) as a " +
        "service login without superuser, BYPASSRLS or CREATEROLE, and grant it lilo_service and every tenant role",
    )
    .action(async () => (await handlers()).initDatabaseRoles());

  registerAuditCommands(cloud);
  registerReportCommands(cloud);
  registerControlledCommands(cloud);

  const org = cloud.command("org").description("organizations (tenants)");
  org
    .command("create")
    .description("create an organization and its tenant_<org_id> schema; prints {org_id, schema} as JSON")
    .requiredOption("--name <name>", "display name")
    .requiredOption("--slug <slug>", "URL-safe identifier, unique (lowercase letters, digits, hyphens)")
    .requiredOption("--type <type>", "university | pharma | biotech | government | industrial")
    .option("--tier <tier>", "starter | professional | enterprise", "starter")
    .action(async (opts) => (await handlers()).createOrganization(opts));

  const access = () => import("./access.handlers.js");
  cloud
    .command("user")
    .description("people of an organization")
    .command("create")
    .description("create a person with a role (password from standard input); prints {user_id}")
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption("--email <email>", "their email, used to sign in")
    .requiredOption(
      "--role <role>",
      "technician | lab_manager | safety_officer | auditor | org_admin (granted organization-wide), or owner | admin | manager | member",
    )
    .option("--first-name <name>", "first name")
    .option("--last-name <name>", "last name")
    .action(async (opts) => (await access()).createUser(opts));
  cloud
    .command("apikey")
    .description("API keys of an organization")
    .command("create")
    .description("create an API key; prints {key_id, key, prefix}: the key is shown this once")
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption("--name <name>", "what it is for")
    .requiredOption("--scopes <scopes>", "comma-separated permissions, or `all` for every permission")
    .option("--rate-limit <n>", "requests per hour", "1000")
    .action(async (opts) => (await access()).createApiKey(opts));

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
    .action(async (opts) => (await handlers()).createCabinet(opts));

  const device = cloud.command("device").description("cabinet controllers: claim tokens and credentials");
  device
    .command("claim-token")
    .description("issue a one-time claim token for a cabinet (valid 7 days); prints JSON")
    .requiredOption("--org <org_id>", "organization id")
    .requiredOption("--cabinet <cabinet_id>", "cabinet id")
    .action(async (opts) => (await handlers()).createClaimToken(opts));
  device
    .command("revoke-claim-token")
    .description("make unused claim tokens unusable: one (--token or --token-id) or all of a cabinet's")
    .requiredOption("--org <org_id>", "organization id")
    .option("--token <claim_token>", "the token itself")
    .option("--token-id <token_id>", "its id (printed by claim-token)")
    .option("--cabinet <cabinet_id>", "every unused token of this cabinet")
    .action(async (opts) => (await handlers()).revokeClaimToken(opts));
  device
    .command("revoke")
    .description("revoke a device's credential: it can no longer sync or connect, its MQTT session is closed")
    .requiredOption("--device <device_id>", "device id")
    .action(async (opts) => (await handlers()).revokeDevice(opts));
  device
    .command("rotate")
    .description("issue a new credential for a device (the old one stops working); prints it once")
    .requiredOption("--device <device_id>", "device id")
    .action(async (opts) => (await handlers()).rotateDevice(opts));
  device
    .command("decommission")
    .description("retire a device for good: refused on every route and topic, its MQTT session is closed")
    .requiredOption("--device <device_id>", "device id")
    .action(async (opts) => (await handlers()).decommissionDevice(opts));
  device
    .command("approve-reclaim")
    .description(
      "let a claim with this device's serial number take it over without its credential; prints JSON",
    )
    .option("--device <device_id>", "device id")
    .option("--serial <serial_number>", "or the board's serial number")
    .option("--minutes <n>", "how long the approval lasts", "60")
    .action(async (opts) => (await handlers()).approveReclaim(opts));

  cloud
    .command("mqtt-setup")
    .description(
      "with Mosquitto's dynsec admin (MQTT_ADMIN_USERNAME, MQTT_ADMIN_PASSWORD), create the cloud's own " +
        "least-privilege account MQTT_USERNAME/MQTT_PASSWORD on MQTT_URL; the cloud then runs with that one",
    )
    .action(async () => (await handlers()).setUpMqtt());

  registerRetentionCommands(cloud);
}
