// The alert API, declared once with zod (OpenAPI): list and read an organization's alerts, take the
// workflow steps, read and change its notification settings. Members read and acknowledge; owners,
// admins and managers assign, resolve, mark false positives and change the settings. Another
// organization's ids answer 404: nothing says whether they exist.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { ALERT_SEVERITIES, ALERT_STATUSES, ALERT_TYPES } from "../../shared/enums.js";
import { AppError, validationError } from "../../shared/errors.js";
import { type AccountService, canAdminister } from "../accounts/account.service.js";
import { type CloudEnv, userAuth } from "../api/auth.middleware.js";
import type { Alert } from "./alert.repository.js";
import {
  AcknowledgeInput,
  AlertQuery,
  type AlertService,
  AssignInput,
  ResolveInput,
} from "./alert.service.js";
import { AlertSettings } from "./alert-settings.js";

const Params = z.object({ org: z.uuid() });
const AlertParams = Params.extend({ alert: z.uuid() });

const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional(),
    }),
  })
  .openapi("Error");

const AlertView = z
  .object({
    alert_id: z.uuid(),
    cabinet_id: z.uuid().nullable(),
    lab_id: z.uuid().nullable(),
    shelf_id: z.number().int().nullable(),
    alert_type: z.enum(ALERT_TYPES),
    hazard_type: z.string().nullable(),
    severity: z.enum(ALERT_SEVERITIES),
    detected_at: z.string(),
    detection_method: z.string().nullable(),
    confidence: z.string().nullable(),
    scan_id: z.uuid().nullable(),
    container_id: z.uuid().nullable(),
    title: z.string(),
    description: z.string().nullable(),
    affected_area_description: z.string().nullable(),
    affected_containers: z.array(z.uuid()).nullable(),
    image_references: z.array(z.string()).nullable(),
    sensor_data: z.unknown(),
    status: z.enum(ALERT_STATUSES),
    acknowledged_by: z.uuid().nullable(),
    acknowledged_at: z.string().nullable(),
    acknowledged_via: z.string().nullable(),
    assigned_to: z.uuid().nullable(),
    assigned_at: z.string().nullable(),
    resolved_by: z.uuid().nullable(),
    resolved_at: z.string().nullable(),
    resolution_notes: z.string().nullable(),
    resolution_actions: z.array(z.string()).nullable(),
    escalation_level: z.number().int().nullable(),
    escalated_at: z.string().nullable(),
    notifications_sent: z.array(z.record(z.string(), z.unknown())).nullable(),
    action_required: z.string().nullable(),
  })
  .openapi("SafetyAlert");

const AlertList = z
  .object({ items: z.array(AlertView), next_cursor: z.string().nullable() })
  .openapi("SafetyAlertList");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const errors = {
  400: json(ErrorBody, "invalid input"),
  401: json(ErrorBody, "not signed in"),
  403: json(ErrorBody, "not allowed in this organization"),
  404: json(ErrorBody, "no such organization or alert"),
};

const listRoute = createRoute({
  method: "get",
  path: "/orgs/{org}/alerts",
  summary: "List safety alerts, open ones first, newest first",
  request: {
    params: Params,
    query: z.object({
      status: z
        .string()
        .optional()
        .openapi({ description: `comma-separated: ${ALERT_STATUSES.join(", ")}` }),
      severity: z
        .string()
        .optional()
        .openapi({ description: `comma-separated: ${ALERT_SEVERITIES.join(", ")}` }),
      type: z
        .string()
        .optional()
        .openapi({ description: `comma-separated: ${ALERT_TYPES.join(", ")}` }),
      cabinet: z.uuid().optional(),
      limit: z.string().optional().openapi({ description: "1-200, default 50" }),
      cursor: z.string().optional(),
    }),
  },
  responses: { 200: json(AlertList, "one page of alerts"), ...errors },
});

const getRoute = createRoute({
  method: "get",
  path: "/orgs/{org}/alerts/{alert}",
  summary: "One safety alert with its notification and escalation record",
  request: { params: AlertParams },
  responses: { 200: json(AlertView, "the alert"), ...errors },
});

const step = (action: string, body: z.ZodType, summary: string) =>
  createRoute({
    method: "post",
    path: `/orgs/{org}/alerts/{alert}/${action}`,
    summary,
    request: {
      params: AlertParams,
      body: { content: { "application/json": { schema: body } }, required: false },
    },
    responses: {
      200: json(AlertView, "the alert after the step"),
      ...errors,
      409: json(ErrorBody, "the alert's state does not allow this step"),
    },
  });

const settingsGet = createRoute({
  method: "get",
  path: "/orgs/{org}/alert-settings",
  summary: "Notification channels and escalation steps of the organization",
  request: { params: Params },
  responses: { 200: json(AlertSettings, "the settings"), ...errors },
});
const settingsPut = createRoute({
  method: "put",
  path: "/orgs/{org}/alert-settings",
  summary: "Change notification channels and escalation steps",
  request: {
    params: Params,
    body: { content: { "application/json": { schema: AlertSettings } }, required: true },
  },
  responses: { 200: json(AlertSettings, "the settings now"), ...errors },
});

/** A member of the route's organization; anyone else gets the 404 an unknown organization gets. */
function member(accounts: AccountService): MiddlewareHandler<CloudEnv> {
  const authenticate = userAuth(accounts);
  return (c, next) =>
    authenticate(c, async () => {
      const org = c.req.param("org") ?? "";
      if (!c.get("principal").memberships.some((m) => m.org_id === org)) {
        throw new AppError("not_found", `no organization ${org}`);
      }
      await next();
    });
}

function requireManager(c: Context<CloudEnv>, org: string): void {
  if (!canAdminister(c.get("principal"), org)) {
    throw new AppError("forbidden", "only owners, admins and managers of this organization may do this");
  }
}

/** An empty body is an empty object: acknowledging needs no note. */
async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const text = await c.req.text();
  const parsed = schema.safeParse(text.trim() === "" ? {} : safeJson(text));
  if (!parsed.success) throw validationError(parsed.error.issues);
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("validation_failed", "request body is not JSON");
  }
}

const view = (a: Alert) => JSON.parse(JSON.stringify(a)) as z.infer<typeof AlertView>;

export function alertRoutes(deps: { accounts: AccountService; alerts: AlertService }) {
  const { alerts } = deps;
  const app = new OpenAPIHono<CloudEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues);
    },
  });
  const auth = member(deps.accounts);
  app.use("/orgs/:org/alerts", auth);
  app.use("/orgs/:org/alerts/*", auth);
  app.use("/orgs/:org/alert-settings", auth);
  const actor = (c: Context<CloudEnv>) => ({
    user_id: c.get("principal").user_id,
    email: c.get("principal").email,
  });

  app.openapi(listRoute, async (c) => {
    const { org } = c.req.valid("param");
    const q = AlertQuery.safeParse(c.req.query());
    if (!q.success) throw validationError(q.error.issues);
    const page = await alerts.list(org, q.data);
    return c.json({ items: page.items.map(view), next_cursor: page.next_cursor }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const { org, alert } = c.req.valid("param");
    return c.json(view(await alerts.get(org, alert)), 200);
  });
  app.openapi(step("acknowledge", AcknowledgeInput, "Acknowledge an open alert"), async (c) => {
    const { org, alert } = c.req.valid("param");
    return c.json(view(await alerts.acknowledge(org, alert, actor(c), await body(c, AcknowledgeInput))), 200);
  });
  app.openapi(
    step("assign", AssignInput, "Assign an alert to a member (it is then in progress)"),
    async (c) => {
      const { org, alert } = c.req.valid("param");
      requireManager(c, org);
      return c.json(view(await alerts.assign(org, alert, actor(c), await body(c, AssignInput))), 200);
    },
  );
  app.openapi(step("resolve", ResolveInput, "Resolve an alert with what was done"), async (c) => {
    const { org, alert } = c.req.valid("param");
    requireManager(c, org);
    return c.json(view(await alerts.resolve(org, alert, actor(c), await body(c, ResolveInput))), 200);
  });
  app.openapi(step("false-positive", ResolveInput, "Close an alert as a false positive"), async (c) => {
    const { org, alert } = c.req.valid("param");
    requireManager(c, org);
    return c.json(view(await alerts.falsePositive(org, alert, actor(c), await body(c, ResolveInput))), 200);
  });
  app.openapi(settingsGet, async (c) => {
    const { org } = c.req.valid("param");
    return c.json(await alerts.settings(org), 200);
  });
  app.openapi(settingsPut, async (c) => {
    const { org } = c.req.valid("param");
    requireManager(c, org);
    return c.json(await alerts.saveSettings(org, c.req.valid("json")), 200);
  });
  return app;
}
