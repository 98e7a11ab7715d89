// The states of an alert's response workflow and which step may follow which; the cabinet and the cloud
// both read them, the cloud alone moves an alert past acknowledged (docs/alerts.md).
import type { ALERT_STATUSES } from "../enums.js";

export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Not closed: the condition still needs someone. */
export const ACTIVE_ALERT_STATUSES = [
  "open",
  "acknowledged",
  "in_progress",
] as const satisfies readonly AlertStatus[];
export const CLOSED_ALERT_STATUSES = ["resolved", "false_positive"] as const satisfies readonly AlertStatus[];

export const ALERT_ACTIONS = ["acknowledge", "assign", "resolve", "false-positive"] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** The status an action leads to, from the statuses it may start from. */
export const ALERT_TRANSITIONS: Record<AlertAction, { from: readonly AlertStatus[]; to: AlertStatus }> = {
  acknowledge: { from: ["open"], to: "acknowledged" },
  assign: { from: ACTIVE_ALERT_STATUSES, to: "in_progress" },
  resolve: { from: ACTIVE_ALERT_STATUSES, to: "resolved" },
  "false-positive": { from: ACTIVE_ALERT_STATUSES, to: "false_positive" },
};

export function isActive(status: string | null): boolean {
  return (ACTIVE_ALERT_STATUSES as readonly string[]).includes(status ?? "open");
}
