// Controlled substances from a cabinet's SQLite file to the cloud on a real PostgreSQL server: the
// signed access record and its signatures sync, are filed under `controlled_substance` in the
// compliance log, and list as valid signatures until a superuser edits the record; a theft/loss alert
// reaches the cloud live before its change log does; the CLI prints the inventory as CSV.
import { randomUUID } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlledRepository } from "../appliance/controlled/controlled.repository.js";
import { ControlledSubstanceService } from "../appliance/controlled/controlled-substance.service.js";
import { insertRecorded } from "../appliance/db/change-recorder.js";
import { changeLogId } from "../appliance/db/device-state.repository.js";
import { type LocalDatabase, openLocalDatabase } from "../appliance/db/local-database.js";
import {
  changeLog,
  cabinets as localCabinets,
  chemicalInventory as localInventory,
} from "../appliance/db/schema.js";
import { AlertRepository } from "../appliance/safety/alert.repository.js";
import { AuditService } from "../cloud/audit/audit.service.js";
import type { Database } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { OrganizationService } from "../cloud/orgs/organization.service.js";
import { SignatureService } from "../cloud/signatures/signature.service.js";
import { IngestService } from "../cloud/sync/ingest.service.js";
import type { DeviceIdentity } from "../shared/device-identity.js";
import { cabinets, chemicalInventory, type safetyAlerts } from "../shared/schema/tenant.js";
import { Change } from "../shared/sync/change.js";
import { seedCabinet } from "./support/cabinet-rows.js";
import { lilo } from "./support/cli.js";
import { backends, serverUrl } from "./support/databases.js";

const postgres = backends.find((b) => b.name === "postgres");

describe.skipIf(!postgres)("controlled substances from the cabinet to the cloud on PostgreSQL", () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let url: string;
  let ownerUrl: string;
  let org: { org_id: string; schema: string };
  let device: DeviceIdentity;
  let cabinet: LocalDatabase;
  let superuser: pg.Client;
  let accessId: string;
  let alertRow: typeof safetyAlerts.$inferSelect;
  const ingest = () => new IngestService(database);
  const TECH = { user_id: randomUUID(), display_name: "Tina Technician", email: null, role: "technician" };
  const BOSS = { user_id: randomUUID(), display_name: "Max Manager", email: null, role: "lab_manager" };

  const upload = async () => {
    const changes = cabinet.db
      .select()
      .from(changeLog)
      .orderBy(asc(changeLog.seq))
      .all()
      .map((c) => Change.parse({ ...c, payload: JSON.parse(c.payload) }));
    await ingest().ingest(device, { log_id: changeLogId(cabinet.db), changes });
  };
  // Signatures are read as anyone with event:read reads them (the service behind the API).
  const signatures = () =>
    new SignatureService(database, { confirmPassword: async () => false }).list(
      org.org_id,
      "controlled_substance_access",
      accessId,
    );

  beforeAll(async () => {
    const created = await postgres!.create();
    ({ database, dispose } = created);
    url = created.url!;
    ownerUrl = created.ownerUrl!;
    await migrateAll(database);
    org = await new OrganizationService(database).create({
      name: "Pharmacy",
      slug: "pharmacy",
      type: "pharma",
    });
    const cabinetId = await database.withTenant(org.org_id, (tx) => seedCabinet(tx, "CAB-DEA"));
    const [cab] = await database.withTenant(org.org_id, (tx) =>
      tx.select().from(cabinets).where(eq(cabinets.cabinet_id, cabinetId)),
    );
    device = { device_id: randomUUID(), org_id: org.org_id, thing_name: "cab-dea", cabinet_id: cabinetId };
    const base = new URL(serverUrl!);
    base.pathname = new URL(url).pathname;
    superuser = new pg.Client({ connectionString: base.toString() });
    await superuser.connect();

    // The cabinet: a schedule II container, checked out by two people, then one gone unseen.
    cabinet = openLocalDatabase(":memory:");
    const scope = { org_id: org.org_id, lab_id: cab!.lab_id!, cabinet_id: cabinetId };
    const controlled = new ControlledSubstanceService({
      scope,
      repo: new ControlledRepository(cabinetId),
      alerts: new AlertRepository(cabinetId),
    });
    cabinet.transaction((db) => {
      db.insert(localCabinets)
        .values({
          cabinet_id: cabinetId,
          lab_id: scope.lab_id,
          cabinet_name: "Narcotics safe",
          cabinet_code: "CAB-DEA",
        })
        .run();
      const morphine = insertRecorded(db, localInventory, {
        cabinet_id: cabinetId,
        qr_code: "LILO:C:700001",
        shelf_level: 1,
        chemical_name: "Morphine sulfate",
        cas_number: "64-31-3",
        dea_schedule: "II",
        quantity: "25",
        unit: "mL",
        concentration: "10",
        concentration_unit: "mg/mL",
        date_received: "2026-01-10",
        status: "in_cabinet",
      });
      const fentanyl = insertRecorded(db, localInventory, {
        cabinet_id: cabinetId,
        qr_code: "LILO:C:700002",
        shelf_level: 2,
        chemical_name: "Fentanyl citrate",
        cas_number: "990-73-8",
        dea_schedule: "II",
        quantity: "5",
        unit: "mL",
        date_received: "2026-02-01",
        status: "in_cabinet",
      });
      accessId = controlled.recordAccess(db, {
        container_id: morphine.container_id,
        access: "checkout",
        shelf: 1,
        session_id: randomUUID(),
        authentication: { users: [TECH, BOSS], method: "badge+pin", at: new Date() },
      })!;
      alertRow = controlled.raiseTheftLoss(db, {
        container_id: fentanyl.container_id,
        shelf: 2,
        at: new Date(),
      })!;
    });
  });
  afterAll(async () => {
    cabinet?.close();
    await superuser?.end();
    await dispose?.();
  });

  it("a theft/loss alert reaches the cloud live, with its Form 106 facts, before the change log", async () => {
    // The containers were registered in the cloud and came down to the cabinet, as in production.
    await database.withTenant(org.org_id, (tx) =>
      tx.insert(chemicalInventory).values(cabinet.db.select().from(localInventory).all()),
    );
    const live = JSON.parse(JSON.stringify(alertRow)) as Record<string, unknown>;
    expect(await ingest().raiseLive(device, live)).toBe(true);
    const { rows } = await superuser.query(
      `SELECT alert_type, severity, requires_regulatory_report, sensor_data FROM "${org.schema}".safety_alerts WHERE alert_id = $1`,
      [alertRow.alert_id],
    );
    expect(rows[0]).toMatchObject({
      alert_type: "theft_loss",
      severity: "critical",
      requires_regulatory_report: true,
      sensor_data: {
        form_106: {
          registrant_org_id: org.org_id,
          substance: "Fentanyl citrate",
          dea_schedule: "II",
          cas_number: "990-73-8",
          quantity: "5",
          unit: "mL",
          cabinet: { code: "CAB-DEA", name: "Narcotics safe" },
          shelf: 2,
        },
      },
    });
  });

  it("the signed access syncs: both signatures valid, filed as controlled_substance, chain intact", async () => {
    await upload();
    const signed = await signatures();
    expect(signed.map((s) => [s.signer_user_id, s.meaning, s.valid])).toEqual([
      [TECH.user_id, "performed", true],
      [BOSS.user_id, "witnessed", true],
    ]);
    expect(signed[0]!.signer_name).toBe("Tina Technician");
    const { rows } = await superuser.query(
      `SELECT audit_category, regulation FROM "${org.schema}".compliance_audit_log c
        JOIN "${org.schema}".unified_event_log e ON e.event_id = c.event_id
        WHERE e.event_id = $1 OR e.related_event_id = $1`,
      [accessId],
    );
    expect(rows).toEqual(
      Array(3).fill({ audit_category: "controlled_substance", regulation: "DEA_21_CFR_1304" }),
    );
    expect((await new AuditService(database, undefined).verify(org.org_id)).ok).toBe(true);
    // Sent again, the batch adds no second signature.
    await upload();
    expect(await signatures()).toHaveLength(2);
  });

  it("a later edit of the access record shows its signatures as no longer valid, and the chain broken", async () => {
    await superuser.query(
      `UPDATE "${org.schema}".unified_event_log SET changes_summary = 'nothing was taken' WHERE event_id = $1`,
      [accessId],
    );
    try {
      expect((await signatures()).map((s) => s.valid)).toEqual([false, false]);
      expect((await new AuditService(database, undefined).verify(org.org_id)).ok).toBe(false);
    } finally {
      await superuser.query(
        `UPDATE "${org.schema}".unified_event_log SET changes_summary = $2 WHERE event_id = $1`,
        [
          accessId,
          cabinet.sqlite
            .prepare("SELECT changes_summary FROM unified_event_log WHERE event_id = ?")
            .pluck()
            .get(accessId),
        ],
      );
    }
    expect((await signatures()).map((s) => s.valid)).toEqual([true, true]);
  });

  it("lilo cloud controlled inventory prints the period's counts as CSV", async () => {
    const env = { DATABASE_URL: url, DATABASE_OWNER_URL: ownerUrl };
    const out = await lilo(
      ["cloud", "controlled", "inventory", "--org", org.org_id, "--from", "2026-01-01", "--to", "2026-12-31"],
      env,
    );
    expect(out.code).toBe(0);
    expect(out.stdout.split("\r\n")).toEqual([
      "Substance,CAS number,Schedule,Opening count,Receipts,Checkouts,Disposals,Closing count",
      "Fentanyl citrate,990-73-8,II,0,1,0,0,1",
      "Morphine sulfate,64-31-3,II,0,1,0,0,1",
      "",
    ]);
    const bad = await lilo(
      ["cloud", "controlled", "inventory", "--org", org.org_id, "--from", "2026-12-31", "--to", "2026-01-01"],
      env,
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe("");
  });
});
