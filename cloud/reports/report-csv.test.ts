// CSV cells as RFC 4180 quotes them, and the guard that keeps a spreadsheet from running a cell.
import { describe, expect, it } from "vitest";
import { csvCell, renderReportCsv } from "./report-csv.js";

describe("csvCell", () => {
  it.each<[string, string | number | null, string]>([
    ["plain text stays bare", "Ethanol", "Ethanol"],
    ["a comma is quoted", "Acetone, technical", '"Acetone, technical"'],
    ["a quote is doubled inside quotes", 'He said "dry"', '"He said ""dry"""'],
    ["a line break is quoted", "line 1\nline 2", '"line 1\nline 2"'],
    ["null is empty", null, ""],
    ["a number is written as is, negative too", -5, "-5"],
    ["a formula is disarmed", "=SUM(A1:A2)", "'=SUM(A1:A2)"],
    [
      "a formula with a comma is disarmed and quoted",
      '=HYPERLINK("http://x",1)',
      '"\'=HYPERLINK(""http://x"",1)"',
    ],
    ["a leading plus is disarmed", "+1 555", "'+1 555"],
    ["a leading minus in text is disarmed", "-2+3", "'-2+3"],
    ["a leading at sign is disarmed", "@cmd", "'@cmd"],
    ["a leading tab is disarmed", "\tx", "'\tx"],
    ["an equals sign later is harmless", "a=b", "a=b"],
  ])("%s", (_, value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it("renders a header and one CRLF-ended line per row, in column order, with a byte order mark", () => {
    const csv = renderReportCsv({
      title: "t",
      columns: [
        { key: "b", label: "B, second" },
        { key: "a", label: "A" },
      ],
      rows: [
        { a: 1, b: "x" },
        { a: null, b: "=1+1" },
      ],
    }).toString("utf8");
    expect(csv).toBe('\uFEFF"B, second",A\r\nx,1\r\n\'=1+1,\r\n');
  });
});
