// An organization's notification channels and escalation steps for safety alerts (tenant_settings).
import { z } from "zod";
import { ALERT_SEVERITIES } from "../../shared/enums.js";

export const EscalationStep = z.object({
  /** Minutes after the alert was raised, still unacknowledged, before this step notifies. */
  after_minutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  /** Who it reaches: the people of the alert's lab, its department, or the whole organization. */
  scope: z.enum(["lab", "department", "organization"]),
});

export const AlertSettings = z.object({
  email: z.object({ enabled: z.boolean() }).default({ enabled: true }),
  /** A Slack-compatible incoming webhook (JSON `{text, blocks}`); null for none. */
  webhook: z
    .object({
      url: z
        .url()
        .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL")
        .nullable(),
    })
    .default({ url: null }),
  /** Alerts below this severity are listed but notify nobody. */
  min_severity: z.enum(ALERT_SEVERITIES).default("low"),
  /** Level 1, 2, ...: each later than the one before. Level 0 is the lab's people, at once. */
  escalation: z
    .array(EscalationStep)
    .max(5)
    .refine((steps) => steps.every((s, i) => i === 0 || s.after_minutes > steps[i - 1]!.after_minutes), {
      message: "each step must come later than the one before",
    })
    .default([
      { after_minutes: 15, scope: "department" },
      { after_minutes: 60, scope: "organization" },
    ]),
});
export type AlertSettings = z.infer<typeof AlertSettings>;

export const DEFAULT_ALERT_SETTINGS: AlertSettings = AlertSettings.parse({});

/** Stored settings, or the defaults where none (or unreadable ones) are stored. */
export function readSettings(stored: string | undefined): AlertSettings {
  if (!stored) return DEFAULT_ALERT_SETTINGS;
  const parsed = AlertSettings.safeParse(JSON.parse(stored));
  return parsed.success ? parsed.data : DEFAULT_ALERT_SETTINGS;
}
