// systemd's notification protocol for a `Type=notify` unit: READY=1 once the service works, then
// WATCHDOG=1 from the event loop (a blocked loop sends nothing and systemd restarts the service), and
// EXTEND_TIMEOUT_USEC while starting, so a start that waits for the network is not killed but a start
// whose loop hangs is. Messages go through `systemd-notify`, spawned per message, which the unit allows
// with NotifyAccess=all: Node has no AF_UNIX datagram sockets, and the alternative, a native addon linked
// against libsystemd, would need its own arm64 cross-build. systemd-notify (systemd 246+) waits until
// systemd has read the message, so it is never dropped for coming from a process that already exited.
// Cost: docs/device-image.md, "sd_notify".
import { execFile } from "node:child_process";
import type { Logger } from "../logger.js";

/** Sends `KEY=value` assignments to the service manager. */
export type NotifySend = (assignments: string[]) => Promise<void>;

export interface ServiceNotifier {
  /** Until `ready`, keeps extending the start timeout from the event loop. */
  starting(): void;
  /** Tells systemd the service is up; from now on the event loop pings the watchdog. */
  ready(status: string): void;
  stopping(): void;
}

const NOTIFY_TIMEOUT_MS = 5_000;
/** Without WatchdogSec=, how often a starting service extends its start timeout. */
const DEFAULT_PING_MS = 10_000;

function systemdNotifySend(socket: string, command = "systemd-notify"): NotifySend {
  return (assignments) =>
    new Promise((resolve, reject) => {
      execFile(
        command,
        assignments,
        { timeout: NOTIFY_TIMEOUT_MS, env: { ...process.env, NOTIFY_SOCKET: socket } },
        (err, _stdout, stderr) =>
          err ? reject(new Error(`systemd-notify failed: ${stderr.trim() || err.message}`)) : resolve(),
      );
    });
}

/**
 * The ping interval systemd asked for: half of WATCHDOG_USEC, when it is meant for this process
 * (WATCHDOG_PID unset or ours).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

class SystemdNotifier implements ServiceNotifier {
  private timer?: NodeJS.Timeout;
  private phase: "starting" | "ready" | "stopping" = "starting";

  constructor(
    private readonly send: NotifySend,
    private readonly pingMs: number,
    private readonly logger: Logger,
  ) {}

  starting(): void {
    this.schedule();
  }

  ready(status: string): void {
    this.phase = "ready";
    this.post(["READY=1", `STATUS=${status}`]);
    this.schedule();
  }

  stopping(): void {
    this.phase = "stopping";
    clearInterval(this.timer);
    this.post(["STOPPING=1"]);
  }

  private schedule(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.ping(), this.pingMs);
    this.timer.unref();
  }

  private ping(): void {
    if (this.phase === "ready") this.post(["WATCHDOG=1"]);
    // Three pings' worth: one late ping is no reason to give up on a start.
    else if (this.phase === "starting") this.post([`EXTEND_TIMEOUT_USEC=${this.pingMs * 3 * 1000}`]);
  }

  private post(assignments: string[]): void {
    this.send(assignments).catch((err: Error) =>
      this.logger.warn({ err: err.message, message: assignments[0] }, "systemd notification failed"),
    );
  }
}

const noop: ServiceNotifier = { starting() {}, ready() {}, stopping() {} };

/** The notifier for this process: systemd's when it started us as Type=notify, else one that does nothing. */
export function createServiceNotifier(logger: Logger, env: NodeJS.ProcessEnv = process.env): ServiceNotifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return noop;
  return new SystemdNotifier(
    systemdNotifySend(socket),
    watchdogIntervalMs(env) ?? DEFAULT_PING_MS,
    logger.child({ component: "systemd" }),
  );
}
