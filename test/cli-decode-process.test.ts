// `lilo appliance decode` starts node again with --single-threaded-gc (bin/lilo.js): the decoder runs
// in that child, with the flag; exit codes, output and signals pass through the parent. A preload
// module given through NODE_OPTIONS runs in both processes and records each one's pid, parent pid
// and V8 flags.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layoutShelf, renderShelfDetailed } from "../appliance/sim/shelf-renderer.js";
import { fromRoot } from "../shared/paths.js";

let dir: string;
let preload: string;
const frames: string[] = [];
const texts: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lilo-decode-process-"));
  preload = join(dir, "record.mjs");
  writeFileSync(
    preload,
    `import { appendFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
if (isMainThread) appendFileSync(process.env.LILO_PROCESS_LOG, JSON.stringify({ pid: process.pid, ppid: process.ppid, execArgv: process.execArgv }) + "\\n");
`,
  );
  for (let k = 0; k < 3; k++) {
    const seed = 300 + k;
    const shot = await renderShelfDetailed({
      containers: layoutShelf({ count: 8, seed, difficulty: "medium" }),
      hazards: [],
      seed,
      difficulty: "medium",
    });
    const file = join(dir, `shelf-${k}.jpg`);
    writeFileSync(file, shot.jpeg);
    frames.push(file);
    texts.push(...shot.labels.map((l) => l.qr_code));
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Recorded {
  pid: number;
  ppid: number;
  execArgv: string[];
}

/** Starts `lilo appliance decode` with the recording preload; its process log is read on demand. */
function startDecode(files: string[], name: string) {
  const log = join(dir, `${name}.log`);
  writeFileSync(log, "");
  const child = spawn(process.execPath, [fromRoot("bin/lilo.js"), "appliance", "decode", ...files], {
    env: { ...process.env, LOG_LEVEL: "silent", NODE_OPTIONS: `--import=${preload}`, LILO_PROCESS_LOG: log },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  const firstLine = new Promise<void>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("\n")) resolve();
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const processes = (): Recorded[] =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Recorded);
  return { child, firstLine, exited, processes, output: () => stdout };
}

describe("lilo appliance decode", () => {
  it("decodes in a child node with V8's collector on one thread, and passes its output and exit code on", async () => {
    const run = startDecode(frames, "ok");
    const { code } = await run.exited;
    expect(code).toBe(0);
    const lines = run
      .output()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { file: string; codes: { text: string }[] });
    expect(lines.map((l) => l.file)).toEqual(frames);
    const read = lines.flatMap((l) => l.codes.map((c) => c.text));
    // Every label on the shelves, as bench:qr reads its medium level (100 %), and nothing else.
    expect(read.sort()).toEqual([...texts].sort());
    const [parent, decoder, ...more] = run.processes();
    expect(more).toEqual([]);
    expect(parent!.pid).toBe(run.child.pid);
    expect(parent!.execArgv).not.toContain("--single-threaded-gc");
    expect(decoder!.ppid).toBe(parent!.pid);
    expect(decoder!.execArgv).toContain("--single-threaded-gc");
  });

  it("exits 1 when a file cannot be read, as the decoder does", async () => {
    const run = startDecode([frames[0]!, join(dir, "missing.jpg")], "missing");
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.output()).toContain("missing.jpg");
  });

  it("passes a SIGTERM to the decoder and dies of it, leaving no decoder behind", async () => {
    const run = startDecode([...frames, ...frames, ...frames], "term");
    await run.firstLine;
    run.child.kill("SIGTERM");
    const { signal } = await run.exited;
    expect(signal).toBe("SIGTERM");
    const decoder = run.processes().find((p) => p.ppid === run.child.pid)!;
    expect(() => process.kill(decoder.pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });
});
