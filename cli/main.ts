// The `lilo` command line: one entry point for the cloud, the appliance and the demo.
import { Command, CommanderError } from "commander";
import { ConfigError } from "../cloud/config.js";
import { AppError } from "../shared/errors.js";
import { registerCloudCommands } from "./cloud.commands.js";

const program = new Command("lilo")
  .description("L.I.L.O. smart chemical cabinet: cloud service, cabinet appliance and demo")
  .showHelpAfterError()
  .exitOverride();

registerCloudCommands(program);

function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof AppError) {
    console.error(`lilo: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof ConfigError) {
    console.error(`lilo: ${err.message}`);
    process.exit(78);
  }
  console.error(`lilo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

program.parseAsync(process.argv).catch(fail);
