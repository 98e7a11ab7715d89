// Ingest scoped to the uploading cabinet, on PGlite and on PostgreSQL when configured: two cabinets of
// one organization; whatever cabinet B's device uploads, no row of cabinet A changes, and cabinet A
// still replays, closes and acknowledges its own rows.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { AppError } from "../../shared/errors.js";
import {
  chemicalInventory,
  containerTransactions,
  safetyAlerts,
  scanResults,
  unifiedEventLog,
} from "../../shared/schema/tenant.js";
import type { Change } from "../../shared/sync/change.js";
import {
  asPayload,
  attacks,
  type CabinetRows,
  cabinetSnapshot,
  change,
  newAlert,
  newCheckout,
  newContainer,
  newEvent,
  newScan,
  numbered,
  readRows,
} from "../../test/support/cabinet-rows.js";
import { backends } from "../../test/support/databases.js";
import type { Database, Tx } from "../db/database.js";
import { migrateAll } from "../db/migrator.js";
import { type DemoOrg, ensureDemoOrg } from "../demo/demo-seed.js";
import { ProvisioningService } from "../devices/provisioning.service.js";
import { CabinetService } from "../orgs/cabinet.service.js";
import { IngestService } from "./ingest.service.js";

/** The attacks by name, with their index in the list that the test builds once A's rows exist. */
const ATTACKS = attacks({ container: {}, transaction: {}, alert: {}, event: {}, scan: {} }, "A", "B", {}).map(
  ([name], i) => [name, i] as const,
);

describe.each(backends)("ingest scoped to the uploading cabinet on $name", (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let org: DemoOrg;
  let a: DeviceIdentity;
  let b: DeviceIdentity;
  let ingest: IngestService;
  let victim: CabinetRows;
  let ownContainer: Record<string, unknown>;

  const send = (device: DeviceIdentity, changes: Change[]) => ingest.ingest(device, numbered(changes));
  const refusal = (device: DeviceIdentity, changes: Change[]) =>
    send(device, changes).then(
      () => undefined,
      (err: unknown) => err,
    );
  const snapshotA = () => database.withTenant(org.org_id, (tx) => cabinetSnapshot(tx, a.cabinet_id));
  const select = <T>(fn: (tx: Tx) => Promise<T[]>) =>
    database.withTenant(org.org_id, fn).then((rows) => rows[0]);

  beforeAll(async () => {
    const created = await backend.create();
    database = created.database;
    dispose = created.dispose;
    await migrateAll(database);
    org = await ensureDemoOrg(database);
    const second = await new CabinetService(database).create(org.org_id, {
      department: "Department of Chemistry",
      lab: "Teaching Lab",
      name: "Acids cabinet",
      code: "CAB-B",
    });
    const provisioning = new ProvisioningService(database);
    const claim = async (cabinetId: string) =>
      provisioning.claim({
        claim_token: (await provisioning.createClaimToken(org.org_id, cabinetId)).claim_token,
        serial_number: `TEST-${randomUUID().slice(0, 8)}`,
      });
    a = await claim(org.cabinet_id);
    b = await claim(second.cabinet_id);
    ingest = new IngestService(database);

    // Cabinet A's own history, uploaded by its device: a checkout, an open alert, an event, a scan.
    const [container] = await database.withTenant(org.org_id, (tx) =>
      tx.select().from(chemicalInventory).where(eq(chemicalInventory.cabinet_id, a.cabinet_id)).limit(1),
    );
    const checkout = newCheckout(a.cabinet_id, asPayload(container!));
    const alert = newAlert(a.cabinet_id, { container_id: container!.container_id });
    const event = newEvent(a.cabinet_id, { container_id: container!.container_id });
    const scan = newScan(a.cabinet_id);
    await send(a, [checkout, alert, event, scan]);
    victim = await database.withTenant(org.org_id, (tx) =>
      readRows(tx, {
        container: container!.container_id,
        transaction: checkout.entity_id,
        alert: alert.entity_id,
        event: event.entity_id,
        scan: scan.entity_id,
      }),
    );
    const mine = newContainer(b.cabinet_id);
    await send(b, [mine]);
    ownContainer = mine.payload;
  });
  afterAll(() => dispose?.());

  describe("refuses with 403, applying nothing, when device B tries to", () => {
    it.each(ATTACKS)("%s", async (_, i) => {
      const [, attack] = attacks(victim, a.cabinet_id, b.cabinet_id, ownContainer)[i]!;
      const before = await snapshotA();
      // A harmless change of B's own first: the refusal must take it back too.
      const own = newEvent(b.cabinet_id);
      const err = await refusal(b, [own, attack]);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({
        code: "forbidden",
        status: 403,
        message: expect.stringMatching(/^change 2: /),
      });
      expect(await snapshotA()).toEqual(before);
      expect(
        await select((tx) =>
          tx.select().from(unifiedEventLog).where(eq(unifiedEventLog.event_id, own.entity_id)),
        ),
      ).toBeUndefined();
    });
  });

  describe("lets a cabinet keep its own rows", () => {
    it("replays its own rows unchanged", async () => {
      const before = await snapshotA();
      const replay = [
        change("chemical_inventory", victim.container),
        change("container_transactions", victim.transaction),
        change("safety_alerts", victim.alert),
        change("unified_event_log", victim.event, "insert"),
        change("scan_results", victim.scan, "insert"),
      ];
      expect(await send(a, replay)).toMatchObject({ applied: 5 });
      expect(await snapshotA()).toEqual(before);
    });

    it("closes its transaction, but who took what and any approval stay as recorded", async () => {
      const returnedAt = new Date().toISOString();
      const [other] = await database.withTenant(org.org_id, (tx) =>
        tx
          .select()
          .from(chemicalInventory)
          .where(eq(chemicalInventory.cabinet_id, a.cabinet_id))
          .orderBy(chemicalInventory.qr_code)
          .offset(1)
          .limit(1),
      );
      await send(a, [
        change("container_transactions", {
          ...victim.transaction,
          status: "returned",
          actual_return_timestamp: returnedAt,
          user_id: randomUUID(),
          user_name: "Someone Else",
          transaction_type: "dispose",
          container_id: other!.container_id,
          approved_by: randomUUID(),
          approval_notes: "approved by the cabinet",
        }),
      ]);
      const row = await select((tx) =>
        tx
          .select()
          .from(containerTransactions)
          .where(eq(containerTransactions.transaction_id, victim.transaction.transaction_id as string)),
      );
      expect(row).toMatchObject({
        status: "returned",
        actual_return_timestamp: new Date(returnedAt),
        user_id: victim.transaction.user_id,
        user_name: "Tina Technician",
        transaction_type: "checkout",
        container_id: victim.container.container_id,
        approved_by: null,
        approval_notes: null,
      });
    });

    it("acknowledges an open alert once; cannot reopen, resolve or re-acknowledge it", async () => {
      const alert = newAlert(a.cabinet_id);
      await send(a, [alert]);
      const read = () =>
        select((tx) => tx.select().from(safetyAlerts).where(eq(safetyAlerts.alert_id, alert.entity_id)));
      const tech = randomUUID();
      const at = new Date().toISOString();
      const ack = { ...alert.payload, status: "acknowledged", acknowledged_by: tech, acknowledged_at: at };
      await send(a, [change("safety_alerts", ack)]);
      expect(await read()).toMatchObject({ status: "acknowledged", acknowledged_by: tech });

      await send(a, [change("safety_alerts", { ...alert.payload, status: "open", acknowledged_by: null })]);
      await send(a, [change("safety_alerts", { ...ack, acknowledged_by: randomUUID() })]);
      expect(await read()).toMatchObject({ status: "acknowledged", acknowledged_by: tech });

      // The cloud resolves it; the cabinet's stale acknowledgement arriving later changes nothing.
      await database.withTenant(org.org_id, (tx) =>
        tx.update(safetyAlerts).set({ status: "resolved" }).where(eq(safetyAlerts.alert_id, alert.entity_id)),
      );
      expect(await send(a, [change("safety_alerts", ack)])).toMatchObject({ applied: 1 });
      expect(await read()).toMatchObject({ status: "resolved", acknowledged_by: tech });

      const err = await refusal(a, [change("safety_alerts", { ...ack, status: "resolved" })]);
      expect(err).toMatchObject({ code: "forbidden", message: expect.stringMatching(/cloud's to set/) });
      expect(await refusal(a, [newAlert(a.cabinet_id, { status: "false_positive" })])).toMatchObject({
        code: "forbidden",
      });
    });

    it("links a scan to the same shelf's scan before it, in this batch or an earlier one", async () => {
      // Shelf 1 follows the scan already here; the next scan of shelf 2 follows shelf 2's first,
      // within the batch.
      const one = newScan(a.cabinet_id, { previous_scan_id: victim.scan.scan_id });
      const first = newScan(a.cabinet_id, {
        shelf_id: 2,
        processing_status: "failed",
        processing_error: "camera unplugged",
      });
      const two = newScan(a.cabinet_id, { shelf_id: 2, previous_scan_id: first.entity_id });
      expect(await send(a, [one, first, two])).toMatchObject({ applied: 3 });
      const read = (id: string) =>
        select((tx) => tx.select().from(scanResults).where(eq(scanResults.scan_id, id)));
      expect(await read(one.entity_id)).toMatchObject({ previous_scan_id: victim.scan.scan_id });
      expect(await read(two.entity_id)).toMatchObject({ previous_scan_id: first.entity_id });

      // Another shelf's scan, a scan that is not there and the scan itself are no "before".
      const before = await snapshotA();
      const refused = [
        newScan(a.cabinet_id, { shelf_id: 3, previous_scan_id: one.entity_id }),
        newScan(a.cabinet_id, { previous_scan_id: randomUUID() }),
      ];
      const self = newScan(a.cabinet_id);
      refused.push(change("scan_results", { ...self.payload, previous_scan_id: self.entity_id }, "insert"));
      for (const scan of refused) {
        expect(await refusal(a, [scan])).toMatchObject({
          code: "forbidden",
          message: expect.stringMatching(/previous_scan_id must name an earlier scan of the same shelf/),
        });
      }
      expect(await snapshotA()).toEqual(before);
    });

    it("requires a transaction to be filed under the cabinet that recorded it", async () => {
      const bare = newCheckout(null, victim.container, {
        transaction_type: "return",
        return_cabinet_id: a.cabinet_id,
      });
      expect(await refusal(a, [bare])).toMatchObject({
        code: "forbidden",
        message: expect.stringMatching(/source_cabinet_id must name this device's cabinet/),
      });
    });
  });

  it("answers constraint failures with a clear error, not the database's", async () => {
    const taken = newContainer(b.cabinet_id, { qr_code: victim.container.qr_code });
    const dup = await refusal(b, [taken]);
    expect(dup).toMatchObject({ code: "conflict", status: 409 });
    expect((dup as Error).message).not.toMatch(/duplicate key|constraint|chemical_inventory_qr_code/);
    const orphan = newCheckout(b.cabinet_id, { container_id: randomUUID(), qr_code: "LILO:C:nope" });
    expect(await refusal(b, [orphan])).toMatchObject({ code: "validation_failed", status: 400 });
  });

  it("never changes a row of cabinet A, whatever batch device B sends (property)", async () => {
    const before = await snapshotA();
    const hostile = attacks(victim, a.cabinet_id, b.cabinet_id, ownContainer).map(([, c]) => c);
    // B's legitimate changes: its own events, containers, checkouts and alerts.
    const legit = fc.constantFrom(
      () => newEvent(b.cabinet_id),
      () => newContainer(b.cabinet_id),
      () => newCheckout(b.cabinet_id, ownContainer),
      () => newAlert(b.cabinet_id, { container_id: ownContainer.container_id }),
      () => change("chemical_inventory", { ...ownContainer, status: "checked_out", shelf_level: 3 }),
    );
    const pick = fc.oneof(
      fc.record({ hostile: fc.constant(true), make: fc.constantFrom(...hostile.map((c) => () => c)) }),
      fc.record({ hostile: fc.constant(false), make: legit }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pick, { minLength: 1, maxLength: 6 }), async (picks) => {
        const changes = picks.map((p) => p.make());
        const err = await refusal(b, changes);
        if (picks.some((p) => p.hostile)) expect(err).toMatchObject({ code: "forbidden" });
        else expect(err).toBeUndefined();
        expect(await snapshotA()).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });
});
