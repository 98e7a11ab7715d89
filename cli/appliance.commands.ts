// `lilo appliance ...`: run the cabinet service, decode shelf photos, look for spills in them, drive the
// lock to its safe state, apply the installer's settings at first boot.
// Declared here with nothing but commander; what each command runs is loaded from appliance.handlers.ts.
import type { Command } from "commander";

const handlers = () => import("./appliance.handlers.js");

export function registerApplianceCommands(program: Command): void {
  const appliance = program.command("appliance").description("the cabinet controller");

  appliance
    .command("run")
    .description("start the cabinet service (hardware from the config; --sim for the simulator)")
    .option("--config <file>", "appliance configuration (JSON)")
    .option(
      "--sim",
      "simulated hardware (a config must say hardware.mode sim); without --config, a seeded demo cabinet under --data-dir",
    )
    .option("--data-dir <dir>", "data directory for --sim without --config", "./data/appliance")
    .option("--port <port>", "HTTP port for --sim without --config", "8081")
    .action(async (opts, cmd: Command) => (await handlers()).run(opts, cmd));

  appliance
    .command("decode")
    .description("read every label code in shelf photos; one JSON line per file (or per --frames group)")
    .argument("<files...>", "JPEG or PNG images")
    .option(
      "--frames <n>",
      "treat each N consecutive files as frames of one scan and print one merged line per group",
      "1",
    )
    .action(async (files: string[], opts, cmd: Command) => (await handlers()).decode(files, opts, cmd));

  appliance
    .command("detect")
    .description("look for spills and broken glass in shelf photos; one JSON line per file")
    .argument("<files...>", "JPEG or PNG images")
    .option("--config <file>", "appliance configuration (JSON) whose safety thresholds apply")
    .action(async (files: string[], opts) => (await handlers()).detect(files, opts));

  appliance
    .command("lock-safe")
    .description("drive the lock to its configured safe state (systemd ExecStopPost)")
    .requiredOption("--config <file>", "appliance configuration (JSON)")
    .action(async (opts) => (await handlers()).lockSafe(opts));

  appliance
    .command("firstboot")
    .description(
      "apply the installer's lilo.conf from the boot partition: config, host name, time, secrets, claim (lilo-firstboot.service)",
    )
    .option("--boot <dir>", "the mounted boot partition", "/boot/firmware")
    .option("--root <dir>", "the root the files are written under", "/")
    .option("--owner <user>", "the service user (looked up in <root>/etc/passwd) that owns the data files")
    .option("--claim-timeout <seconds>", "how long the claim may wait for the cloud", "60")
    .action(async (opts) => (await import("./firstboot.handler.js")).firstboot(opts));
}
