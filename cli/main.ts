// The `lilo` command line: one entry point for the cloud, the appliance and the demo.
import { Command, CommanderError } from "commander";
import { ApplianceConfigError } from "../appliance/config.js";
import { ConfigError } from "../cloud/config.js";
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

function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof AppError) {
    console.error(`lilo: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof ConfigError || err instanceof ApplianceConfigError) {
    console.error(`lilo: ${err.message}`);
    process.exit(78);
  }
  console.error(`lilo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

program.parseAsync(process.argv).catch(fail);
