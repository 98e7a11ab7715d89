// Retention drops whole time partitions past each table's period and keeps everything newer (the
// archive and the legal holds it checks first: cloud/retention/retention.service.test.ts).

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventStream, PARTITIONED_TABLES } from "../../shared/schema/partitioned.js";
import { backends } from "../../test/support/databases.js";
import { FsBlobStore } from "../blobs/blob-store.fs.js";
import { RetentionService } from "../retention/retention.service.js";
import { type Database, queryRows } from "./database.js";
import { migrateAll } from "./migrator.js";
import {
  DEFAULT_RETENTION_DAYS,
  ensurePartitions,
  listPartitions,
  type RetentionSettings,
} from "./partitions.js";

const DAY = 86_400_000;
const streamTable = PARTITIONED_TABLES.find((p) => p.table === "event_stream")!;

describe.each(backends)("time partitions on $name", (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  // Far from the real date, whose partitions the migration already made.
  const now = new Date("2031-03-15T12:00:00Z");
  const blobs = new FsBlobStore(mkdtempSync(join(tmpdir(), "lilo-partitions-")));
  const expirePartitions = async (settings: RetentionSettings, at: Date) =>
    (await new RetentionService(database, blobs, settings).runPartitions({ now: at })).dropped;

  beforeAll(async () => {
    ({ database, dispose } = await backend.create());
    await migrateAll(database);
  });
  afterAll(() => dispose?.());

  it("creates partitions ahead of time, idempotently", async () => {
    const first = await database.asOwner((tx) => ensurePartitions(tx, { now, behind: 12, ahead: 3 }));
    expect(first).toContain("event_stream_p20310303");
    expect(first).toContain("event_stream_p20310318");
    expect(first).toContain("system_events_p203104");
    expect(await database.asOwner((tx) => ensurePartitions(tx, { now, behind: 12, ahead: 3 }))).toEqual([]);
  });

  it("expires the event stream after 7 days by dropping partitions, keeping newer rows", async () => {
    const org = crypto.randomUUID();
    const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY);
    await database.asOwner((tx) =>
      tx
        .insert(eventStream)
        .values(
          [0, 1, 6, 8, 10].map((d) => ({ org_id: org, event_type: "door_opened", event_timestamp: at(d) })),
        ),
    );
    const dropped = await expirePartitions(DEFAULT_RETENTION_DAYS, now);
    // Partitions that end at or before now - 7 d: 2031-03-03 .. 2031-03-07 (the one ending 03-08 00:00).
    expect(dropped.filter((n) => n.startsWith("event_stream_p2031"))).toEqual([
      "event_stream_p20310303",
      "event_stream_p20310304",
      "event_stream_p20310305",
      "event_stream_p20310306",
      "event_stream_p20310307",
    ]);
    const left = await database.asService((tx) =>
      queryRows<{ ts: Date }>(
        tx,
        sql`SELECT event_timestamp AS ts FROM lilo_platform.event_stream ORDER BY 1`,
      ),
    );
    expect(left.map((r) => Math.round((now.getTime() - new Date(r.ts).getTime()) / DAY))).toEqual([6, 1, 0]);
    const remaining = await database.asOwner((tx) => listPartitions(tx, streamTable));
    expect(remaining[0]).toBe("event_stream_p20310308");
    // Telemetry (30 days) and system events (7 years) lost nothing.
    expect(dropped.some((n) => /^(device_telemetry|system_events)_p2031/.test(n))).toBe(false);
  });

  it("honours a longer retention setting", async () => {
    const more = await expirePartitions({ ...DEFAULT_RETENTION_DAYS, eventStream: 30 }, now);
    expect(more).toEqual([]);
  });
});
