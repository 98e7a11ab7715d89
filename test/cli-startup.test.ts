// `lilo --help` and every command's `--help` load commander and the declarations only: no database
// driver, HTTP server, image or PDF library. A module hook records every module the process resolves.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lilo } from "./support/cli.js";

const HEAVY = ["sharp", "zxing-wasm", "pg", "better-sqlite3", "hono", "pdfkit", "@electric-sql/pglite"];

let dir: string;
let preload: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lilo-startup-"));
  const hooks = join(dir, "hooks.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.LILO_TRACE_FILE, resolved.url + "\\n");
  return resolved;
}
`,
  );
  preload = join(dir, "register.mjs");
  writeFileSync(
    preload,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `lilo` with the hook; its output and the modules it loaded. */
async function traced(args: string[], env: Record<string, string> = {}) {
  const traceFile = join(dir, `${args.join("-") || "none"}.trace`);
  writeFileSync(traceFile, "");
  const result = await lilo(args, {
    ...env,
    NODE_OPTIONS: `--import=${preload}`,
    LILO_TRACE_FILE: traceFile,
  });
  const loaded = readFileSync(traceFile, "utf8").split("\n").filter(Boolean);
  const heavy = HEAVY.filter((name) => loaded.some((url) => url.includes(`/node_modules/${name}/`)));
  return { ...result, loaded, heavy };
}

describe("lilo help loads no command's code", () => {
  it.each([
    [["--help"], ["cloud", "appliance", "demo", "label"]],
    [
      ["cloud", "--help"],
      ["serve", "migrate", "org", "device", "retention"],
    ],
    [
      ["cloud", "org", "create", "--help"],
      ["--name <name>", "--slug <slug>", "--type <type>", "--tier <tier>"],
    ],
    [
      ["cloud", "cabinet", "create", "--help"],
      ["--department <name>", "--shelves <n>", "--dual-approval"],
    ],
    [
      ["cloud", "device", "approve-reclaim", "--help"],
      ["--device <device_id>", "--serial", "--minutes <n>"],
    ],
    [
      ["appliance", "run", "--help"],
      ["--config <file>", "--sim", "--data-dir <dir>", "--port <port>"],
    ],
    [
      ["appliance", "decode", "--help"],
      ["<files...>", "--frames <n>"],
    ],
    [
      ["demo", "--help"],
      ["--data-dir <dir>", "--cloud-port <port>", "--appliance-port <port>"],
    ],
    [
      ["label", "--help"],
      ["--container <id>", '"vial"', '"zpl"', '"datamatrix"', '"letter"', "--copies <n>"],
    ],
  ])("lilo %j lists %j", async (args, expected) => {
    const run = await traced(args);
    expect(run.code, run.stderr).toBe(0);
    for (const text of expected) expect(run.stdout).toContain(text);
    // The hook saw the process start: a trace without commander would prove nothing.
    expect(run.loaded.some((url) => url.includes("/node_modules/commander/"))).toBe(true);
    expect(run.heavy).toEqual([]);
  });

  it("a database command on PostgreSQL loads its driver, not PGlite, the HTTP server or the image and PDF libraries", async () => {
    const run = await traced(
      ["cloud", "org", "create", "--name", "A", "--slug", "a", "--type", "university"],
      {
        // Nothing listens on port 1: the command fails at its first query, after loading what it needs.
        DATABASE_URL: "postgres://lilo@127.0.0.1:1/none",
      },
    );
    expect(run.stderr).toContain("ECONNREFUSED");
    expect(run.heavy).toContain("pg");
    for (const name of ["@electric-sql/pglite", "hono", "sharp", "zxing-wasm", "pdfkit", "better-sqlite3"])
      expect(run.heavy).not.toContain(name);
  });

  it("a command that runs loads its code", async () => {
    const run = await traced(["appliance", "decode", "--frames", "0", "missing.jpg"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--frames");
    expect(run.heavy).toContain("sharp");
  });
});
