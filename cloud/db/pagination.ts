// Cursor pagination for every list: `limit` (default 50, max 200) and an opaque `cursor` naming the sort
// key of the last row of the previous page; answers `{items, next_cursor}`.
import { asc, desc, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { AppError } from "../../shared/errors.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export type CursorValue = string | number | null;

export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

const badCursor = () =>
  new AppError("validation_failed", "invalid cursor: pass next_cursor of the previous page unchanged", {
    cursor: "invalid cursor",
  });

/** The sort key a cursor names, checked to have `arity` values; undefined for the first page. */
export function decodeCursor(cursor: string | undefined, arity: number): CursorValue[] | undefined {
  if (cursor === undefined) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw badCursor();
  }
  const parsed = z
    .array(z.union([z.string().max(500), z.number(), z.null()]))
    .length(arity)
    .safeParse(values);
  if (!parsed.success) throw badCursor();
  return parsed.data;
}

/** A timestamp cursor value back as a Date; refuses anything that is not one. */
export function cursorDate(value: CursorValue | undefined): Date {
  const d = typeof value === "string" ? new Date(value) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw badCursor();
  return d;
}

/** A cursor value that must be a string (an id, a name). */
export function cursorString(value: CursorValue | undefined): string {
  if (typeof value !== "string") throw badCursor();
  return value;
}

/** Rows fetched with `limit + 1`: the page, and a cursor if there was one more. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (last: T) => CursorValue[]): Page<T> {
  const items = rows.slice(0, limit);
  return {
    items,
    next_cursor: rows.length > limit && items.length ? encodeCursor(keyOf(items.at(-1)!)) : null,
  };
}

/**
 * Newest-first keyset paging on a timestamp and an id. Both the order and the comparison use the
 * timestamp at millisecond precision, which is what a cursor (a JavaScript Date) can carry.
 */
export function newestFirst(at: PgColumn, id: PgColumn) {
  const ms = sql`date_trunc('milliseconds', ${at})`;
  return {
    orderBy: [sql`${ms} DESC NULLS LAST`, desc(id)] as const,
    /** Rows after the cursor `[iso timestamp | null, id]`, or no condition on the first page. */
    after(values: CursorValue[] | undefined): SQL | undefined {
      if (!values) return undefined;
      const cursorId = cursorString(values[1]);
      if (values[0] === null) return sql`(${at} IS NULL AND ${id} < ${cursorId})`;
      const t = cursorDate(values[0]);
      return sql`(${ms} < ${t.toISOString()}::timestamptz OR ${at} IS NULL OR (${ms} = ${t.toISOString()}::timestamptz AND ${id} < ${cursorId}))`;
    },
    key: (row: { at: Date | null; id: string }): CursorValue[] => [row.at?.toISOString() ?? null, row.id],
  };
}

/** Name-ordered keyset paging (departments, labs, cabinets, people): `[name, id]`. */
export function byName(name: PgColumn, id: PgColumn) {
  return {
    orderBy: [asc(name), asc(id)] as const,
    after(values: CursorValue[] | undefined): SQL | undefined {
      if (!values) return undefined;
      const n = cursorString(values[0]);
      const i = cursorString(values[1]);
      return sql`(${name}, ${id}) > (${n}, ${i})`;
    },
  };
}
