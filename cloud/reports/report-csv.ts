// CSV for spreadsheets (RFC 4180: CRLF line ends; a field with a comma, quote or line break is quoted,
// its quotes doubled). A text cell that a spreadsheet would run as a formula (starting with = + - @, tab
// or carriage return) is prefixed with an apostrophe, so an exported chemical name cannot execute.
// Hand-written: the rules are these few lines, and no CSV library applies the formula guard for us.
import type { ReportTable } from "./report-table.js";

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The header row and one line per row, CRLF-ended: for standard output (no byte order mark). */
export function reportCsvText(table: ReportTable): string {
  const lines = [table.columns.map((c) => csvCell(c.label))];
  for (const row of table.rows) lines.push(table.columns.map((c) => csvCell(row[c.key] ?? null)));
  return `${lines.map((l) => l.join(",")).join("\r\n")}\r\n`;
}

export function renderReportCsv(table: ReportTable): Buffer {
  // A byte order mark so that spreadsheet programs read the file as UTF-8 (names with accents, µ).
  return Buffer.from(`\uFEFF${reportCsvText(table)}`, "utf8");
}
