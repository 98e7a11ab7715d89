// The cloud's configuration, parsed once from the environment; the process exits naming bad keys.
import { z } from "zod";
import { DEFAULT_RETENTION_DAYS } from "./db/partitions.js";

const days = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const CloudEnv = z.object({
  DATABASE_URL: z.string().url().optional(),
  LILO_CLOUD_DATA_DIR: z.string().min(1).default("./data/cloud"),
  LILO_CLOUD_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LILO_RETENTION_EVENT_STREAM_DAYS: days(DEFAULT_RETENTION_DAYS.eventStream),
  LILO_RETENTION_TELEMETRY_DAYS: days(DEFAULT_RETENTION_DAYS.deviceTelemetry),
  LILO_RETENTION_SESSIONS_DAYS: days(DEFAULT_RETENTION_DAYS.userSessions),
  LILO_RETENTION_SYSTEM_EVENTS_DAYS: days(DEFAULT_RETENTION_DAYS.systemEvents),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface CloudConfig {
  databaseUrl?: string;
  dataDir: string;
  port: number;
  retentionDays: typeof DEFAULT_RETENTION_DAYS;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join("\n  ")}`);
  }
}

export function loadCloudConfig(env: NodeJS.ProcessEnv = process.env): Readonly<CloudConfig> {
  const parsed = CloudEnv.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    dataDir: e.LILO_CLOUD_DATA_DIR,
    port: e.LILO_CLOUD_PORT,
    retentionDays: {
      eventStream: e.LILO_RETENTION_EVENT_STREAM_DAYS,
      deviceTelemetry: e.LILO_RETENTION_TELEMETRY_DAYS,
      userSessions: e.LILO_RETENTION_SESSIONS_DAYS,
      systemEvents: e.LILO_RETENTION_SYSTEM_EVENTS_DAYS,
    },
    logLevel: e.LOG_LEVEL,
  });
}
