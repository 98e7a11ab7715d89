// /boot/firmware/lilo.conf: what an installer writes on the SD card's boot partition (any computer can
// edit FAT) before the cabinet's first boot. `key=value` lines, `#` comments; the keys are listed in
// image-build/lilo.conf.example. Checked as a whole, so one run names every mistake.
import { z } from "zod";
import { LOCK_MODES } from "../../shared/enums.js";
import { type ValidationIssue, validationError } from "../../shared/errors.js";

const HOSTNAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const NTP_SERVER = /^[A-Za-z0-9.:-]{1,253}$/;
const bcmPin = z.coerce
  .number({ message: "must be a BCM GPIO number (0-57)" })
  .int("must be a BCM GPIO number (0-57)")
  .min(0, "must be a BCM GPIO number (0-57)")
  .max(57, "must be a BCM GPIO number (0-57)");
const yesNo = z.enum(["yes", "no"], { message: 'must be "yes" or "no"' });

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const liloConfSchema = z.strictObject({
  hostname: z
    .string()
    .regex(HOSTNAME, "letters a-z, digits and inner hyphens, at most 63 characters")
    .default("lilo"),
  timezone: z.string().refine(isTimeZone, "not a time zone (e.g. Europe/Berlin)").default("UTC"),
  ntp: z
    .string()
    .refine((s) => s.split(/\s+/).every((h) => NTP_SERVER.test(h)), "space-separated host names")
    .optional(),
  cloud_url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional(),
  claim_token: z
    .string()
    .regex(/^\S{8,512}$/, "must be the token from the dashboard, without spaces")
    .optional(),
  allow_insecure_cloud: yesNo.default("no"),
  org_id: z.uuid("must be a UUID").optional(),
  lab_id: z.uuid("must be a UUID").optional(),
  cabinet_id: z.uuid("must be a UUID").optional(),
  hardware: z.enum(["real", "sim"], { message: 'must be "real" or "sim"' }).default("real"),
  lock_mode: z.enum(LOCK_MODES, { message: `must be ${LOCK_MODES.join(" or ")}` }).default("fail-secure"),
  gpio_driver: z.enum(["gpiod", "sysfs"], { message: 'must be "gpiod" or "sysfs"' }).default("gpiod"),
  door_pin: bcmPin.optional(),
  lock_pin: bcmPin.optional(),
  lock_active_low: yesNo.default("no"),
  shelves: z
    .string()
    .regex(/^\d+(\s+\d+)*$/, "space-separated shelf numbers")
    .default("1 2 3 4"),
  badge_device: z.string().startsWith("/dev/input/", "must be a /dev/input/... path").optional(),
});

/**
 * The rules between keys, on the raw entries: checked even when single values are wrong, so one run
 * names every mistake.
 */
function crossIssues(c: Record<string, string>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const need = (key: string, why: string) => {
    if (c[key] === undefined) issues.push({ path: [key], message: `required ${why}` });
  };
  if (c.cloud_url === undefined) {
    // Standalone: the cabinet must be told where it sits.
    for (const key of ["org_id", "lab_id", "cabinet_id"]) need(key, "without cloud_url");
    if (c.claim_token !== undefined) issues.push({ path: ["claim_token"], message: "needs cloud_url" });
  }
  if ((c.hardware ?? "real") === "real")
    for (const key of ["door_pin", "lock_pin"]) need(key, "with real hardware");
  if (c.door_pin !== undefined && Number(c.door_pin) === Number(c.lock_pin))
    issues.push({ path: ["lock_pin"], message: "must differ from door_pin" });
  return issues;
}

export type LiloConf = z.infer<typeof liloConfSchema>;

/** The keys and values of a lilo.conf text, or a validation error naming every bad line and key. */
export function parseLiloConf(text: string): LiloConf {
  const entries: Record<string, string> = {};
  const lines: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const key = eq > 0 ? line.slice(0, eq).trim().toLowerCase() : "";
    if (!key) {
      lines[`line ${index + 1}`] = `expected key=value, got "${line.slice(0, 40)}"`;
      return;
    }
    if (key in entries) lines[key] = `given twice (line ${index + 1})`;
    entries[key] = stripQuotes(line.slice(eq + 1).trim());
  });
  const parsed = liloConfSchema.safeParse(entries);
  const issues: ValidationIssue[] = [
    ...Object.entries(lines).map(([key, message]) => ({ path: [key], message })),
    ...(parsed.success ? [] : parsed.error.issues),
    ...crossIssues(entries),
  ];
  if (issues.length > 0 || !parsed.success) throw validationError(issues, "lilo.conf");
  return parsed.data;
}

function stripQuotes(value: string): string {
  const m = /^"(.*)"$|^'(.*)'$/.exec(value);
  return m ? (m[1] ?? m[2] ?? "") : value;
}

/** The text without its claim_token line(s), with a note where the token was: it now lives on the data partition. */
export function withoutClaimToken(text: string, note: string): string {
  return text
    .split(/(?<=\n)/)
    .map((line) => (/^\s*claim_token\s*=/i.test(line) ? `# ${note}${line.endsWith("\n") ? "\n" : ""}` : line))
    .join("");
}
