#!/usr/bin/env node
// The `lilo` command: runs the compiled CLI (built by `npm ci` through the prepare script).
//
// `lilo appliance decode` reads frames one after another and wants V8's garbage collector on its own
// thread only (--single-threaded-gc, as the appliance's unit runs it): with concurrent marking V8
// marked the whole heap about once a frame on helper threads that took the cores the decode needed
// (flat bench: 1.69x to 1.45x zxing's time per frame; packages/vision/bench/NOTEBOOK.md,
// 2026-12-07, late morning). V8 takes that flag only at start, so the command starts node again
// with it; every other command runs here, and so does a decode under an inspector (the child
// would fight this process for its port).
import { spawn } from "node:child_process";
import { constants } from "node:os";

const FLAG = "--single-threaded-gc";
const [group, command] = process.argv.slice(2);
const inspected = process.execArgv.some((a) => a.startsWith("--inspect"));

if (group === "appliance" && command === "decode" && !process.execArgv.includes(FLAG) && !inspected) {
  const child = spawn(process.execPath, [...process.execArgv, FLAG, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("error", (err) => {
    console.error(`lilo: could not start the decoder: ${err.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    // Dies of the same signal, so whoever started it sees what happened to the decode; a signal
    // that would leave a second core dump, or that this process ignores, becomes the shell's
    // 128 + its number instead.
    const number = constants.signals[signal] ?? 0;
    if (!["SIGABRT", "SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP"].includes(signal)) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(128 + number);
  });
} else {
  await import("../dist/cli/main.js");
}
