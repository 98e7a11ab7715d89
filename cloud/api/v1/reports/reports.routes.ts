// Reports: the kinds, a run on demand answered as the file (CSV or PDF), the record of runs, and
// scheduled reports e-mailed on a cron schedule in the organization's time zone (docs/reports.md).
import { createRoute, z } from "@hono/zod-openapi";
import type { AccessService } from "../../../authz/access.service.js";
import {
  CreateScheduleInput,
  type ReportService,
  RunReportInput,
  UpdateScheduleInput,
} from "../../../reports/report.service.js";
import { REPORT_KIND_NAMES, REPORT_KINDS } from "../../../reports/report-kinds.js";
import {
  createApiRouter,
  ERROR_RESPONSES,
  json,
  jsonBody,
  OrgParams,
  PageQuery,
  pageSchema,
  SECURITY,
  Timestamp,
} from "../openapi.js";

const Kind = z.enum(REPORT_KIND_NAMES).openapi({ param: { name: "kind", in: "path" } });
const KindInfo = z
  .object({ kind: z.enum(REPORT_KIND_NAMES), title: z.string(), permission: z.string() })
  .openapi("ReportKind");
const Binary = z.string().openapi({ type: "string", format: "binary" });

const Run = z
  .looseObject({
    run_id: z.uuid(),
    schedule_id: z.uuid().nullable(),
    report_kind: z.string(),
    format: z.string(),
    trigger: z.enum(["manual", "schedule", "cli"]),
    requested_by: z.uuid().nullable(),
    period_start: Timestamp,
    period_end: Timestamp,
    started_at: Timestamp,
    finished_at: Timestamp,
    status: z.enum(["running", "success", "failed"]),
    row_count: z.number().int().nullable(),
    file_name: z.string().nullable(),
    file_bytes: z.number().int().nullable(),
    file_sha256: z.string().nullable(),
    recipients: z.unknown(),
    error: z.string().nullable(),
  })
  .openapi("ReportRun");

const Schedule = z
  .object({
    schedule_id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    kind: z.string(),
    format: z.string(),
    schedule: z.string().openapi({ example: "0 7 * * MON" }),
    timezone: z.string().openapi({ example: "Europe/Berlin" }),
    recipients: z.array(z.string()),
    cc: z.array(z.string()),
    active: z.boolean(),
    next_run_at: Timestamp,
    last_run_at: Timestamp,
    last_run_status: z.string().nullable(),
    last_run_error: z.string().nullable(),
    run_count: z.number().int(),
    created_by: z.uuid().nullable(),
    created_at: Timestamp,
  })
  .openapi("ScheduledReport");

const ScheduleParams = OrgParams.extend({
  schedule: z.uuid({ error: "must be a UUID" }).openapi({ param: { name: "schedule", in: "path" } }),
});
const tags = ["Reports"];

export function reportRoutes(deps: { access: AccessService; reports: ReportService }) {
  const { access, reports } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/reports",
      tags,
      summary: "The report kinds and the permission each needs",
      security: SECURITY,
      request: { params: OrgParams },
      responses: { 200: json(z.object({ items: z.array(KindInfo) }), "the kinds"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      await access.forOrg(c.get("caller"), c.req.valid("param").org);
      const items = REPORT_KIND_NAMES.map((kind) => ({
        kind,
        title: REPORT_KINDS[kind].title,
        permission: REPORT_KINDS[kind].permission,
      }));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/reports/{kind}/run",
      tags,
      summary:
        "Run a report now over what you may read and download it (CSV or PDF); the run and the export are recorded",
      description:
        "The period defaults to the 30 days before `to` (default now). The response carries the run's id in `X-Report-Run-Id`.",
      security: SECURITY,
      request: { params: OrgParams.extend({ kind: Kind }), body: jsonBody(RunReportInput) },
      responses: {
        200: {
          description: "the report file",
          content: { "text/csv": { schema: Binary }, "application/pdf": { schema: Binary } },
        },
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org, kind } = c.req.valid("param");
      const file = await reports.run(await access.forOrg(c.get("caller"), org), kind, c.req.valid("json"));
      return c.body(new Uint8Array(file.bytes), 200, {
        "content-type": file.media_type,
        "content-disposition": `attachment; filename="${file.name}"`,
        "x-report-run-id": file.run_id,
        "x-content-type-options": "nosniff",
      });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/report-runs",
      tags,
      summary: "Report runs, newest first: yours and your schedules' (every run for organization managers)",
      security: SECURITY,
      request: { params: OrgParams, query: PageQuery },
      responses: { 200: json(pageSchema(Run, "ReportRunPage"), "a page of runs"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await reports.listRuns(a, c.req.valid("query"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/scheduled-reports",
      tags,
      summary:
        "Schedule a report: a five-field cron expression in a time zone (default the organization's), e-mailed to its recipients; it runs with your access at run time",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateScheduleInput) },
      responses: { 201: json(Schedule, "the schedule, with its next run"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await reports.createSchedule(a, c.req.valid("json"))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/scheduled-reports",
      tags,
      summary: "Your scheduled reports (every one for organization managers), newest first",
      security: SECURITY,
      request: { params: OrgParams, query: PageQuery },
      responses: {
        200: json(pageSchema(Schedule, "ScheduledReportPage"), "a page of schedules"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await reports.listSchedules(a, c.req.valid("query"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/scheduled-reports/{schedule}",
      tags,
      summary: "One scheduled report",
      security: SECURITY,
      request: { params: ScheduleParams },
      responses: { 200: json(Schedule, "the schedule"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, schedule } = c.req.valid("param");
      return c.json(
        (await reports.getSchedule(await access.forOrg(c.get("caller"), org), schedule)) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/orgs/{org}/scheduled-reports/{schedule}",
      tags,
      summary: "Change a scheduled report (its next run is computed again)",
      security: SECURITY,
      request: { params: ScheduleParams, body: jsonBody(UpdateScheduleInput) },
      responses: { 200: json(Schedule, "the schedule"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, schedule } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await reports.updateSchedule(a, schedule, c.req.valid("json"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/orgs/{org}/scheduled-reports/{schedule}",
      tags,
      summary: "Delete a scheduled report (its past runs stay recorded)",
      security: SECURITY,
      request: { params: ScheduleParams },
      responses: { 204: { description: "deleted" }, ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, schedule } = c.req.valid("param");
      await reports.deleteSchedule(await access.forOrg(c.get("caller"), org), schedule);
      return c.body(null, 204);
    },
  );

  return app;
}
