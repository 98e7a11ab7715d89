// The `lilo` command line: one entry point for the cloud, the appliance and the demo. Only the commands'
// declarations load here; each command loads its code when it runs, so `lilo --help` starts fast.
import { Command, CommanderError } from "commander";
import { AppError } from "../shared/errors.js";
import { registerApplianceCommands } from "./appliance.commands.js";
import { registerCloudCommands } from "./cloud.commands.js";
import { registerDemoCommand } from "./demo.command.js";
import { registerLabelCommands } from "./label.commands.js";

const program = new Command("lilo")
  .description("L.I.L.O. smart chemical cabinet: cloud service, cabinet appliance and demo")
  .showHelpAfterError()
  .exitOverride();

registerCloudCommands(program);
registerApplianceCommands(program);
registerDemoCommand(program);
registerLabelCommands(program);

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
