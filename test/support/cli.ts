// Runs the built `lilo` command as a user would, capturing its output and exit code.
import { execFile } from "node:child_process";
import { fromRoot } from "../../shared/paths.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function lilo(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fromRoot("bin/lilo.js"), ...args],
      { env: { ...process.env, LOG_LEVEL: "silent", ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
