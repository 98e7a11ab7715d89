// When scheduled reports run: standard five-field cron expressions read by croner in an IANA time zone
// (a run at 09:00 stays at 09:00 local across daylight-saving changes; a time the spring change skips
// runs at the first time after it), and timestamps written as local time with their UTC offset.
import { Cron } from "croner";
import { z } from "zod";

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const TimeZone = z
  .string()
  .max(50)
  .refine(isTimeZone, { error: "an IANA time zone such as Europe/Berlin or America/New_York" });

function cronOf(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true, mode: "5-part" });
}

export const CronExpression = z
  .string()
  .trim()
  .max(100)
  .refine(
    (e) => {
      try {
        cronOf(e, "UTC");
        return true;
      } catch {
        return false;
      }
    },
    {
      error: "a cron expression of five fields: minute hour day-of-month month day-of-week, e.g. 0 7 * * MON",
    },
  );

/** The first time after `after` that the expression names in `timezone`; null when it never comes again. */
export function nextRunAt(expression: string, timezone: string, after: Date): Date | null {
  return cronOf(expression, timezone).nextRun(after);
}

/** `2026-03-30T09:00:00+02:00`: the instant as the organization's clocks showed it. */
export function localTimestamp(at: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "longOffset",
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === "GMT" ? "+00:00" : String(parts.timeZoneName).replace("GMT", "");
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** The calendar date in `timezone`, `YYYY-MM-DD`. */
export const localDate = (at: Date, timezone: string): string => localTimestamp(at, timezone).slice(0, 10);
