// How values read on screen and in exports: dates, quantities, enum words.

const dateFmt = new Intl.DateTimeFormat("en-GB", { day: "2-digit", month: "short", year: "numeric" });
const dateTimeFmt = new Intl.DateTimeFormat("en-GB", {
  day: "2-digit",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

type When = string | number | Date | null | undefined;

export const formatDate = (v: When) => (v ? dateFmt.format(new Date(v)) : "—");
export const formatDateTime = (v: When) => (v ? dateTimeFmt.format(new Date(v)) : "—");

/** "in 3 days", "5 min ago": for times that matter relative to now (expiry, last seen). */
export function relative(v: When, now = Date.now()): string {
  if (!v) return "—";
  const diff = new Date(v).getTime() - now;
  const abs = Math.abs(diff);
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [
    [60_000, "second"],
    [3_600_000, "minute"],
    [86_400_000, "hour"],
    [30 * 86_400_000, "day"],
    [365 * 86_400_000, "month"],
    [Number.POSITIVE_INFINITY, "year"],
  ];
  const size: Record<string, number> = {
    second: 1000,
    minute: 60_000,
    hour: 3_600_000,
    day: 86_400_000,
    month: 30 * 86_400_000,
    year: 365 * 86_400_000,
  };
  const unit = steps.find(([limit]) => abs < limit)![1];
  return new Intl.RelativeTimeFormat("en", { numeric: "auto" }).format(Math.round(diff / size[unit]!), unit);
}

/** "in_cabinet" → "In cabinet". */
export const words = (v: string | null | undefined) =>
  v ? (v.charAt(0).toUpperCase() + v.slice(1)).replaceAll("_", " ") : "—";

export function quantity(
  amount: string | number | null | undefined,
  unit: string | null | undefined,
): string {
  if (amount === null || amount === undefined || amount === "") return "—";
  return `${Number(amount).toLocaleString("en-GB", { maximumFractionDigits: 3 })} ${unit ?? ""}`.trim();
}

/** Days from today to a date (negative when past). */
export function daysUntil(date: string | null | undefined, now = new Date()): number | null {
  if (!date) return null;
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((new Date(`${date.slice(0, 10)}T00:00:00Z`).getTime() - today) / 86_400_000);
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are quoted with a leading apostrophe. */
export function toCsv(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cell = (v: string | number | null | undefined) => {
    let s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s) && typeof v === "string") s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${[header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n")}\r\n`;
}

export function download(filename: string, text: string, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
