// One pino root logger; components take a child (`logger.child({ component: "lock" })`).
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: undefined,
    redact: ["*.password", "*.token", "*.pin", "*.badge", "*.credential"],
  });
}

/** Silent logger for tests and library callers that do not care. */
export const silentLogger: Logger = pino({ level: "silent" });
