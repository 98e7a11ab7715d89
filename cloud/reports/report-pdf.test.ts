// A report long enough for several pages: pdftotext finds the column header at the top of every page,
// every row once, and "Page n of m" at each foot.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderReportPdf } from "./report-pdf.js";

/** Forty numbered words: more than a line of any column on a page. */
const LONG_NOTE = Array.from({ length: 40 }, (_, k) => `word${k}`).join(" ");

describe("renderReportPdf", () => {
  it("repeats the header on each page, wraps long cells and numbers the pages", async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({
      code: `ROW-${String(i).padStart(3, "0")}`,
      note: i === 7 ? LONG_NOTE : "short",
      n: i,
    }));
    const bytes = await renderReportPdf(
      {
        title: "Long report",
        columns: [
          { key: "code", label: "Code" },
          { key: "note", label: "Note" },
          { key: "n", label: "Number" },
        ],
        rows,
      },
      { organization: "Test Org", period: "P", generated_at: "G" },
    );
    const file = join(mkdtempSync(join(tmpdir(), "lilo-pdf-")), "r.pdf");
    writeFileSync(file, bytes);
    const pages = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" })
      .split("\f")
      .filter((p) => p.trim());
    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((page, i) => {
      expect(page).toMatch(/Code\s+Note\s+Number/);
      expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
    });
    const all = pages.join("\n");
    for (const r of rows) expect(all.match(new RegExp(`${r.code}\\b`, "g"))).toHaveLength(1);
    expect(all).toContain("Organization: Test Org");
    // The long note is wrapped within its column: its first and last words on different lines.
    const lines = all.split("\n");
    const first = lines.findIndex((l) => /\bword0\b/.test(l));
    const last = lines.findIndex((l) => /\bword39\b/.test(l));
    expect(first).toBeGreaterThan(-1);
    expect(last).toBeGreaterThan(first);
  });
});
