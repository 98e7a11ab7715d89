// The cloud's configuration, parsed once from the environment; the process exits naming bad keys.
import { join } from "node:path";
import { z } from "zod";
import { isLoopback } from "../shared/loopback.js";
import type { S3Settings } from "./blobs/blob-store.s3.js";
import { DEFAULT_RETENTION_DAYS } from "./db/partitions.js";
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from "./security/rate-limit.service.js";

const days = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const CloudEnv = z.object({
  DATABASE_URL: z.string().url().optional(),
  /** The owner login for migrations and org creation; without it DATABASE_URL is both (development). */
  DATABASE_OWNER_URL: z.string().url().optional(),
  LILO_CLOUD_DATA_DIR: z.string().min(1).default("./data/cloud"),
  LILO_CLOUD_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LILO_RETENTION_EVENT_STREAM_DAYS: days(DEFAULT_RETENTION_DAYS.eventStream),
  LILO_RETENTION_TELEMETRY_DAYS: days(DEFAULT_RETENTION_DAYS.deviceTelemetry),
  LILO_RETENTION_SESSIONS_DAYS: days(DEFAULT_RETENTION_DAYS.userSessions),
  LILO_RETENTION_SYSTEM_EVENTS_DAYS: days(DEFAULT_RETENTION_DAYS.systemEvents),
  /** Sign-in attempts per client address (IPv4, or IPv6 /64) per minute, over all instances. */
  LILO_LOGIN_LIMIT_PER_IP: count(DEFAULT_RATE_LIMITS.loginPerIpPerMinute),
  /** Failed sign-ins per email in 15 minutes before it is locked for the rest of them. */
  LILO_LOGIN_MAX_FAILURES: count(DEFAULT_RATE_LIMITS.loginFailuresPerAccount),
  /** Device claim attempts per client address per minute. */
  LILO_CLAIM_LIMIT_PER_IP: count(DEFAULT_RATE_LIMITS.claimPerIpPerMinute),
  /** Device claim attempts per claim token, and per serial number, in 15 minutes. */
  LILO_CLAIM_LIMIT_PER_TOKEN: count(DEFAULT_RATE_LIMITS.claimPerToken),
  /** Password hashes (scrypt, 128 MiB each) computed at once per instance, and how many may wait. */
  LILO_PASSWORD_HASH_CONCURRENCY: count(2),
  LILO_PASSWORD_HASH_QUEUE: count(16),
  MQTT_URL: z.string().url().optional(),
  /** The cloud's broker account: on MQTT_URL, or the embedded broker's (default: a random one per start). */
  MQTT_USERNAME: z.string().min(1).optional(),
  MQTT_PASSWORD: z.string().min(1).optional(),
  /** `mosquitto-dynsec`: the cloud adds each device to Mosquitto's dynamic security on claim. */
  LILO_MQTT_PROVISIONER: z.enum(["mosquitto-dynsec", "none"]).default("none"),
  /** Default 0.0.0.0 with a certificate, else 127.0.0.1 (plaintext stays on this machine). */
  LILO_MQTT_HOST: z.string().min(1).optional(),
  /** PEM certificate and key: the embedded broker then serves devices over TLS only. */
  LILO_MQTT_TLS_CERT: z.string().min(1).optional(),
  LILO_MQTT_TLS_KEY: z.string().min(1).optional(),
  /** Development only: lets the embedded broker serve plaintext on a non-loopback LILO_MQTT_HOST. */
  LILO_MQTT_ALLOW_PLAINTEXT: z.enum(["0", "1", "true", "false"]).default("0"),
  /** PEM CA file for an external mqtts:// MQTT_URL with a private certificate. */
  MQTT_CA_FILE: z.string().min(1).optional(),
  LILO_MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(1884),
  /** The broker URL handed to cabinets when it differs from what the cloud itself uses. */
  LILO_MQTT_PUBLIC_URL: z.string().url().optional(),
  /**
   * Encrypts organizations' command-signing keys at rest (AES-256-GCM, key derived by HKDF). Without it
   * they are stored unencrypted and anyone who can read lilo_platform can forge commands to cabinets.
   */
  LILO_COMMAND_KEY_SECRET: z.string().min(32).optional(),
  /** Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints; created there when missing. */
  LILO_AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** SMTP server for alert e-mail, e.g. smtps://user:pass@mail.example.org:465; without it no e-mail is sent. */
  LILO_SMTP_URL: z.string().url().optional(),
  LILO_SMTP_FROM: z.string().min(3).default("L.I.L.O. alerts <alerts@lilo.invalid>"),
  /** How often each instance looks for alerts to notify or escalate. */
  LILO_ALERT_SWEEP_SECONDS: count(30),
  /** How often the cloud runs the chemical safety rules over every cabinet. */
  LILO_SAFETY_RULES_HOURS: count(24),
  /** How often each instance looks for scheduled reports that are due (e-mailed through LILO_SMTP_URL). */
  LILO_REPORT_SWEEP_SECONDS: count(60),
  /** Where shelf images are kept: `fs` (under LILO_BLOB_DIR, default <data dir>/blobs) or an S3 bucket. */
  LILO_BLOB_STORE: z.enum(["fs", "s3"]).default("fs"),
  LILO_BLOB_DIR: z.string().min(1).optional(),
  /** An S3-compatible endpoint, e.g. https://s3.eu-central-1.amazonaws.com or http://minio:9000. */
  LILO_S3_ENDPOINT: z.string().url().optional(),
  LILO_S3_BUCKET: z.string().min(3).max(63).optional(),
  LILO_S3_REGION: z.string().min(1).default("us-east-1"),
  LILO_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  LILO_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  LILO_S3_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_.-]+\/)*$/, "empty, or segments each ending in /")
    .default(""),
  /** The largest shelf image a cabinet may upload. */
  LILO_EVIDENCE_MAX_BYTES: count(8 * 1024 * 1024),
  /** How often a live (SSE) stream sends a heartbeat and checks that its session still holds. */
  LILO_LIVE_HEARTBEAT_SECONDS: count(15),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface CloudConfig {
  databaseUrl?: string;
  databaseOwnerUrl?: string;
  dataDir: string;
  port: number;
  retentionDays: typeof DEFAULT_RETENTION_DAYS;
  rateLimits: RateLimitSettings;
  passwordHashing: { maxConcurrent: number; maxQueued: number };
  mqtt: {
    url?: string;
    username?: string;
    password?: string;
    provisioner: "mosquitto-dynsec" | "none";
    host: string;
    port: number;
    publicUrl?: string;
    tls?: { certFile: string; keyFile: string };
    allowPlaintext: boolean;
    caFile?: string;
  };
  commandKeySecret?: string;
  auditSigningKeyFile: string;
  alerts: { smtpUrl?: string; smtpFrom: string; sweepSeconds: number; rulesEveryHours: number };
  reports: { sweepSeconds: number };
  blobs: { kind: "fs"; dir?: string } | ({ kind: "s3" } & S3Settings);
  evidenceMaxBytes: number;
  liveHeartbeatMs: number;
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
  if (e.DATABASE_OWNER_URL && !e.DATABASE_URL) {
    throw new ConfigError(["DATABASE_URL: required with DATABASE_OWNER_URL (the service's own login)"]);
  }
  if (Boolean(e.LILO_MQTT_TLS_CERT) !== Boolean(e.LILO_MQTT_TLS_KEY)) {
    throw new ConfigError(["LILO_MQTT_TLS_CERT and LILO_MQTT_TLS_KEY: give both or neither"]);
  }
  const mqttTls = e.LILO_MQTT_TLS_CERT
    ? { certFile: e.LILO_MQTT_TLS_CERT, keyFile: e.LILO_MQTT_TLS_KEY! }
    : undefined;
  const allowPlaintext = e.LILO_MQTT_ALLOW_PLAINTEXT === "1" || e.LILO_MQTT_ALLOW_PLAINTEXT === "true";
  const mqttHost = e.LILO_MQTT_HOST ?? (mqttTls ? "0.0.0.0" : "127.0.0.1");
  if (!e.MQTT_URL && !mqttTls && !allowPlaintext && !isLoopback(mqttHost)) {
    throw new ConfigError([
      `LILO_MQTT_HOST: ${mqttHost} would serve MQTT in plaintext beyond this machine; set LILO_MQTT_TLS_CERT and LILO_MQTT_TLS_KEY (or LILO_MQTT_ALLOW_PLAINTEXT=1 for development)`,
    ]);
  }
  if (Boolean(e.MQTT_USERNAME) !== Boolean(e.MQTT_PASSWORD)) {
    throw new ConfigError(["MQTT_USERNAME and MQTT_PASSWORD: give both or neither"]);
  }
  if (e.MQTT_URL && !e.MQTT_USERNAME) {
    throw new ConfigError([
      "MQTT_USERNAME and MQTT_PASSWORD: required with MQTT_URL (the cloud's broker account)",
    ]);
  }
  const s3Missing = (
    ["LILO_S3_ENDPOINT", "LILO_S3_BUCKET", "LILO_S3_ACCESS_KEY_ID", "LILO_S3_SECRET_ACCESS_KEY"] as const
  ).filter((k) => !e[k]);
  if (e.LILO_BLOB_STORE === "s3" && s3Missing.length) {
    throw new ConfigError(s3Missing.map((k) => `${k}: required with LILO_BLOB_STORE=s3`));
  }
  const blobs: CloudConfig["blobs"] =
    e.LILO_BLOB_STORE === "s3"
      ? {
          kind: "s3",
          endpoint: e.LILO_S3_ENDPOINT!,
          bucket: e.LILO_S3_BUCKET!,
          region: e.LILO_S3_REGION,
          accessKeyId: e.LILO_S3_ACCESS_KEY_ID!,
          secretAccessKey: e.LILO_S3_SECRET_ACCESS_KEY!,
          prefix: e.LILO_S3_PREFIX,
        }
      : { kind: "fs", dir: e.LILO_BLOB_DIR };
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    databaseOwnerUrl: e.DATABASE_OWNER_URL,
    dataDir: e.LILO_CLOUD_DATA_DIR,
    port: e.LILO_CLOUD_PORT,
    retentionDays: {
      eventStream: e.LILO_RETENTION_EVENT_STREAM_DAYS,
      deviceTelemetry: e.LILO_RETENTION_TELEMETRY_DAYS,
      userSessions: e.LILO_RETENTION_SESSIONS_DAYS,
      systemEvents: e.LILO_RETENTION_SYSTEM_EVENTS_DAYS,
    },
    rateLimits: {
      loginPerIpPerMinute: e.LILO_LOGIN_LIMIT_PER_IP,
      loginFailuresPerAccount: e.LILO_LOGIN_MAX_FAILURES,
      claimPerIpPerMinute: e.LILO_CLAIM_LIMIT_PER_IP,
      claimPerToken: e.LILO_CLAIM_LIMIT_PER_TOKEN,
    },
    passwordHashing: {
      maxConcurrent: e.LILO_PASSWORD_HASH_CONCURRENCY,
      maxQueued: e.LILO_PASSWORD_HASH_QUEUE,
    },
    mqtt: {
      url: e.MQTT_URL,
      username: e.MQTT_USERNAME,
      password: e.MQTT_PASSWORD,
      provisioner: e.LILO_MQTT_PROVISIONER,
      host: mqttHost,
      port: e.LILO_MQTT_PORT,
      publicUrl: e.LILO_MQTT_PUBLIC_URL,
      tls: mqttTls,
      allowPlaintext,
      caFile: e.MQTT_CA_FILE,
    },
    commandKeySecret: e.LILO_COMMAND_KEY_SECRET,
    auditSigningKeyFile:
      e.LILO_AUDIT_SIGNING_KEY_FILE ?? join(e.LILO_CLOUD_DATA_DIR, "audit-signing-key.pem"),
    alerts: {
      smtpUrl: e.LILO_SMTP_URL,
      smtpFrom: e.LILO_SMTP_FROM,
      sweepSeconds: e.LILO_ALERT_SWEEP_SECONDS,
      rulesEveryHours: e.LILO_SAFETY_RULES_HOURS,
    },
    reports: { sweepSeconds: e.LILO_REPORT_SWEEP_SECONDS },
    blobs,
    evidenceMaxBytes: e.LILO_EVIDENCE_MAX_BYTES,
    liveHeartbeatMs: e.LILO_LIVE_HEARTBEAT_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
  });
}
