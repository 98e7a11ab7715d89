import { z } from "zod";
import { LOCK_MODES } from "../../shared/enums.js";

const unit = z.number().min(0).max(1);

export const roiSchema = z
  .object({ x: unit, y: unit, w: unit.positive(), h: unit.positive() })
  .refine((r) => r.x + r.w <= 1 + 1e-9 && r.y + r.h <= 1 + 1e-9, {
    message: "roi must lie within the frame",
  });

const bcmPin = z.number().int().min(0).max(57);
const ms = z.number().int().min(0);

export const gpioConfigSchema = z.object({
  driver: z.enum(["sysfs", "gpiod"]).default("gpiod"),
  sysfsRoot: z.string().default("/sys/class/gpio"),
  /** Character device for the gpiod driver; the header is gpiochip0 on Pi 4 and on Pi 5 with kernel >= 6.6.45. */
  chip: z.string().default("gpiochip0"),
  doorPin: bcmPin,
  lockPin: bcmPin,
  /** Lock relay input is active-low (common on opto-isolated relay boards). */
  activeLow: z.boolean().default(false),
  debounceMs: ms.default(50),
  /** Level the door input reads while the door is open (reed to GND with pull-up: 1). */
  doorOpenLevel: z.union([z.literal(0), z.literal(1)]).default(1),
  /** Bias for the door input; only the gpiod driver can set it (sysfs needs config.txt `gpio=N=ip,pu`). */
  doorBias: z.enum(["pull-up", "pull-down", "disabled"]).optional(),
  /** sysfs driver: how often the door value file is read. */
  pollMs: z.number().int().positive().default(20),
});

export const lockConfigSchema = z.object({
  mode: z.enum(LOCK_MODES).default("fail-secure"),
  autoRelockMs: ms.default(10_000),
  ajarAlarmMs: ms.default(60_000),
});

/**
 * rpicam: the sensor through rpicam-still (real mode's default); sim: the simulator's renderer (sim
 * mode's default, sim mode only); recorded: JPEGs replayed from `dir`, in either mode.
 */
export const CAMERA_DRIVERS = ["rpicam", "sim", "recorded"] as const;

export const cameraConfigSchema = z.object({
  id: z.string().min(1),
  driver: z.enum(CAMERA_DRIVERS).optional(),
  /** The recorded driver's folder of frames. */
  dir: z.string().min(1).optional(),
  index: z.number().int().min(0).default(0),
  shelves: z.array(z.object({ shelf: z.number().int(), roi: roiSchema })).min(1),
  width: z.number().int().positive().default(2304),
  height: z.number().int().positive().default(1296),
  timeoutMs: z.number().int().positive().default(15_000),
  retries: z.number().int().min(0).default(2),
  backoffMs: ms.default(500),
  settleMs: ms.default(500),
});

export const badgeConfigSchema = z.discriminatedUnion("driver", [
  z.object({ driver: z.literal("none") }),
  z.object({ driver: z.literal("evdev"), device: z.string().min(1), interKeyMs: ms.optional() }),
]);

export const simConfigSchema = z.object({
  /** Shelf numbers of the simulated cabinet; defaults to the shelves the cameras cover. */
  shelves: z.array(z.number().int()).optional(),
  /** Where SimCabinet persists its state across restarts. */
  statePath: z.string().optional(),
});

export const hardwareConfigSchema = z
  .object({
    mode: z.enum(["sim", "real"]),
    gpio: gpioConfigSchema.optional(),
    lock: lockConfigSchema.default({ mode: "fail-secure", autoRelockMs: 10_000, ajarAlarmMs: 60_000 }),
    cameras: z.array(cameraConfigSchema).default([]),
    badge: badgeConfigSchema.default({ driver: "none" }),
    sim: simConfigSchema.default({}),
  })
  .superRefine((c, ctx) => {
    if (c.mode === "real" && !c.gpio)
      ctx.addIssue({ code: "custom", path: ["gpio"], message: "required in real mode" });
    const ids = c.cameras.map((cam) => cam.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) ctx.addIssue({ code: "custom", path: ["cameras"], message: `duplicate camera id ${dup}` });
    c.cameras.forEach((cam, i) => {
      if (cam.driver === "recorded" && !cam.dir)
        ctx.addIssue({
          code: "custom",
          path: ["cameras", i, "dir"],
          message: "required by the recorded driver",
        });
      if (cam.driver === "sim" && c.mode !== "sim")
        ctx.addIssue({
          code: "custom",
          path: ["cameras", i, "driver"],
          message: "sim needs hardware.mode sim",
        });
    });
  });

/** Parsed config (defaults applied). */
export type HardwareConfig = z.infer<typeof hardwareConfigSchema>;
/** What a config file may contain (defaults optional). */
export type HardwareConfigInput = z.input<typeof hardwareConfigSchema>;
export type GpioConfig = z.infer<typeof gpioConfigSchema>;
export type LockConfig = z.infer<typeof lockConfigSchema>;
export type CameraConfig = z.infer<typeof cameraConfigSchema>;
export type CameraDriver = (typeof CAMERA_DRIVERS)[number];

/** The driver a camera runs: its own, or the mode's. */
export function cameraDriver(camera: CameraConfig, mode: HardwareConfig["mode"]): CameraDriver {
  return camera.driver ?? (mode === "sim" ? "sim" : "rpicam");
}
export type BadgeConfig = z.infer<typeof badgeConfigSchema>;

export function parseHardwareConfig(input: unknown): HardwareConfig {
  return hardwareConfigSchema.parse(input);
}
