// A table of records by column: the one table markup of the dashboard (a frame that wraps its cells
// rather than scrolling sideways, a caption for screen readers, an unnamed actions column).
import type { ComponentChildren } from "preact";

export interface Column<T> {
  /** The column's heading; "" for the actions column, which screen readers hear as "Actions". */
  header: string;
  cell: (row: T) => ComponentChildren;
  /** Cell class: `nowrap`, `mono`, `cell-wrap`, `actions`, … */
  class?: string;
}

export function DataTable<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** Rows shown greyed out: revoked, used up. */
  muted?: (row: T) => boolean;
}) {
  const { columns } = props;
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th scope="col" key={c.header || i}>
                {c.header || <span class="visually-hidden">Actions</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)} class={props.muted?.(row) ? "is-muted" : undefined}>
              {columns.map((c, i) => (
                <td key={c.header || i} class={c.class}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
