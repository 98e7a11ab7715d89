// Reports on the real server when configured, with a real SMTP receiver on loopback: a scheduled report
// that is due is taken by exactly one of two instances, e-mailed with its PDF attached (pdftotext finds
// its rows), recorded as a run and as an audited export, and moved to its next run; a CSV on demand
// holds exactly the caller's rows, quoted and disarmed; another organization's caller gets 404 and bad
// input changes nothing.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import {
  cabinets,
  chemicalInventory,
  complianceAuditLog,
  containerTransactions,
  laboratories,
  reportRuns,
  scheduledReports,
  unifiedEventLog,
} from "../../shared/schema/tenant.js";
import { freePort } from "../../test/support/free-port.js";
import {
  ORG_TIME_ZONE,
  type ReportWorld,
  reportBackend,
  reportWorld,
} from "../../test/support/report-world.js";
import { reportRoutes } from "../api/v1/reports/reports.routes.js";
import { ReportService } from "./report.service.js";
import { ReportMailer } from "./report-mailer.js";

interface Mail {
  rcpt: string[];
  raw: string;
}

const DAY = 86_400_000;
/** A date `days` from now as a Berlin calendar shows it. */
const berlinDate = (days: number) =>
  new Date(Date.now() + days * DAY).toLocaleDateString("sv-SE", { timeZone: ORG_TIME_ZONE });

describe(`reports on ${reportBackend.name}`, () => {
  let w: ReportWorld;
  let smtp: SMTPServer;
  let mailer: ReportMailer;
  let instances: ReportService[];
  const mails: Mail[] = [];
  const where: { labA: string; cabA: string; labB: string; cabB: string } = {
    labA: "",
    cabA: "",
    labB: "",
    cabB: "",
  };

  beforeAll(async () => {
    const port = await freePort();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, done) {
        let raw = "";
        stream.on("data", (b: Buffer) => {
          raw += b.toString("latin1");
        });
        stream.on("end", () => {
          mails.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), raw });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(port, "127.0.0.1", resolve));
    mailer = new ReportMailer(`smtp://127.0.0.1:${port}`, "LILO reports <reports@lilo.test>");
    let first: ReportService | undefined;
    w = await reportWorld((access, database) => {
      first = new ReportService({ database, access, mailer, logger: silentLogger });
      return [reportRoutes({ access, reports: first })];
    });
    // A second cloud instance over the same database.
    instances = [
      first!,
      new ReportService({ database: w.database, access: w.access, mailer, logger: silentLogger }),
    ];

    await w.tenant(async (tx) => {
      const names = async (cabinet_id: string) => {
        const [row] = await tx
          .select({ cab: cabinets.cabinet_name, lab: laboratories.lab_name })
          .from(cabinets)
          .innerJoin(laboratories, eq(laboratories.lab_id, cabinets.lab_id))
          .where(eq(cabinets.cabinet_id, cabinet_id));
        return row!;
      };
      const a = await names(w.org.cabinet_id);
      const b = await names(w.cabinetB);
      Object.assign(where, { labA: a.lab, cabA: a.cab, labB: b.lab, cabB: b.cab });
      await tx.insert(chemicalInventory).values([
        {
          cabinet_id: w.org.cabinet_id,
          qr_code: "RPT-ETH",
          shelf_level: 2,
          chemical_name: "Ethanol absolute",
          cas_number: "64-17-5",
          quantity: "500",
          unit: "mL",
          hazard_class: ["flammable"],
          expiry_date: berlinDate(10),
        },
        {
          cabinet_id: w.org.cabinet_id,
          qr_code: "RPT-FORM",
          shelf_level: 1,
          chemical_name: "=SUM(A1,A2)",
          quantity: "1",
          unit: "g",
          expiry_date: berlinDate(20),
        },
        {
          cabinet_id: w.org.cabinet_id,
          qr_code: "RPT-LATER",
          shelf_level: 1,
          chemical_name: "Sodium chloride",
          quantity: "1000",
          unit: "g",
          expiry_date: berlinDate(90),
        },
      ]);
      const [fentanyl] = await tx
        .insert(chemicalInventory)
        .values({
          cabinet_id: w.cabinetB,
          qr_code: "RPT-FEN",
          shelf_level: 1,
          chemical_name: "Fentanyl citrate",
          cas_number: "990-73-8",
          quantity: "10",
          unit: "mg",
          dea_schedule: "II",
        })
        .returning();
      await tx.insert(containerTransactions).values({
        container_id: fentanyl!.container_id,
        transaction_type: "checkout",
        qr_code: "RPT-FEN",
        user_id: w.users.techB.user_id,
        user_name: "Bea Biologist",
        checkout_timestamp: new Date(Date.now() - 2 * 3600_000),
        expected_return_timestamp: new Date(Date.now() - 3600_000),
        source_cabinet_id: w.cabinetB,
        quantity_checkout: "2.5",
        quantity_unit: "mg",
        status: "active",
      });
    });
  }, 120_000);

  afterAll(async () => {
    mailer?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    await w?.dispose();
  });

  const runs = () => w.tenant((tx) => tx.select().from(reportRuns));
  const exportEvent = (runId: string) =>
    w.tenant(async (tx) => {
      const [event] = await tx
        .select()
        .from(unifiedEventLog)
        .where(
          and(
            sql`${unifiedEventLog.event_details}->>'action' = 'report_export'`,
            sql`${unifiedEventLog.event_details}->>'run_id' = ${runId}`,
          ),
        );
      const filed = event
        ? await tx.select().from(complianceAuditLog).where(eq(complianceAuditLog.event_id, event.event_id))
        : [];
      return { event, filed };
    });

  it("a due schedule is e-mailed once with its PDF, whose rows pdftotext finds, and is recorded and moved on", async () => {
    const res = await w.api("manager", `/orgs/${w.org.org_id}/scheduled-reports`, {
      method: "POST",
      body: {
        name: "Weekly DEA log",
        kind: "controlled_substance_log",
        schedule: "0 7 * * MON",
        recipients: ["officer@a.test"],
        cc: ["registrant@a.test"],
      },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as {
      schedule_id: string;
      timezone: string;
      next_run_at: string;
      format: string;
    };
    expect(created).toMatchObject({ timezone: ORG_TIME_ZONE, format: "pdf" });
    // Monday 07:00 in Berlin: 06:00 UTC in winter.
    const next = new Date(created.next_run_at);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 6, 0]);

    // Nothing is due yet.
    expect(await instances[0]!.runDue(w.org.org_id)).toEqual([]);
    await w.tenant((tx) =>
      tx
        .update(scheduledReports)
        .set({ next_run_at: new Date(Date.now() - 60_000) })
        .where(eq(scheduledReports.schedule_id, created.schedule_id)),
    );
    const [one, two] = await Promise.all(instances.map((s) => s.runDue(w.org.org_id)));
    const made = [...one!, ...two!];
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ status: "success", trigger: "schedule", row_count: 1 });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.rcpt.sort()).toEqual(["officer@a.test", "registrant@a.test"]);

    const parsed = await simpleParser(Buffer.from(mails[0]!.raw, "latin1"));
    expect(parsed.subject).toBe("Weekly DEA log: Controlled substance log");
    expect(parsed.attachments).toHaveLength(1);
    const pdf = parsed.attachments[0]!;
    expect(pdf.contentType).toBe("application/pdf");
    expect(pdf.filename).toMatch(/^controlled_substance_log-\d{4}-\d{2}-\d{2}\.pdf$/);
    const file = join(mkdtempSync(join(tmpdir(), "lilo-report-")), "report.pdf");
    writeFileSync(file, pdf.content);
    const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
    expect(text).toContain("Controlled substance log");
    expect(text).toContain("L.I.L.O. Demo University");
    expect(text).toMatch(/Fentanyl citrate\s+990-73-8\s+RPT-FEN\s+checkout\s+2\.5 mg/);
    expect(text).toContain("Bea Biologist");
    expect(text).toContain("Page 1 of 1");
    expect(text).not.toContain("Ethanol");

    const [run] = (await runs()).filter((r) => r.run_id === made[0]!.run_id);
    expect(run).toMatchObject({
      schedule_id: created.schedule_id,
      status: "success",
      format: "pdf",
      row_count: 1,
    });
    expect(run!.file_sha256).toBe(createHash("sha256").update(pdf.content).digest("hex"));
    expect(run!.recipients).toMatchObject({ to: ["officer@a.test"], cc: ["registrant@a.test"] });
    const schedule = (await (
      await w.api("manager", `/orgs/${w.org.org_id}/scheduled-reports/${created.schedule_id}`)
    ).json()) as { last_run_status: string; run_count: number; next_run_at: string };
    expect(schedule).toMatchObject({ last_run_status: "success", run_count: 1 });
    expect(new Date(schedule.next_run_at).getTime()).toBeGreaterThan(Date.now());

    const { event, filed } = await exportEvent(run!.run_id);
    expect(event).toMatchObject({ user_id: w.users.manager.user_id, event_type: "system" });
    expect(filed.map((f) => f.audit_category)).toEqual(["data_export"]);

    // Taken and moved on: another sweep sends nothing more.
    expect(await instances[1]!.runDue(w.org.org_id)).toEqual([]);
    expect(mails).toHaveLength(1);
  });

  it("a CSV on demand holds exactly the caller's rows, quoted and disarmed, and is recorded as an export", async () => {
    const res = await w.api("manager", `/orgs/${w.org.org_id}/reports/expiring_soon/run`, {
      method: "POST",
      body: { format: "csv" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="expiring_soon-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    // Bytes, not text(): a decoder drops the byte order mark the file starts with.
    const csv = Buffer.from(await res.arrayBuffer()).toString("utf8");
    expect(csv).toBe(
      [
        "\uFEFFExpires,Days left,Chemical,CAS,Code,Quantity,Laboratory,Cabinet,Shelf,Status",
        `${berlinDate(10)},10,Ethanol absolute,64-17-5,RPT-ETH,500 mL,${where.labA},${where.cabA},2,in_cabinet`,
        `${berlinDate(20)},20,"'=SUM(A1,A2)",,RPT-FORM,1 g,${where.labA},${where.cabA},1,in_cabinet`,
        "",
      ].join("\r\n"),
    );
    const runId = res.headers.get("x-report-run-id")!;
    const [run] = (await runs()).filter((r) => r.run_id === runId);
    expect(run).toMatchObject({
      trigger: "manual",
      requested_by: w.users.manager.user_id,
      row_count: 2,
      format: "csv",
    });
    expect((await exportEvent(runId)).filed.map((f) => f.audit_category)).toEqual(["data_export"]);

    // Lab B's technician reads lab B only: no row of lab A.
    const b = await w.api("techB", `/orgs/${w.org.org_id}/reports/expiring_soon/run`, {
      method: "POST",
      body: { format: "csv" },
    });
    expect(b.status).toBe(200);
    expect(Buffer.from(await b.arrayBuffer()).toString("utf8")).toBe(
      "\uFEFFExpires,Days left,Chemical,CAS,Code,Quantity,Laboratory,Cabinet,Shelf,Status\r\n",
    );
  });

  it("another organization's caller gets 404 and bad input is refused, with no run recorded", async () => {
    const before = (await runs()).length;
    const outsider = await w.api("outsider", `/orgs/${w.org.org_id}/reports/expiring_soon/run`, {
      method: "POST",
      body: { format: "csv" },
    });
    expect(outsider.status).toBe(404);
    expect(await outsider.text()).not.toContain("Ethanol");
    expect((await w.api("outsider", `/orgs/${w.org.org_id}/scheduled-reports`)).status).toBe(404);
    const list = await w.api("manager", `/orgs/${w.org.org_id}/scheduled-reports`);
    const [mine] = ((await list.json()) as { items: { schedule_id: string }[] }).items;
    expect(
      (await w.api("outsider", `/orgs/${w.otherOrg}/scheduled-reports/${mine!.schedule_id}`)).status,
    ).toBe(404);
    // A technician of the organization does not see the manager's schedule either.
    expect(
      (await w.api("techA", `/orgs/${w.org.org_id}/scheduled-reports/${mine!.schedule_id}`)).status,
    ).toBe(404);

    const post = (path: string, body: unknown) =>
      w.api("manager", `/orgs/${w.org.org_id}${path}`, { method: "POST", body });
    expect((await post("/reports/expiring_soon/run", { format: "xlsx" })).status).toBe(400);
    expect((await post("/reports/no_such_kind/run", { format: "csv" })).status).toBe(400);
    expect(
      (await post("/reports/transactions/run", { from: "2026-12-01T00:00:00Z", to: "2026-11-01T00:00:00Z" }))
        .status,
    ).toBe(400);
    const badSchedule = await post("/scheduled-reports", {
      name: "x",
      kind: "audit_log",
      schedule: "every monday",
      timezone: "Mars/Olympus_Mons",
      recipients: ["not an address"],
    });
    expect(badSchedule.status).toBe(400);
    const { fields } = ((await badSchedule.json()) as { error: { fields: Record<string, string> } }).error;
    expect(Object.keys(fields).sort()).toEqual(["recipients.0", "schedule", "timezone"]);
    expect((await runs()).length).toBe(before);
  });
});
