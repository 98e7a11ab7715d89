// Fixed-window counters in PostgreSQL (lilo_platform.rate_limit_counters, migration 0007), so that every
// cloud instance behind a load balancer counts against the same limits. Time is the database's clock.
import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../db/database.js";

export interface WindowCount {
  /** Hits in the current window, this one included. */
  hits: number;
  /** Seconds until the current window ends. */
  retry_after_s: number;
}

const seconds = (windowMs: number) => windowMs / 1000;

export class RateLimitRepository {
  constructor(private readonly database: Database) {}

  /** Counts one hit in `bucket`'s window of `windowMs`, starting a new window when the last one is over. */
  async hit(bucket: string, windowMs: number): Promise<WindowCount> {
    const w = seconds(windowMs);
    // One statement: concurrent hits from any instance serialize on the row, none is lost.
    const [row] = await this.database.asService((tx) =>
      queryRows<{ hits: number; retry_after_s: number }>(
        tx,
        sql`INSERT INTO lilo_platform.rate_limit_counters AS c (bucket, window_start, hits)
            VALUES (${bucket}, now(), 1)
            ON CONFLICT (bucket) DO UPDATE SET
              window_start = CASE WHEN c.window_start <= now() - make_interval(secs => ${w})
                THEN now() ELSE c.window_start END,
              hits = CASE WHEN c.window_start <= now() - make_interval(secs => ${w})
                THEN 1 ELSE c.hits + 1 END
            RETURNING hits,
              extract(epoch FROM window_start + make_interval(secs => ${w}) - now())::float8 AS retry_after_s`,
      ),
    );
    return { hits: Number(row!.hits), retry_after_s: Number(row!.retry_after_s) };
  }

  /** The current window's count without adding to it; undefined when no window is open. */
  async peek(bucket: string, windowMs: number): Promise<WindowCount | undefined> {
    const w = seconds(windowMs);
    const [row] = await this.database.asService((tx) =>
      queryRows<{ hits: number; retry_after_s: number }>(
        tx,
        sql`SELECT hits,
              extract(epoch FROM window_start + make_interval(secs => ${w}) - now())::float8 AS retry_after_s
            FROM lilo_platform.rate_limit_counters
            WHERE bucket = ${bucket} AND window_start > now() - make_interval(secs => ${w})`,
      ),
    );
    return row ? { hits: Number(row.hits), retry_after_s: Number(row.retry_after_s) } : undefined;
  }

  async clear(bucket: string): Promise<void> {
    await this.database.asService((tx) =>
      tx.execute(sql`DELETE FROM lilo_platform.rate_limit_counters WHERE bucket = ${bucket}`),
    );
  }

  /** Drops windows that ended long ago; returns how many. */
  async prune(olderThanMs: number): Promise<number> {
    const rows = await this.database.asService((tx) =>
      queryRows<{ bucket: string }>(
        tx,
        sql`DELETE FROM lilo_platform.rate_limit_counters
            WHERE window_start < now() - make_interval(secs => ${seconds(olderThanMs)}) RETURNING bucket`,
      ),
    );
    return rows.length;
  }
}
