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
  MQTT_URL: z.string().url().optional(),
  MQTT_USERNAME: z.string().min(1).optional(),
  MQTT_PASSWORD: z.string().min(1).optional(),
  /** `mosquitto-dynsec`: the cloud adds each device to Mosquitto's dynamic security on claim. */
  LILO_MQTT_PROVISIONER: z.enum(["mosquitto-dynsec", "none"]).default("none"),
  LILO_MQTT_HOST: z.string().default("0.0.0.0"),
  LILO_MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(1884),
  /** The broker URL handed to cabinets when it differs from what the cloud itself uses. */
  LILO_MQTT_PUBLIC_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface CloudConfig {
  databaseUrl?: string;
  dataDir: string;
  port: number;
  retentionDays: typeof DEFAULT_RETENTION_DAYS;
  mqtt: {
    url?: string;
    username?: string;
    password?: string;
    provisioner: "mosquitto-dynsec" | "none";
    host: string;
    port: number;
    publicUrl?: string;
  };
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
  if (e.MQTT_URL && !(e.MQTT_USERNAME && e.MQTT_PASSWORD)) {
    throw new ConfigError([
      "MQTT_USERNAME and MQTT_PASSWORD: required with MQTT_URL (the cloud's broker account)",
    ]);
  }
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
    mqtt: {
      url: e.MQTT_URL,
      username: e.MQTT_USERNAME,
      password: e.MQTT_PASSWORD,
      provisioner: e.LILO_MQTT_PROVISIONER,
      host: e.LILO_MQTT_HOST,
      port: e.LILO_MQTT_PORT,
      publicUrl: e.LILO_MQTT_PUBLIC_URL,
    },
    logLevel: e.LOG_LEVEL,
  });
}
