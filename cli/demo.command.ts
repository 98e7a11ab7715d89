// `lilo demo` (= `npm start`): the cloud and a simulated cabinet on one machine. Declared here with nothing
// but commander; what it runs is loaded from demo.handler.ts.
import type { Command } from "commander";

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the cloud and a simulated cabinet together (what `npm start` runs)")
    .option("--data-dir <dir>", "where the demo keeps its data", "./data")
    .option("--cloud-port <port>", "cloud HTTP port", "8080")
    .option("--appliance-port <port>", "cabinet HTTP port (API, touchscreen and simulator)", "8081")
    .action(async (opts) => (await import("./demo.handler.js")).runDemo(opts));
}
