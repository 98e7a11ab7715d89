// Exactly-once upload under real faults: a cloud process (`lilo cloud serve`) and a simulated cabinet
// process (`lilo appliance run`), claimed through the real flow, with kill -9 of the cabinet during a
// burst, during an upload and right after a door closes, and the cloud stopped for a while. After each
// scenario every event and container transaction of the cabinet is in the tenant schema exactly once
// and the cabinet's outbox is empty. Last, duplicate and reordered batches over real HTTP.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, queryRows } from "../cloud/db/database.js";
import { eventChange } from "./support/changes.js";
import { serverUrl } from "./support/databases.js";
import {
  CabinetProcess,
  CloudProcess,
  cloudIds,
  http,
  killAll,
  prepareCabinet,
  type SeededFleet,
  seedCloud,
  trace,
} from "./support/fleet-processes.js";
import { freePort } from "./support/free-port.js";
import { waitFor } from "./support/wait-for.js";

const backendName = serverUrl ? "postgres" : "pglite";
const WRONG_BADGE = "NOPE-1";
/** Each scenario takes 5-35 s on two busy cores (PGlite: a cloud restart to read its database). */
const SCENARIO_MS = 120_000;

describe(`sync to the cloud under faults (cloud on ${backendName})`, () => {
  let tmp: string;
  let cloud: CloudProcess;
  let cabinet: CabinetProcess;
  let seeded: SeededFleet;
  let dispose: () => Promise<void> = async () => {};
  const logs = () => `${cloud?.logs() ?? ""}\n${cabinet?.logs() ?? ""}`;
  const tech = () => seeded.org.users.find((u) => u.role === "technician")!;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "lilo-fault-sync-"));
    ({ cloud, dispose } = await CloudProcess.prepared(tmp, async (database) => {
      seeded = await seedCloud(database);
    }));
    await cloud.start();
    const dir = join(tmp, "cabinet");
    const port = await freePort();
    const config = prepareCabinet(dir, {
      port,
      cloudUrl: cloud.url,
      claimToken: seeded.claimToken,
      placements: seeded.org.placements,
      // Several batches for the outbox of scenario 2; quick retries once the cloud is back.
      cloud: { uploadIntervalMs: 250, uploadBatchSize: 200, maxBackoffMs: 1_000 },
    });
    cabinet = new CabinetProcess(dir, config, port);
    await cabinet.start();
    await waitFor(async () => (await cabinet.status()).device?.device_id, {
      what: "the cabinet to be claimed",
      context: logs,
    });
  });

  afterAll(async () => {
    await killAll();
    await dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  // --- helpers -----------------------------------------------------------------------------------

  /** `n` wrong-badge swipes, `concurrency` at a time; stops at the first failure once `stopOnError`. */
  async function swipes(
    n: number,
    opts: { concurrency?: number; onAck?: (acked: number) => void } = {},
  ): Promise<{ acked: number; failed: number }> {
    let next = 0;
    let acked = 0;
    let failed = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        try {
          const r = await cabinet.sim("POST", "/badge", { badge: WRONG_BADGE });
          if (r.status !== 200) throw new Error(`swipe answered ${r.status}`);
          acked++;
          opts.onAck?.(acked);
        } catch {
          failed++;
          if (cabinet.alive) throw new Error(`a swipe failed with the cabinet running\n${logs()}`);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
    return { acked, failed };
  }

  const deniedCount = () =>
    cabinet.read(
      (db) =>
        db
          .prepare(
            "SELECT count(*) FROM unified_event_log WHERE json_extract(event_details, '$.action') = 'auth_denied'",
          )
          .pluck()
          .get() as number,
    );

  /** The rows of the cabinet that must reach the cloud, read from its SQLite file. */
  const applianceRows = () =>
    cabinet.read((db) => ({
      events: db.prepare("SELECT event_id FROM unified_event_log").pluck().all() as string[],
      transactions: db
        .prepare(
          "SELECT transaction_id, transaction_type, status, user_id, workflow_id FROM container_transactions",
        )
        .all() as {
        transaction_id: string;
        transaction_type: string;
        status: string;
        user_id: string;
        workflow_id: string | null;
      }[],
      pending: db.prepare("SELECT count(*) FROM change_log").pluck().get() as number,
      ackedThrough: Number(
        db.prepare("SELECT value FROM device_state WHERE key = 'acked_through'").pluck().get() ?? 0,
      ),
    }));

  /**
   * Waits for the outbox to drain, then compares the cabinet's rows with the tenant schema's. `also`
   * runs in the same visit to the cloud's database (on PGlite each visit costs a cloud restart), and
   * `leaveCloudStopped` saves that restart when the next step stops the cloud anyway.
   */
  async function expectExactlyOnceInCloud<T = undefined>(
    opts: { also?: (database: Database) => Promise<T>; leaveCloudStopped?: boolean } = {},
  ): Promise<{ events: number; transactions: number; also: T }> {
    const deviceId = (await cabinet.status()).device!.device_id;
    trace("verify: waiting for drain");
    await waitFor(
      async () => {
        const s = (await cabinet.status()).sync;
        return s?.pending === 0 && !s.last_error;
      },
      { what: "the cabinet's outbox to drain", timeoutMs: 60_000, intervalMs: 200, context: logs },
    );
    trace("verify: drained");
    const local = applianceRows();
    expect(local.pending).toBe(0);
    const schema = seeded.org.tenant_schema;
    const remote = await cloud.query(
      async (database: Database) => ({
        events: await cloudIds(
          database,
          schema,
          "unified_event_log",
          "event_id",
          // The cabinet's own rows (its chain); the cloud also writes events about the cabinet itself.
          `cabinet_id = '${seeded.org.cabinet_id}' AND chain_id LIKE 'device:%'`,
        ),
        transactions: await database.asOwner((tx) =>
          queryRows<{
            transaction_id: string;
            transaction_type: string;
            status: string;
            user_id: string;
            workflow_id: string | null;
          }>(
            tx,
            sql.raw(
              `SELECT transaction_id::text, transaction_type, status, user_id::text, workflow_id::text FROM "${schema}".container_transactions`,
            ),
          ),
        ),
        sync: (
          await database.asOwner((tx) =>
            queryRows<{ last_seq: number; changes_applied: number }>(
              tx,
              sql.raw(
                `SELECT last_seq, changes_applied FROM "${schema}".device_sync_state WHERE device_id = '${deviceId}'`,
              ),
            ),
          )
        ).map((r) => ({ last_seq: Number(r.last_seq), changes_applied: Number(r.changes_applied) })),
        also: (await opts.also?.(database)) as T,
      }),
      { leaveStopped: opts.leaveCloudStopped },
    );
    trace("verify: compared");
    // Set equality and equal counts: nothing lost, nothing twice.
    expect(remote.events.length).toBe(local.events.length);
    expect(new Set(remote.events).size).toBe(remote.events.length);
    expect([...remote.events].sort()).toEqual([...local.events].sort());
    const byId = (a: { transaction_id: string }, b: { transaction_id: string }) =>
      a.transaction_id.localeCompare(b.transaction_id);
    expect([...remote.transactions].sort(byId)).toEqual([...local.transactions].sort(byId));
    // The cloud's high-water mark is where the cabinet pruned its outbox, and every change of the log
    // was applied once: resent batches counted as skipped, never as applied.
    expect(remote.sync).toEqual([{ last_seq: local.ackedThrough, changes_applied: local.ackedThrough }]);
    return { events: local.events.length, transactions: local.transactions.length, also: remote.also };
  }

  /** After a failed scenario, the next one starts from running processes all the same. */
  async function ensureRunning(opts: { cloud: boolean }): Promise<void> {
    if (opts.cloud && !cloud.running) await cloud.start();
    if (!cabinet.alive) await cabinet.start();
  }

  /** Events of a session by action, from the cabinet's own log. */
  const sessionActions = (sessionId: string) =>
    cabinet.read(
      (db) =>
        db
          .prepare(
            "SELECT json_extract(event_details, '$.action') FROM unified_event_log WHERE workflow_id = ?",
          )
          .pluck()
          .all(sessionId) as string[],
    );

  async function openFor(badge: string): Promise<string> {
    const access = await cabinet.sim<{ granted: boolean; session_id: string }>("POST", "/badge", { badge });
    expect(access.json, logs()).toMatchObject({ granted: true });
    expect((await cabinet.sim("POST", "/door", { open: true })).status).toBe(200);
    return access.json.session_id;
  }

  async function closeAndAwaitScan(sessionId: string): Promise<void> {
    expect((await cabinet.sim("POST", "/door", { open: false })).status).toBe(200);
    await waitFor(() => sessionActions(sessionId).includes("scan_completed"), {
      what: "the post-session scan",
      timeoutMs: 45_000,
      intervalMs: 100,
      context: logs,
    });
  }

  // --- scenarios ---------------------------------------------------------------------------------

  it(
    "kill -9 of the cabinet during a burst of events loses nothing and duplicates nothing",
    async () => {
      await ensureRunning({ cloud: true });
      const before = deniedCount();
      const total = 300;
      let killed: Promise<void> | undefined;
      const first = await swipes(total, {
        onAck: (acked) => {
          if (acked === 100) killed = cabinet.kill9();
        },
      });
      await killed;
      expect(first.acked).toBeGreaterThanOrEqual(100);
      expect(first.failed).toBeGreaterThan(0);
      // Every acknowledged swipe is on disk.
      expect(deniedCount() - before).toBeGreaterThanOrEqual(first.acked);
      await cabinet.start();
      const rest = await swipes(total - first.acked);
      expect(rest.failed).toBe(0);
      const recorded = deniedCount() - before;
      expect(recorded).toBeGreaterThanOrEqual(total);
      // At most the swipes in flight at the kill were recorded without an answer.
      expect(recorded).toBeLessThanOrEqual(total + first.failed);
      // The next scenario begins with the cloud down.
      const counts = await expectExactlyOnceInCloud({ leaveCloudStopped: true });
      expect(counts.events).toBeGreaterThanOrEqual(total);
    },
    SCENARIO_MS,
  );

  it(
    "kill -9 of the cabinet in the middle of an upload",
    async () => {
      await ensureRunning({ cloud: false });
      await cloud.stop();
      const ackedBefore = applianceRows().ackedThrough;
      const burst = await swipes(1500, { concurrency: 12 });
      expect(burst.acked).toBe(1500);
      expect((await cabinet.status()).sync?.pending).toBeGreaterThanOrEqual(1500);
      await cloud.start();
      const seen = await waitFor(
        async () => {
          const s = (await cabinet.status()).sync!;
          return s.acked_through > ackedBefore && s.pending > 0 ? s : undefined;
        },
        {
          what: "the first batch acknowledged with more pending",
          timeoutMs: 30_000,
          intervalMs: 5,
          context: logs,
        },
      );
      await cabinet.kill9();
      const atKill = applianceRows();
      expect(seen.acked_through).toBeGreaterThan(ackedBefore);
      expect(atKill.pending, "killed with part of the outbox still to send").toBeGreaterThan(0);
      await cabinet.start();
      await expectExactlyOnceInCloud({ leaveCloudStopped: true });
    },
    SCENARIO_MS,
  );

  it(
    "the cloud stopped for a while: events and a whole take-and-return session arrive when it is back",
    async () => {
      await ensureRunning({ cloud: false });
      await cloud.stop();
      await swipes(40);
      const container = seeded.org.placements[0]!;
      const qr = encodeURIComponent(container.qr_code);

      const take = await openFor(tech().badge);
      expect((await cabinet.sim("DELETE", `/shelves/${container.shelf}/containers/${qr}`)).status).toBe(204);
      await closeAndAwaitScan(take);
      const put = await openFor(tech().badge);
      const back = { qr_code: container.qr_code, x: container.x, y: container.y };
      expect((await cabinet.sim("POST", `/shelves/${container.shelf}/containers`, back)).status).toBe(201);
      await closeAndAwaitScan(put);

      const s = await cabinet.status();
      expect(s.sync?.last_error, "the cabinet noticed the cloud was gone").toMatch(/unreachable/);
      expect(s.sync?.pending).toBeGreaterThan(0);
      const local = applianceRows().transactions.filter(
        (t) => t.workflow_id === take || t.workflow_id === put,
      );
      expect(local.map((t) => [t.transaction_type, t.status, t.user_id]).sort()).toEqual([
        ["checkout", "returned", tech().user_id],
        ["return", "returned", tech().user_id],
      ]);

      await cloud.start();
      await expectExactlyOnceInCloud();
    },
    SCENARIO_MS,
  );

  it(
    "kill -9 right after the door closes: the checkout is still recorded once, for the technician",
    async () => {
      await ensureRunning({ cloud: true });
      const container = seeded.org.placements[1]!;
      const session = await openFor(tech().badge);
      const qr = encodeURIComponent(container.qr_code);
      expect((await cabinet.sim("DELETE", `/shelves/${container.shelf}/containers/${qr}`)).status).toBe(204);
      expect((await cabinet.sim("POST", "/door", { open: false })).status).toBe(200);
      await cabinet.kill9();
      // The kill came before the scan: nothing of the checkout was recorded yet.
      expect(sessionActions(session)).not.toContain("scan_completed");
      expect(applianceRows().transactions.filter((t) => t.workflow_id === session)).toEqual([]);

      await cabinet.start();
      await waitFor(() => sessionActions(session).includes("scan_completed"), {
        what: "the resumed session's scan",
        timeoutMs: 45_000,
        context: logs,
      });
      const checkouts = applianceRows().transactions.filter((t) => t.workflow_id === session);
      expect(checkouts.map((t) => [t.transaction_type, t.status, t.user_id])).toEqual([
        ["checkout", "active", tech().user_id],
      ]);
      expect(sessionActions(session).filter((a) => a === "checkout")).toHaveLength(1);
      const { also: remote } = await expectExactlyOnceInCloud({
        also: (database) =>
          database.asOwner((tx) =>
            queryRows<{ n: number; user_id: string }>(
              tx,
              sql.raw(
                `SELECT count(*)::int AS n, min(user_id::text) AS user_id FROM "${seeded.org.tenant_schema}".container_transactions WHERE workflow_id = '${session}'`,
              ),
            ),
          ),
      });
      expect(remote).toEqual([{ n: 1, user_id: tech().user_id }]);
    },
    SCENARIO_MS,
  );

  it(
    "a batch sent twice applies once; a batch with a gap is refused with 409 and changes nothing",
    async () => {
      await ensureRunning({ cloud: true });
      const claim = await http<{ credential: string; cabinet_id: string; lab_id: string }>(
        "POST",
        `${cloud.url}/api/v1/devices/claim`,
        {
          claim_token: seeded.spare.claimToken,
          serial_number: `HAND-${randomUUID().slice(0, 8)}`,
        },
      );
      expect(claim.status, JSON.stringify(claim.json)).toBe(201);
      const { credential, cabinet_id, lab_id } = claim.json;
      expect(cabinet_id).toBe(seeded.spare.cabinet_id);
      const auth = { authorization: `Bearer ${credential}` };
      const log_id = randomUUID();
      const ids = Array.from({ length: 6 }, () => randomUUID());
      const change = (seq: number) =>
        eventChange(
          seq,
          { cabinet_id, lab_id },
          {
            event_id: ids[seq - 1]!,
            event_type: "system",
            event_category: "system",
            event_timestamp: new Date(Date.now() - (10 - seq) * 1000).toISOString(),
            event_details: { action: "fault_test", seq },
            changes_summary: `hand-made event ${seq}`,
          },
        );
      const batch = (from: number, to: number) => ({
        log_id,
        changes: Array.from({ length: to - from + 1 }, (_, i) => change(from + i)),
      });
      const handEvents = async (database: Database) =>
        (
          await cloudIds(
            database,
            seeded.org.tenant_schema,
            "unified_event_log",
            "event_id",
            `cabinet_id = '${cabinet_id}'`,
          )
        ).sort();
      const post = (body: unknown) =>
        http<Record<string, unknown>>("POST", `${cloud.url}/api/v1/device/sync/changes`, body, auth);
      const state = async () =>
        (await http<{ last_seq: number }>("GET", `${cloud.url}/api/v1/device/sync/state`, undefined, auth))
          .json;

      expect((await post(batch(1, 2))).json).toEqual({ accepted_through: 2, applied: 2, skipped: 0 });
      // The same batch again (its answer was lost, say): nothing applies twice.
      const again = await post(batch(1, 2));
      expect(again.status).toBe(200);
      expect(again.json).toEqual({ accepted_through: 2, applied: 0, skipped: 2 });
      // A batch after a gap (3..4 never arrived): refused, naming where to resume, and nothing changes.
      const gap = await post(batch(5, 6));
      expect(gap.status).toBe(409);
      expect(gap.json).toMatchObject({ error: { fields: { expected_seq: "3" } } });
      expect((await state()).last_seq).toBe(2);
      expect(await cloud.query(handEvents)).toEqual([...ids.slice(0, 2)].sort());
      // Then the right order: overlapping the applied ones, then the rest, each exactly once.
      expect((await post(batch(2, 4))).json).toEqual({ accepted_through: 4, applied: 2, skipped: 1 });
      expect((await post(batch(5, 6))).json).toEqual({ accepted_through: 6, applied: 2, skipped: 0 });
      expect((await post(batch(1, 6))).json).toEqual({ accepted_through: 6, applied: 0, skipped: 6 });
      expect((await state()).last_seq).toBe(6);

      // Every hand-made event once; the cabinet's own log untouched by the hand-driven device.
      const { also: remote } = await expectExactlyOnceInCloud({ also: handEvents });
      expect(remote).toEqual([...ids].sort());
    },
    SCENARIO_MS,
  );
});
