// Reports: run on demand (API, CLI) or on a schedule, rendered to CSV or PDF, scheduled ones e-mailed.
// Every run is a report_runs row, and every file produced is an audited export (data_export) recorded
// in the transaction that records the run. A person's report holds only what they may read; a
// scheduled report runs with its creator's access as it is at run time.
import { createHash } from "node:crypto";
import { z } from "zod";
import { AppError, parseInput } from "../../shared/errors.js";
import type { Logger } from "../../shared/logger.js";
import { accountRepository } from "../accounts/account.repository.js";
import { type AuditActor, recordAuditEvent } from "../audit/audit-event.js";
import type { AccessService, OrgAccess } from "../authz/access.service.js";
import { actingUserId, callerLabel } from "../authz/caller.middleware.js";
import type { Database, Tx } from "../db/database.js";
import { decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import { organizationRepository } from "../orgs/organization.repository.js";
import { type Run, reportRepository, runOrder, type Schedule, scheduleOrder } from "./report.repository.js";
import { renderReportCsv } from "./report-csv.js";
import { REPORT_KIND_NAMES, REPORT_KINDS, type ReportKindName } from "./report-kinds.js";
import type { ReportMailer } from "./report-mailer.js";
import { renderReportPdf } from "./report-pdf.js";
import { CronExpression, localTimestamp, nextRunAt, TimeZone } from "./report-schedule.js";
import type { ReportTable } from "./report-table.js";

export const FILE_FORMATS = ["csv", "pdf"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];
const MEDIA_TYPES: Record<FileFormat, string> = { csv: "text/csv; charset=utf-8", pdf: "application/pdf" };
/** A report with no period given, and a schedule's first run, cover this many days up to now. */
export const DEFAULT_PERIOD_DAYS = 30;
const DAY_MS = 86_400_000;
/** Due schedules one instance takes per organization and sweep; the rest wait for the next sweep. */
const CLAIM_BATCH = 10;

const Instant = z.iso
  .datetime({ offset: true, error: "an ISO 8601 date-time with offset" })
  .transform((s) => new Date(s));

export const RunReportInput = z
  .strictObject({
    format: z.enum(FILE_FORMATS).default("pdf"),
    from: Instant.optional(),
    to: Instant.optional(),
  })
  .refine((v) => !v.from || !v.to || v.from < v.to, { error: "from must be before to", path: ["from"] });
export type RunReportInput = z.infer<typeof RunReportInput>;

const Email = z.email({ error: "an e-mail address" }).max(254);
const ScheduleFields = z.strictObject({
  name: z.string().trim().min(1, "required").max(255),
  description: z.string().max(2000).nullable(),
  kind: z.enum(REPORT_KIND_NAMES),
  format: z.enum(FILE_FORMATS),
  schedule: CronExpression,
  timezone: TimeZone,
  recipients: z.array(Email).min(1, "at least one recipient").max(20),
  cc: z.array(Email).max(20),
  active: z.boolean(),
});
export const CreateScheduleInput = ScheduleFields.partial({
  description: true,
  format: true,
  timezone: true,
  cc: true,
  active: true,
});
export const UpdateScheduleInput = ScheduleFields.partial().refine((v) => Object.keys(v).length > 0, {
  message: "name at least one field to change",
});

export interface ReportFile {
  run_id: string;
  name: string;
  media_type: string;
  bytes: Buffer;
  rows: number;
}

export interface ScheduleView {
  schedule_id: string;
  name: string;
  description: string | null;
  kind: string;
  format: string;
  schedule: string;
  timezone: string;
  recipients: string[];
  cc: string[];
  active: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
  last_run_status: string | null;
  last_run_error: string | null;
  run_count: number;
  created_by: string | null;
  created_at: string | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
const scheduleView = (s: Schedule): ScheduleView => ({
  schedule_id: s.schedule_id,
  name: s.report_name,
  description: s.description,
  kind: s.report_template ?? "",
  format: s.format ?? "pdf",
  schedule: s.schedule_expression,
  timezone: s.timezone ?? "UTC",
  recipients: (s.recipients as string[]) ?? [],
  cc: (s.cc_recipients as string[] | null) ?? [],
  active: s.is_active !== false,
  next_run_at: iso(s.next_run_at),
  last_run_at: iso(s.last_run_at),
  last_run_status: s.last_run_status,
  last_run_error: s.last_run_error,
  run_count: s.run_count ?? 0,
  created_by: s.created_by,
  created_at: iso(s.created_at),
});

const notFound = () => new AppError("not_found", "no such scheduled report in this organization");
const failure = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 1000);

/** What a run reads: the cabinets whose rows it may show, and whether organization-level rows count. */
interface Reader {
  cabinet_ids: string[];
  org_wide: boolean;
}

function readerOf(access: OrgAccess, kind: ReportKindName): Reader {
  const permission = REPORT_KINDS[kind].permission;
  access.requireSomewhere(permission);
  return {
    cabinet_ids: access.cabinetsWhere(permission),
    org_wide: access.can(permission, access.orgResource()),
  };
}

interface Produce {
  kind: ReportKindName;
  format: FileFormat;
  from: Date;
  to: Date;
  reader: Reader;
  now: Date;
}

export class ReportService {
  constructor(
    private readonly deps: {
      database: Database;
      access: AccessService;
      mailer?: ReportMailer;
      logger: Logger;
    },
  ) {}

  /** A report as a file for a person or API key, recorded as a run and an audited export. */
  async run(
    access: OrgAccess,
    kind: ReportKindName,
    input: RunReportInput,
    now = new Date(),
  ): Promise<ReportFile> {
    const { format, from, to } = input;
    const reader = readerOf(access, kind);
    const caller = access.caller;
    const actor = { user_id: actingUserId(caller), name: callerLabel(caller) };
    return this.runNow(
      access.org_id,
      { kind, format, ...period(from, to, now), reader, now },
      "manual",
      actor,
    );
  }

  /** `lilo cloud report run`: the operator reads every cabinet of the organization. */
  async runAsOperator(
    orgId: string,
    kind: ReportKindName,
    input: RunReportInput,
    operator: string,
    now = new Date(),
  ): Promise<ReportFile> {
    const { format, from, to } = input;
    const cabinet_ids = await this.deps.database.withTenant(orgId, async (tx) => {
      if (!(await organizationRepository.find(tx, orgId)))
        throw new AppError("not_found", `no organization ${orgId}`);
      return reportRepository.cabinetIds(tx);
    });
    const reader = { cabinet_ids, org_wide: true };
    return this.runNow(orgId, { kind, format, ...period(from, to, now), reader, now }, "cli", {
      name: operator,
    });
  }

  private async runNow(
    orgId: string,
    p: Produce,
    trigger: "manual" | "cli",
    actor: AuditActor,
  ): Promise<ReportFile> {
    return this.deps.database.withTenant(orgId, async (tx) => {
      const file = await this.produce(tx, orgId, p);
      const run = await reportRepository.insertRun(tx, {
        report_kind: p.kind,
        format: p.format,
        trigger,
        requested_by: actor.user_id ?? null,
        period_start: p.from,
        period_end: p.to,
        started_at: p.now,
        ...finished(file),
      });
      await recordExport(tx, run, file, actor, null);
      return { ...file, run_id: run.run_id };
    });
  }

  private async produce(tx: Tx, orgId: string, p: Produce): Promise<Omit<ReportFile, "run_id">> {
    const org = await organizationRepository.find(tx, orgId);
    if (!org) throw new AppError("not_found", "no such organization");
    const time_zone = org.timezone ?? "UTC";
    const table = await REPORT_KINDS[p.kind].build(tx, {
      org_id: orgId,
      time_zone,
      now: p.now,
      from: p.from,
      to: p.to,
      ...p.reader,
    });
    const bytes = await render(table, p.format, {
      organization: org.org_name,
      period: `${localTimestamp(p.from, time_zone)} to ${localTimestamp(p.to, time_zone)} (${time_zone})`,
      generated_at: `${localTimestamp(p.now, time_zone)} (${time_zone})`,
    });
    const day = localTimestamp(p.now, time_zone).slice(0, 10);
    return {
      name: `${p.kind}-${day}.${p.format}`,
      media_type: MEDIA_TYPES[p.format],
      bytes,
      rows: table.rows.length,
    };
  }

  async listRuns(access: OrgAccess, page: PageRequest): Promise<Page<Run>> {
    const cursor = decodeCursor(page.cursor, 2);
    const who = this.everything(access) ? null : actingUserId(access.caller);
    return this.deps.database.withTenant(access.org_id, async (tx) =>
      pageOf(await reportRepository.listRuns(tx, who, page.limit + 1, cursor), page.limit, (r) =>
        runOrder.key({ at: r.started_at, id: r.run_id }),
      ),
    );
  }

  // Scheduled reports ------------------------------------------------------------------------------

  async createSchedule(
    access: OrgAccess,
    input: z.input<typeof CreateScheduleInput>,
    now = new Date(),
  ): Promise<ScheduleView> {
    const caller = access.caller;
    if (caller.kind !== "user") {
      throw new AppError(
        "forbidden",
        "a scheduled report runs with its creator's access: sign in as a person to create one",
      );
    }
    const v = parseInput(CreateScheduleInput, input, "scheduled report");
    readerOf(access, v.kind);
    return this.deps.database.withTenant(access.org_id, async (tx) => {
      const timezone =
        v.timezone ?? (await organizationRepository.find(tx, access.org_id))?.timezone ?? "UTC";
      const row = await reportRepository.insertSchedule(tx, {
        report_name: v.name,
        description: v.description ?? null,
        report_template: v.kind,
        schedule_expression: v.schedule,
        timezone,
        delivery_method: "email",
        recipients: v.recipients,
        cc_recipients: v.cc ?? [],
        format: v.format ?? "pdf",
        is_active: v.active ?? true,
        next_run_at: nextRunAt(v.schedule, timezone, now),
        created_by: caller.user_id,
      });
      await recordAuditEvent(tx, {
        action: "scheduled_report_created",
        type: "manual",
        category: "user_action",
        summary: `scheduled report ${row.report_name} (${v.kind}, ${row.schedule_expression} ${timezone}) created`,
        actor: { user_id: caller.user_id, name: caller.email },
        new_values: scheduleView(row) as unknown as Record<string, unknown>,
      });
      return scheduleView(row);
    });
  }

  async listSchedules(access: OrgAccess, page: PageRequest): Promise<Page<ScheduleView>> {
    const cursor = decodeCursor(page.cursor, 2);
    const who = this.everything(access) ? null : actingUserId(access.caller);
    return this.deps.database.withTenant(access.org_id, async (tx) => {
      const p = pageOf(
        await reportRepository.listSchedules(tx, who, page.limit + 1, cursor),
        page.limit,
        (s) => scheduleOrder.key({ at: s.created_at, id: s.schedule_id }),
      );
      return { ...p, items: p.items.map(scheduleView) };
    });
  }

  async getSchedule(access: OrgAccess, id: string): Promise<ScheduleView> {
    return this.deps.database.withTenant(access.org_id, async (tx) =>
      scheduleView(await this.visible(tx, access, id)),
    );
  }

  async updateSchedule(
    access: OrgAccess,
    id: string,
    input: z.input<typeof UpdateScheduleInput>,
    now = new Date(),
  ): Promise<ScheduleView> {
    const v = parseInput(UpdateScheduleInput, input, "scheduled report");
    return this.deps.database.withTenant(access.org_id, async (tx) => {
      const before = await this.visible(tx, access, id);
      if (v.kind) readerOf(access, v.kind);
      const expression = v.schedule ?? before.schedule_expression;
      const timezone = v.timezone ?? before.timezone ?? "UTC";
      const row = await reportRepository.updateSchedule(tx, id, {
        report_name: v.name,
        description: v.description,
        report_template: v.kind,
        format: v.format,
        schedule_expression: v.schedule,
        timezone: v.timezone,
        recipients: v.recipients,
        cc_recipients: v.cc,
        is_active: v.active,
        next_run_at: nextRunAt(expression, timezone, now),
      });
      await recordAuditEvent(tx, {
        action: "scheduled_report_updated",
        type: "manual",
        category: "user_action",
        summary: `scheduled report ${row!.report_name} changed`,
        actor: { user_id: actingUserId(access.caller), name: callerLabel(access.caller) },
        old_values: scheduleView(before) as unknown as Record<string, unknown>,
        new_values: scheduleView(row!) as unknown as Record<string, unknown>,
      });
      return scheduleView(row!);
    });
  }

  async deleteSchedule(access: OrgAccess, id: string): Promise<void> {
    await this.deps.database.withTenant(access.org_id, async (tx) => {
      const before = await this.visible(tx, access, id);
      await reportRepository.deleteSchedule(tx, id);
      await recordAuditEvent(tx, {
        action: "scheduled_report_deleted",
        type: "manual",
        category: "user_action",
        summary: `scheduled report ${before.report_name} deleted`,
        actor: { user_id: actingUserId(access.caller), name: callerLabel(access.caller) },
        old_values: scheduleView(before) as unknown as Record<string, unknown>,
      });
    });
  }

  /** Organization managers see every schedule and run; everyone else their own. */
  private everything(access: OrgAccess): boolean {
    return access.can("org:manage", access.orgResource());
  }

  private async visible(tx: Tx, access: OrgAccess, id: string): Promise<Schedule> {
    const row = await reportRepository.findSchedule(tx, id);
    if (!row || (!this.everything(access) && row.created_by !== actingUserId(access.caller)))
      throw notFound();
    return row;
  }

  // The scheduler's side ---------------------------------------------------------------------------

  /**
   * Runs the organization's due schedules: claims them (each moved to its next run, with a `running`
   * run row, in one transaction that skips rows another instance holds), then produces, mails and
   * records each. Answers the runs it made.
   */
  async runDue(orgId: string, now = new Date()): Promise<Run[]> {
    const claimed = await this.deps.database.withTenant(orgId, async (tx) => {
      const due = await reportRepository.lockDue(tx, now, CLAIM_BATCH);
      const out: { schedule: Schedule; run: Run }[] = [];
      for (const s of due) {
        const timezone = s.timezone ?? "UTC";
        await reportRepository.updateSchedule(tx, s.schedule_id, {
          next_run_at: nextRunAt(s.schedule_expression, timezone, now),
          last_run_at: now,
        });
        const run = await reportRepository.insertRun(tx, {
          schedule_id: s.schedule_id,
          report_kind: s.report_template ?? "",
          format: s.format ?? "pdf",
          trigger: "schedule",
          requested_by: s.created_by,
          period_start: s.last_run_at ?? new Date(now.getTime() - DEFAULT_PERIOD_DAYS * DAY_MS),
          period_end: now,
          started_at: now,
        });
        out.push({ schedule: s, run });
      }
      return out;
    });
    const runs: Run[] = [];
    for (const c of claimed) runs.push(await this.deliver(orgId, c.schedule, c.run, now));
    return runs;
  }

  private async deliver(orgId: string, s: Schedule, run: Run, now: Date): Promise<Run> {
    const { database, mailer } = this.deps;
    const record = (
      set: Partial<Run>,
      error: string | null,
      audit?: { file: Omit<ReportFile, "run_id">; actor: AuditActor; to: unknown },
    ) =>
      database.withTenant(orgId, async (tx) => {
        await reportRepository.updateRun(tx, run.run_id, { ...set, finished_at: new Date() });
        await reportRepository.countRun(tx, s.schedule_id, error ? "failed" : "success", error);
        if (audit) await recordExport(tx, { ...run, ...set }, audit.file, audit.actor, audit.to);
        return { ...run, ...set, finished_at: new Date() } as Run;
      });
    try {
      const kind = s.report_template as ReportKindName;
      if (!(kind in REPORT_KINDS)) throw new Error(`unknown report kind ${s.report_template}`);
      if (!mailer) throw new Error("no SMTP server configured (LILO_SMTP_URL): the report was not sent");
      const { access, email } = await this.creatorAccess(orgId, s.created_by);
      const reader = readerOf(access, kind);
      const file = await database.withTenant(orgId, (tx) =>
        this.produce(tx, orgId, {
          kind,
          format: (s.format ?? "pdf") as FileFormat,
          from: run.period_start!,
          to: run.period_end!,
          reader,
          now,
        }),
      );
      const to = (s.recipients as string[]) ?? [];
      const cc = (s.cc_recipients as string[] | null) ?? [];
      const receipt = await mailer.send({
        to,
        cc,
        subject: `${s.report_name}: ${REPORT_KINDS[kind].title}`,
        text: [
          `${REPORT_KINDS[kind].title}, ${file.rows} row${file.rows === 1 ? "" : "s"}, attached as ${file.name}.`,
          `Scheduled report "${s.report_name}" (${s.schedule_expression}, ${s.timezone}), run ${run.run_id}.`,
          s.description ?? "",
        ]
          .filter(Boolean)
          .join("\n"),
        file: { name: file.name, media_type: file.media_type, bytes: file.bytes },
      });
      const recipients = { to, cc, ...receipt };
      return await record({ ...finished(file), recipients }, null, {
        file,
        actor: { user_id: s.created_by, name: email },
        to: recipients,
      });
    } catch (err) {
      this.deps.logger.error({ err, org_id: orgId, schedule_id: s.schedule_id }, "scheduled report failed");
      return record({ status: "failed", error: failure(err) }, failure(err));
    }
  }

  /** The creator's access now: a person who left the organization or lost the permission gets no report. */
  private async creatorAccess(
    orgId: string,
    userId: string | null,
  ): Promise<{ access: OrgAccess; email: string }> {
    const principal = userId
      ? await this.deps.database.asService(async (tx) => {
          const user = await accountRepository.findById(tx, userId);
          if (user?.status !== "active") return undefined;
          return {
            user_id: user.user_id,
            email: user.email,
            memberships: await accountRepository.activeMemberships(tx, userId),
          };
        })
      : undefined;
    if (!principal?.memberships.some((m) => m.org_id === orgId)) {
      throw new Error(
        "the person who scheduled this report is no longer an active member of the organization",
      );
    }
    return {
      access: await this.deps.access.forOrg({ kind: "user", ...principal }, orgId),
      email: principal.email,
    };
  }
}

function period(from: Date | undefined, to: Date | undefined, now: Date): { from: Date; to: Date } {
  const end = to ?? now;
  return { from: from ?? new Date(end.getTime() - DEFAULT_PERIOD_DAYS * DAY_MS), to: end };
}

const finished = (file: Omit<ReportFile, "run_id">) => ({
  status: "success" as const,
  finished_at: new Date(),
  row_count: file.rows,
  file_name: file.name,
  file_bytes: file.bytes.length,
  file_sha256: createHash("sha256").update(file.bytes).digest("hex"),
});

function render(
  table: ReportTable,
  format: FileFormat,
  heading: Parameters<typeof renderReportPdf>[1],
): Promise<Buffer> {
  return format === "csv" ? Promise.resolve(renderReportCsv(table)) : renderReportPdf(table, heading);
}

/** An export is an audited action (issue 17 item 1), filed as data_export in compliance_audit_log too. */
function recordExport(
  tx: Tx,
  run: Run,
  file: Omit<ReportFile, "run_id">,
  actor: AuditActor,
  recipients: unknown,
) {
  return recordAuditEvent(tx, {
    action: "report_export",
    type: "system",
    category: "system",
    summary: `report ${run.report_kind} exported as ${run.format.toUpperCase()} (${file.rows} rows)${recipients ? " and e-mailed" : ""}`,
    actor,
    details: {
      run_id: run.run_id,
      schedule_id: run.schedule_id,
      kind: run.report_kind,
      format: run.format,
      trigger: run.trigger,
      rows: file.rows,
      file_name: file.name,
      file_sha256: createHash("sha256").update(file.bytes).digest("hex"),
      period: { from: iso(run.period_start), to: iso(run.period_end) },
      ...(recipients ? { recipients } : {}),
    },
    audit_category: "data_export",
  });
}
