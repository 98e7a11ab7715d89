// A report's content before rendering: a title, its columns in order, and one record per row.
export interface ReportColumn {
  key: string;
  label: string;
}

export interface ReportTable {
  title: string;
  columns: ReportColumn[];
  rows: Record<string, string | number | null>[];
}
