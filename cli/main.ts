// The `lilo` command line: one entry point for the cloud, the appliance and the demo. Only the commands'
// declarations load here; each command loads its code when it runs, so `lilo --help` starts fast.
import { Command, CommanderError } from "commander";
import { AppError } from "../shared/errors.js";

const program = new Command("lilo")
  .description("L.I.L.O. smart chemical cabinet: cloud service, cabinet appliance and demo")
  .showHelpAfterError()
  .exitOverride();

/** Each group's commands, imported on demand: a group's module pulls in all it depends on. */
const GROUPS: Record<string, () => Promise<(program: Command) => void>> = {
  cloud: async () => (await import("./cloud.commands.js")).registerCloudCommands,
  appliance: async () => (await import("./appliance.commands.js")).registerApplianceCommands,
  demo: async () => (await import("./demo.command.js")).registerDemoCommand,
  label: async () => (await import("./label.commands.js")).registerLabelCommands,
};

// A named group loads alone: `lilo appliance run` shares a 1 GB board with the kiosk browser and must
// not carry the cloud's modules (PostgreSQL, the broker, PDF labels: about 30 MB of resident memory).
const group = process.argv[2];
const loaders = group && Object.hasOwn(GROUPS, group) ? [GROUPS[group]!] : Object.values(GROUPS);
for (const register of await Promise.all(loaders.map((load) => load()))) register(program);

async function fail(err: unknown): Promise<never> {
  // Help, a version or a usage error: commander has printed what to say.
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof AppError) {
    console.error(`lilo: ${err.message}`);
    process.exit(2);
  }
  // Loaded on failure only: the config modules bring zod and the services' defaults, which help never needs.
  const [{ ConfigError }, { ApplianceConfigError }] = await Promise.all([
    import("../cloud/config.js"),
    import("../appliance/config.js"),
  ]);
  if (err instanceof ConfigError || err instanceof ApplianceConfigError) {
    console.error(`lilo: ${err.message}`);
    process.exit(78);
  }
  console.error(`lilo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

program.parseAsync(process.argv).catch(fail);
