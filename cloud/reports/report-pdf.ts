// PDF reports with pdfkit: a heading (title, organization, period, when generated), then the table with
// cells wrapped to their column, its header repeated on every page, and "Page n of m" at each foot.
import PDFDocument from "pdfkit";
import type { ReportTable } from "./report-table.js";

export interface PdfHeading {
  organization: string;
  /** e.g. "2026-11-01 00:00 to 2026-12-01 00:00 (Europe/Berlin)" */
  period: string;
  generated_at: string;
}

const MARGIN = 36;
const PAD = 3;
const FONT_SIZE = 8;
const HEAD_FONT = "Helvetica-Bold";
const BODY_FONT = "Helvetica";
/** A cell longer than this is cut in the PDF (the CSV keeps it whole): one row stays within a page. */
const MAX_CELL_CHARS = 600;

const cellText = (v: string | number | null | undefined): string => {
  const s = v === null || v === undefined ? "" : String(v);
  return s.length > MAX_CELL_CHARS ? `${s.slice(0, MAX_CELL_CHARS - 1)}…` : s;
};

/** Column widths in proportion to what they hold (header and a sample of cells), within limits. */
function columnWidths(table: ReportTable, total: number): number[] {
  const weights = table.columns.map((c) => {
    const sample = table.rows.slice(0, 200).map((r) => cellText(r[c.key]).length);
    const typical = sample.length ? sample.reduce((a, b) => a + b, 0) / sample.length : 0;
    return Math.min(40, Math.max(6, c.label.length, typical));
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => (w / sum) * total);
}

export function renderReportPdf(table: ReportTable, heading: PdfHeading): Promise<Buffer> {
  const doc = new PDFDocument({
    size: "A4",
    layout: "landscape",
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: { Title: table.title, Author: "L.I.L.O.", Subject: heading.organization },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  const left = MARGIN;
  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - MARGIN - 14;
  const widths = columnWidths(table, width);

  const rowHeight = (cells: string[], font: string) => {
    doc.font(font).fontSize(FONT_SIZE);
    return (
      Math.max(...cells.map((t, i) => doc.heightOfString(t || " ", { width: widths[i]! - 2 * PAD }))) +
      2 * PAD
    );
  };
  const drawRow = (cells: string[], y: number, font: string, shade: boolean) => {
    const h = rowHeight(cells, font);
    if (shade) doc.rect(left, y, width, h).fill("#e8e8e8");
    doc.fillColor("black").font(font).fontSize(FONT_SIZE);
    let x = left;
    cells.forEach((t, i) => {
      doc.text(t, x + PAD, y + PAD, { width: widths[i]! - 2 * PAD, lineBreak: true });
      x += widths[i]!;
    });
    doc
      .moveTo(left, y + h)
      .lineTo(left + width, y + h)
      .lineWidth(0.3)
      .strokeColor("#999999")
      .stroke();
    return y + h;
  };
  const header = table.columns.map((c) => c.label);

  doc.font(HEAD_FONT).fontSize(16).text(table.title, left, MARGIN, { width });
  doc.font(BODY_FONT).fontSize(9);
  doc.text(`Organization: ${heading.organization}`, { width });
  doc.text(`Period: ${heading.period}`, { width });
  doc.text(`Generated: ${heading.generated_at}`, { width });
  doc.text(`Rows: ${table.rows.length}`, { width });
  let y = doc.y + 8;
  y = drawRow(header, y, HEAD_FONT, true);
  if (table.rows.length === 0) {
    doc
      .font(BODY_FONT)
      .fontSize(FONT_SIZE)
      .text("No rows for this period.", left + PAD, y + PAD);
  }
  for (const row of table.rows) {
    const cells = table.columns.map((c) => cellText(row[c.key]));
    if (y + rowHeight(cells, BODY_FONT) > bottom()) {
      doc.addPage();
      y = drawRow(header, MARGIN, HEAD_FONT, true);
    }
    y = drawRow(cells, y, BODY_FONT, false);
  }

  const pages = doc.bufferedPageRange();
  for (let i = 0; i < pages.count; i++) {
    doc.switchToPage(pages.start + i);
    // Writing in the bottom margin would start a new page: the margin is lifted while the foot is set.
    doc.page.margins.bottom = 0;
    doc
      .font(BODY_FONT)
      .fontSize(8)
      .fillColor("#444444")
      .text(`${table.title} · Page ${i + 1} of ${pages.count}`, left, doc.page.height - MARGIN + 4, {
        width,
        align: "right",
        lineBreak: false,
      });
  }
  doc.end();
  return done;
}
