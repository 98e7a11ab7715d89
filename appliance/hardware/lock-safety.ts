import { type Logger, silentLogger } from "../../shared/logger.js";
import type { HardwareConfig } from "./hardware-config.js";
import { gpiodDeenergiseSync } from "./lock.gpiod.js";
import type { Lock } from "./lock.js";
import { sysfsDeenergiseSync } from "./lock.sysfs.js";

/** The slice of `process` the handlers use; tests pass an EventEmitter. */
export interface ProcessLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  exit(code?: number): void;
}

export interface LockSafetyOptions {
  logger: Logger;
  proc?: ProcessLike;
  /**
   * Called after the lock is safe on SIGTERM/SIGINT, e.g. to run a graceful shutdown. Without it
   * the process exits at once with 128+signal, like the default handler would.
   */
  onSignal?: (signal: "SIGTERM" | "SIGINT") => void;
}

/**
 * Drives the lock to its safe state on every exit Node lets us observe. Fatal errors still end the
 * process (exit code 1) so systemd restarts it; installing a handler must not turn a crash into a
 * zombie service. SIGKILL and power loss are covered by the relay's de-energised default and by
 * ExecStopPost running driveLockToSafeState().
 */
export function installLockSafetyHandlers(
  lock: Pick<Lock, "toSafeState">,
  opts: LockSafetyOptions,
): () => void {
  const proc: ProcessLike = opts.proc ?? (process as unknown as ProcessLike);
  const { logger } = opts;
  const safe = (reason: string) => {
    try {
      lock.toSafeState();
      logger.warn({ reason }, "lock driven to safe state");
    } catch (err) {
      logger.fatal({ err, reason }, "could not drive lock to safe state");
    }
  };
  const handlers: Record<string, (...args: unknown[]) => void> = {
    exit: () => safe("exit"),
    uncaughtException: (err) => {
      logger.fatal({ err }, "uncaught exception");
      safe("uncaughtException");
      proc.exit(1);
    },
    unhandledRejection: (reason) => {
      logger.fatal({ err: reason }, "unhandled rejection");
      safe("unhandledRejection");
      proc.exit(1);
    },
    SIGTERM: () => onSignal("SIGTERM", 15),
    SIGINT: () => onSignal("SIGINT", 2),
  };
  function onSignal(signal: "SIGTERM" | "SIGINT", num: number) {
    safe(signal);
    if (opts.onSignal) opts.onSignal(signal);
    else proc.exit(128 + num);
  }
  for (const [event, fn] of Object.entries(handlers)) proc.on(event, fn);
  return () => {
    for (const [event, fn] of Object.entries(handlers)) proc.off(event, fn);
  };
}

/**
 * De-energises the lock relay without a running service: for `ExecStopPost=` after a crash or a
 * SIGKILL. Synchronous, so it can also run from an exit handler.
 */
export function driveLockToSafeState(
  config: HardwareConfig,
  opts: { logger?: Logger; env?: NodeJS.ProcessEnv } = {},
): void {
  if (config.mode === "sim" || !config.gpio) {
    opts.logger?.info("sim mode: no lock hardware to drive");
    return;
  }
  const g = config.gpio;
  if (g.driver === "sysfs") {
    sysfsDeenergiseSync({
      bcm: g.lockPin,
      sysfsRoot: g.sysfsRoot,
      activeLow: g.activeLow,
      logger: opts.logger ?? silentLogger,
    });
  } else {
    gpiodDeenergiseSync({ chip: g.chip, line: g.lockPin, activeLow: g.activeLow, env: opts.env });
  }
  opts.logger?.warn({ driver: g.driver, pin: g.lockPin, mode: config.lock.mode }, "lock relay de-energised");
}
