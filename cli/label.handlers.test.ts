import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "../cloud/db/database.js";
import { migrateAll } from "../cloud/db/migrator.js";
import { type DemoOrg, ensureDemoOrg } from "../cloud/demo/demo-seed.js";
import { AppError } from "../shared/errors.js";
import { chemicalInventory, unifiedEventLog } from "../shared/schema/tenant.js";
import { printContainerLabel, resolveOrg } from "./label.handlers.js";

let db: Database;
let org: DemoOrg;
let dir: string;

beforeAll(async () => {
  db = await connectDatabase({});
  await migrateAll(db);
  org = await ensureDemoOrg(db);
  dir = mkdtempSync(join(tmpdir(), "lilo-label-"));
});

afterAll(async () => {
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const labelEvents = (containerId: string) =>
  db.withTenant(org.org_id, (tx) =>
    tx.select().from(unifiedEventLog).where(eq(unifiedEventLog.container_id, containerId)),
  );

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  expect((err as AppError).message).toMatch(message);
}

describe("lilo label", () => {
  it("finds the only organization when --org is omitted, by id or slug otherwise", async () => {
    expect(await resolveOrg(db)).toBe(org.org_id);
    expect(await resolveOrg(db, "lilo-demo")).toBe(org.org_id);
    await rejects(resolveOrg(db, "no-such-org"), "not_found", /unknown organization "no-such-org"/);
  });

  it("prints a label, then records a second print of the same container as a reprint", async () => {
    const out = join(dir, "acetone.zpl");
    const first = await printContainerLabel(db, {
      container: "LILO:C:000001",
      format: "zpl",
      size: "small",
      symbology: "qr",
      out,
    });
    expect(first.action).toBe("label_printed");
    expect(first.chemical_name).toBe("Acetone");
    const zpl = readFileSync(out, "utf8");
    expect(zpl).toContain("^FDMA,LILO:C:000001^FS");
    expect(zpl.match(/\^GFA/g)?.length).toBe(2); // GHS02 + GHS07

    // By container_id this time, as a PDF with Data Matrix.
    const pdfOut = join(dir, "acetone.pdf");
    const second = await printContainerLabel(db, {
      container: first.container_id,
      org: org.org_id,
      format: "pdf",
      symbology: "datamatrix",
      out: pdfOut,
    });
    expect(second.action).toBe("label_reprinted");
    expect(readFileSync(pdfOut).subarray(0, 4).toString()).toBe("%PDF");

    const events = await labelEvents(first.container_id);
    expect(events).toHaveLength(2);
    const byId = new Map(events.map((e) => [e.event_id, e]));
    const e1 = byId.get(first.event_id)!;
    const e2 = byId.get(second.event_id)!;
    expect(e1).toMatchObject({
      event_type: "manual",
      event_category: "inventory",
      qr_code: "LILO:C:000001",
      chemical_name: "Acetone",
      cas_number: "67-64-1",
      container_id: first.container_id,
      event_details: { action: "label_printed", format: "zpl", size: "small", symbology: "qr" },
    });
    expect(e2.event_details).toEqual({
      action: "label_reprinted",
      format: "pdf",
      size: "bottle",
      symbology: "datamatrix",
    });
  });

  it("gives the same ZPL bytes on a reprint", async () => {
    const a = await printContainerLabel(db, { container: "LILO:C:000002", format: "zpl", size: "vial" });
    const b = await printContainerLabel(db, { container: "LILO:C:000002", format: "zpl", size: "vial" });
    expect(a.symbology).toBe("datamatrix");
    expect([a.action, b.action]).toEqual(["label_printed", "label_reprinted"]);
    expect(a.bytes.equals(b.bytes)).toBe(true);
  });

  it("refuses an unknown container and bad options, writing and recording nothing", async () => {
    const out = join(dir, "nothing.pdf");
    await rejects(
      printContainerLabel(db, { container: "LILO:C:999999", out }),
      "not_found",
      /unknown container "LILO:C:999999"/,
    );
    await rejects(
      printContainerLabel(db, { container: "LILO:C:000003", size: "huge", format: "png", out }),
      "validation_failed",
      /size: one of vial, small, bottle, large; format: one of pdf, zpl, svg/,
    );
    await rejects(
      printContainerLabel(db, { container: "LILO:C:000003", symbology: "aztec", copies: 0, out }),
      "validation_failed",
      /symbology: one of qr, microqr, rmqr, datamatrix; copies: a whole number from 1 to 100/,
    );
    await rejects(
      printContainerLabel(db, { container: "LILO:C:000003", copies: 101, out }),
      "validation_failed",
      /copies: a whole number from 1 to 100/,
    );
    await rejects(
      printContainerLabel(db, { container: "LILO:C:000003", org: "nope", out }),
      "not_found",
      /unknown organization/,
    );
    expect(existsSync(out)).toBe(false);
    const [c] = await db.withTenant(org.org_id, (tx) =>
      tx.select().from(chemicalInventory).where(eq(chemicalInventory.qr_code, "LILO:C:000003")),
    );
    expect(await labelEvents(c!.container_id)).toHaveLength(0);
  });
});
