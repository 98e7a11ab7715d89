// The notifications reach a real AF_UNIX datagram socket through the real `systemd-notify`, received the
// way systemd does (a small Python listener; Node cannot bind datagram sockets), including the barrier
// systemd-notify waits on before it exits.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../test/support/wait-for.js";
import { silentLogger } from "../logger.js";
import { createServiceNotifier, watchdogIntervalMs } from "./sd-notify.js";

const LISTENER = `
import array, json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
            for fd in fds:
                os.close(fd)
    text = data.decode()
    if text != "BARRIER=1":
        print(json.dumps({"at": time.monotonic(), "message": text}), flush=True)
`;

interface Received {
  at: number;
  message: string;
}

class NotifyListener {
  readonly messages: Received[] = [];
  readonly socket: string;
  private readonly dir = mkdtempSync(join(tmpdir(), "lilo-notify-"));
  private readonly child: ChildProcess;

  constructor() {
    this.socket = join(this.dir, "notify.sock");
    this.child = spawn("python3", ["-c", LISTENER, this.socket], { stdio: ["ignore", "pipe", "inherit"] });
    let buffer = "";
    this.child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line !== "listening") this.messages.push(JSON.parse(line) as Received);
        else this.ready = true;
      }
    });
  }

  ready = false;

  texts(): string[] {
    return this.messages.map((m) => m.message);
  }

  dispose(): void {
    this.child.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe("systemd notifications", () => {
  let listener: NotifyListener | undefined;
  afterEach(() => listener?.dispose());

  it("extends the start timeout while starting, then READY=1, watchdog pings, and STOPPING=1 last", async () => {
    listener = new NotifyListener();
    await waitFor(() => listener!.ready, { what: "the notify socket" });
    // WatchdogSec=0.4s: a ping every 200 ms.
    const notifier = createServiceNotifier(silentLogger, {
      NOTIFY_SOCKET: listener.socket,
      WATCHDOG_USEC: "400000",
    });
    notifier.starting();
    await waitFor(() => listener!.texts().includes("EXTEND_TIMEOUT_USEC=600000"), {
      what: "a start extension",
    });
    notifier.ready("serving http://127.0.0.1:8081");
    await waitFor(() => listener!.texts().filter((t) => t === "WATCHDOG=1").length >= 2, {
      what: "two pings",
    });
    notifier.stopping();
    await waitFor(() => listener!.texts().includes("STOPPING=1"), { what: "STOPPING=1" });

    const texts = listener.texts();
    const ready = texts.indexOf("READY=1\nSTATUS=serving http://127.0.0.1:8081");
    expect(ready).toBeGreaterThan(0);
    expect(texts.slice(0, ready).every((t) => t.startsWith("EXTEND_TIMEOUT_USEC="))).toBe(true);
    expect(texts.slice(ready + 1, -1).every((t) => t === "WATCHDOG=1")).toBe(true);
    // Nothing after STOPPING=1: a stopping service must not look alive to the watchdog.
    const count = texts.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(listener.texts().slice(count - 1)).toEqual(["STOPPING=1"]);
  });

  it("sends no ping while the event loop is blocked, so systemd's watchdog fires on a hung process", async () => {
    listener = new NotifyListener();
    await waitFor(() => listener!.ready, { what: "the notify socket" });
    const notifier = createServiceNotifier(silentLogger, {
      NOTIFY_SOCKET: listener.socket,
      WATCHDOG_USEC: "200000",
    });
    notifier.ready("serving");
    await waitFor(() => listener!.texts().filter((t) => t === "WATCHDOG=1").length >= 2, {
      what: "two pings",
    });
    const blockedFrom = performance.now();
    while (performance.now() - blockedFrom < 3_000) {
      // a hung event loop
    }
    await waitFor(() => listener!.texts().filter((t) => t === "WATCHDOG=1").length >= 5, {
      what: "five pings",
    });
    notifier.stopping();
    const pings = listener.messages.filter((m) => m.message === "WATCHDOG=1").map((m) => m.at);
    const longestGap = Math.max(...pings.slice(1).map((at, i) => at - pings[i]!));
    // None for the 3 s hang; a ping spawned just before it may land inside it on a loaded machine.
    expect(longestGap).toBeGreaterThanOrEqual(1.5);
  });

  it("pings only when the watchdog is meant for this process", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" })).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(process.pid) })).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" })).toBeUndefined();
    expect(watchdogIntervalMs({})).toBeUndefined();
  });
});
