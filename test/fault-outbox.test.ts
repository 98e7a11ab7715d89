// kill -9 of a process in the middle of recording events: every event it acknowledged is on disk with
// its outbox row, and no outbox row exists without its event.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { openLocalDatabase } from "../appliance/db/local-database.js";
import { changeLog, unifiedEventLog } from "../appliance/db/schema.js";
import { fromRoot } from "../shared/paths.js";

const dir = mkdtempSync(join(tmpdir(), "lilo-fault-"));
const dbPath = join(dir, "appliance.db");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer until it has acknowledged `count` events, then kills it with SIGKILL. */
function writeThenKill(count: number): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fromRoot("test/support/outbox-writer.ts"), dbPath],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const acked: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (id) => {
      acked.push(id);
      if (acked.length === count) child.kill("SIGKILL");
    });
    child.on("exit", (_code, signal) =>
      signal === "SIGKILL" ? resolve(acked) : reject(new Error(`writer exited early (${signal})`)),
    );
  });
}

describe("outbox under kill -9", () => {
  it("loses no acknowledged event and leaves no orphan change", async () => {
    const acked: string[] = [];
    for (const count of [40, 250, 120]) acked.push(...(await writeThenKill(count)));

    const local = openLocalDatabase(dbPath);
    const events = new Set(
      local.db
        .select({ id: unifiedEventLog.event_id })
        .from(unifiedEventLog)
        .all()
        .map((r) => r.id),
    );
    const changes = local.db.select().from(changeLog).all();
    local.close();

    expect(acked.filter((id) => !events.has(id))).toEqual([]);
    expect(changes.map((c) => c.entity_id).sort()).toEqual([...events].sort());
    // Sequence numbers are gap-free and strictly increasing across the three killed runs.
    expect(changes.map((c) => c.seq)).toEqual(changes.map((_, i) => i + 1));
  });
});
