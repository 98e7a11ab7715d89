// The appliance's configuration: one JSON file (on a real device /boot/firmware/lilo/appliance.json or
// /etc/lilo/appliance.json), checked once at start; LILO_* environment variables override single keys.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { isLoopback } from "../shared/loopback.js";
import { hardwareConfigSchema } from "./hardware/hardware-config.js";
import { DEFAULT_THRESHOLDS } from "./safety/thresholds.js";

export const CONFIG_VERSION = 1;

const DEFAULT_EVIDENCE_QUOTA_MB = 512;
const DEFAULT_EVIDENCE_HARD_CAP_MB = 2048;
/** A second frame, one stop darker, keeps glare-washed labels readable; docs/architecture.md, "Scans". */
const DEFAULT_FRAMES_PER_SCAN = 2;
const DEFAULT_EXPOSURE_EV = [0, -1] as const;

const uuid = z.uuid();

export const applianceConfigSchema = z
  .object({
    version: z
      .literal(CONFIG_VERSION, { message: `config version must be ${CONFIG_VERSION}` })
      .default(CONFIG_VERSION),
    dataDir: z.string().min(1).default("./data/appliance"),
    http: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8081),
        /** Opt-in to listening on a non-loopback address (the kiosk and its API normally share the Pi). */
        allowRemote: z.boolean().default(false),
      })
      .default({ host: "127.0.0.1", port: 8081, allowRemote: false })
      .refine((h) => h.allowRemote || isLoopback(h.host), {
        path: ["host"],
        message: "must be a loopback address (127.0.0.1, ::1, localhost) unless http.allowRemote is true",
      }),
    /** Where this cabinet sits. With `cloud`, provisioning supplies it; without, it must be given. */
    cabinet: z
      .object({
        org_id: uuid,
        dept_id: uuid.optional(),
        lab_id: uuid,
        cabinet_id: uuid,
      })
      .optional(),
    /** Key for the badge/PIN hashes; with `cloud`, it comes from the cloud. */
    credentialSecret: z.string().min(16, "credentialSecret must be at least 16 characters").optional(),
    /** The cloud this cabinet syncs with. Without it the cabinet runs standalone. */
    cloud: z
      .object({
        url: z.url(),
        /** One-time claim token from the cloud (or a file holding it, e.g. on the boot partition). */
        claimToken: z.string().optional(),
        claimTokenFile: z.string().optional(),
        /** Defaults to the board's serial number (or machine id). */
        serialNumber: z.string().min(1).optional(),
        uploadBatchSize: z.number().int().min(1).max(1000).default(500),
        /** How often the outbox is checked when nothing wakes the uploader earlier. */
        uploadIntervalMs: z.number().int().positive().default(2000),
        downlinkIntervalMs: z.number().int().positive().default(30_000),
        /** Upper bound of the exponential backoff after failures. */
        maxBackoffMs: z.number().int().positive().default(60_000),
        /**
         * Development only: talk http:// and mqtt:// to another machine. Without it a plaintext URL is
         * refused unless it points at this machine (loopback), so credentials never cross a network clear.
         */
        allowInsecure: z.boolean().default(false),
        /** PEM file of the CA (or self-signed certificate) the cloud's mqtts:// broker presents. */
        mqttCaFile: z.string().min(1).optional(),
      })
      .optional(),
    session: z
      .object({ dualApprovalWindowMs: z.number().int().positive().default(60_000) })
      .default({ dualApprovalWindowMs: 60_000 }),
    /** Badge and PIN at the cabinet (docs/architecture.md, "PIN and badge at the cabinet"). */
    access: z
      .object({
        /** The badge identifies, the PIN verifies: neither a badge nor a user number + PIN opens alone. */
        requireBadgeAndPin: z.boolean().default(false),
        /** How long a swiped badge waits for its PIN when both are required. */
        badgePinWindowMs: z.number().int().positive().max(300_000).default(30_000),
      })
      .default({ requireBadgeAndPin: false, badgePinWindowMs: 30_000 }),
    scan: z
      .object({
        /** Minutes between scheduled scans; 0 turns them off. */
        intervalMinutes: z.number().min(0).default(60),
        /** Scan once the door has closed and the lock is back. */
        afterSession: z.boolean().default(true),
        /**
         * Frames a camera may take per scan, merged into one result. Frames after the first are
         * taken only while something is unexplained (a label seen but not read, an expected code
         * not read); 1 is a single capture.
         */
        framesPerScan: z.number().int().min(1).max(5).default(DEFAULT_FRAMES_PER_SCAN),
        /** Exposure compensation of each frame in turn (stops, rpicam-still `--ev`), repeated as needed. */
        exposureEv: z
          .array(z.number().min(-4).max(4))
          .min(1)
          .default([...DEFAULT_EXPOSURE_EV]),
        /**
         * Disk for shelf images (MiB): past it the oldest images already uploaded (or never to be) are
         * removed after each scan.
         */
        evidenceQuotaMB: z.number().positive().default(DEFAULT_EVIDENCE_QUOTA_MB),
        /** Past this the oldest images not yet uploaded go too: the cloud has been away too long. */
        evidenceHardCapMB: z.number().positive().default(DEFAULT_EVIDENCE_HARD_CAP_MB),
        /**
         * Worker threads for the label decoder's second pass (0: all on the main thread). Unset: by
         * the board's memory and cores (appliance/scan/decoder-workers.ts).
         */
        decoderWorkers: z.number().int().min(0).max(8).optional(),
      })
      .refine((s) => s.evidenceHardCapMB >= s.evidenceQuotaMB, {
        path: ["evidenceHardCapMB"],
        message: "must be at least evidenceQuotaMB",
      })
      .default({
        intervalMinutes: 60,
        afterSession: true,
        framesPerScan: DEFAULT_FRAMES_PER_SCAN,
        exposureEv: [...DEFAULT_EXPOSURE_EV],
        evidenceQuotaMB: DEFAULT_EVIDENCE_QUOTA_MB,
        evidenceHardCapMB: DEFAULT_EVIDENCE_HARD_CAP_MB,
      }),
    /** Spill and breakage detection on every shelf image (docs/safety.md). */
    safety: z
      .object({
        detect: z.boolean().default(true),
        /** A shelf's spill score at or above this sets scan_results.spill_detected (and raises an alert). */
        spillThreshold: z.number().gt(0).lt(1).default(DEFAULT_THRESHOLDS.spill),
        /** The same for broken glass: scan_results.breakage_detected. */
        breakageThreshold: z.number().gt(0).lt(1).default(DEFAULT_THRESHOLDS.breakage),
        /** onnxruntime intra-op threads for the detector. */
        threads: z.number().int().min(1).max(4).default(1),
      })
      .default({
        detect: true,
        spillThreshold: DEFAULT_THRESHOLDS.spill,
        breakageThreshold: DEFAULT_THRESHOLDS.breakage,
        threads: 1,
      }),
    hardware: hardwareConfigSchema,
  })
  .superRefine((c, ctx) => {
    if (c.cloud) return;
    if (!c.cabinet) ctx.addIssue({ code: "custom", path: ["cabinet"], message: "required without cloud" });
    if (!c.credentialSecret)
      ctx.addIssue({ code: "custom", path: ["credentialSecret"], message: "required without cloud" });
  });

export type ApplianceConfig = z.infer<typeof applianceConfigSchema>;
export type ApplianceConfigInput = z.input<typeof applianceConfigSchema>;

export class ApplianceConfigError extends Error {}

const ENV_OVERRIDES: Record<string, (c: Record<string, unknown>, v: string) => void> = {
  LILO_DATA_DIR: (c, v) => {
    c.dataDir = v;
  },
  LILO_HTTP_PORT: (c, v) => {
    c.http = { ...(c.http as object), port: Number(v) };
  },
};

export function parseApplianceConfig(input: unknown, env: NodeJS.ProcessEnv = {}): Readonly<ApplianceConfig> {
  const raw = structuredClone((input ?? {}) as Record<string, unknown>);
  for (const [key, apply] of Object.entries(ENV_OVERRIDES)) {
    const v = env[key];
    if (v !== undefined) apply(raw, v);
  }
  const parsed = applianceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`);
    throw new ApplianceConfigError(`invalid appliance configuration:\n  ${lines.join("\n  ")}`);
  }
  return Object.freeze(parsed.data);
}

export function loadApplianceConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<ApplianceConfig> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ApplianceConfigError(`cannot read config ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ApplianceConfigError(`config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseApplianceConfig(json, env);
}
