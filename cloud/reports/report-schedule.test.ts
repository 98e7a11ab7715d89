// Cron schedules in an organization's time zone: the local hour holds across daylight-saving changes,
// a time the spring change skips runs once just after it, a time the autumn change repeats runs once.
import { describe, expect, it } from "vitest";
import { CronExpression, localTimestamp, nextRunAt, TimeZone } from "./report-schedule.js";

const next = (expression: string, tz: string, after: string) =>
  nextRunAt(expression, tz, new Date(after))?.toISOString();

describe("nextRunAt", () => {
  it.each([
    [
      "Monday 09:00 New York, the week before the change (EDT, UTC-4)",
      "0 9 * * MON",
      "America/New_York",
      "2026-10-20T00:00:00Z",
      "2026-10-26T13:00:00.000Z",
    ],
    [
      "Monday 09:00 New York, the week after (EST, UTC-5): still 09:00 local",
      "0 9 * * MON",
      "America/New_York",
      "2026-10-27T00:00:00Z",
      "2026-11-02T14:00:00.000Z",
    ],
    [
      "daily 07:00 Berlin in winter (CET, UTC+1)",
      "0 7 * * *",
      "Europe/Berlin",
      "2026-03-27T12:00:00Z",
      "2026-03-28T06:00:00.000Z",
    ],
    [
      "daily 07:00 Berlin the day the clocks go forward (CEST, UTC+2)",
      "0 7 * * *",
      "Europe/Berlin",
      "2026-03-28T12:00:00Z",
      "2026-03-29T05:00:00.000Z",
    ],
    [
      "02:30 Berlin does not exist on 29 March: it runs at 03:00 CEST",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-03-28T12:00:00Z",
      "2026-03-29T01:00:00.000Z",
    ],
    [
      "and at 02:30 CEST the next day",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-03-29T01:00:00Z",
      "2026-03-30T00:30:00.000Z",
    ],
    [
      "02:30 Berlin happens twice on 25 October: the first one",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-10-24T12:00:00Z",
      "2026-10-25T00:30:00.000Z",
    ],
    [
      "and not again an hour later",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-10-25T00:30:00Z",
      "2026-10-26T01:30:00.000Z",
    ],
    ["UTC has no change", "0 7 * * *", "UTC", "2026-03-28T12:00:00Z", "2026-03-29T07:00:00.000Z"],
  ])("%s", (_, expression, tz, after, expected) => {
    expect(next(expression, tz, after)).toBe(expected);
  });
});

describe("schedule input", () => {
  it.each([
    ["0 7 * * MON", true],
    ["*/15 8-17 * * 1-5", true],
    ["0 0 0 * * *", false],
    ["every monday", false],
    ["61 7 * * *", false],
  ])("cron %s valid: %s", (expression, valid) => {
    expect(CronExpression.safeParse(expression).success).toBe(valid);
  });

  it.each([
    ["Europe/Berlin", true],
    ["America/New_York", true],
    ["Mars/Olympus_Mons", false],
  ])("time zone %s valid: %s", (tz, valid) => {
    expect(TimeZone.safeParse(tz).success).toBe(valid);
  });

  it("writes an instant as the zone's local time with its offset", () => {
    expect(localTimestamp(new Date("2026-03-29T05:00:00Z"), "Europe/Berlin")).toBe(
      "2026-03-29T07:00:00+02:00",
    );
    expect(localTimestamp(new Date("2026-11-02T14:00:00Z"), "America/New_York")).toBe(
      "2026-11-02T09:00:00-05:00",
    );
    expect(localTimestamp(new Date("2026-11-02T14:00:00Z"), "UTC")).toBe("2026-11-02T14:00:00+00:00");
  });
});
