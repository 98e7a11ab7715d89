// The alert API, declared once with zod (OpenAPI): list and read an organization's alerts, take the
// workflow steps, read and change its notification settings. Each is decided by the one authorization
// function at the alert's cabinet: alert:read to see it, alert:acknowledge, alert:resolve (assign,
// resolve, false positive), org:manage for the settings. Another organization's ids answer 404.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ALERT_SEVERITIES, ALERT_STATUSES, ALERT_TYPES } from "../../shared/enums.js";
import { AppError, validationError } from "../../shared/errors.js";
import type { Permission } from "../../shared/permissions.js";
import {
  type ApiEnv,
  CONFLICT_RESPONSE,
  createApiRouter,
  ERROR_RESPONSES,
  json,
  OrgParams,
  SECURITY,
  Uuid,
} from "../api/v1/openapi.js";
import type { AccessService, OrgAccess } from "../authz/access.service.js";
import { actingUserId, callerLabel } from "../authz/caller.middleware.js";
import type { Alert } from "./alert.repository.js";
import {
  AcknowledgeInput,
  AlertQuery,
  type AlertService,
  AssignInput,
  ResolveInput,
} from "./alert.service.js";
import { AlertSettings } from "./alert-settings.js";

const AlertParams = OrgParams.extend({ alert: Uuid("alert") });

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

const errors = ERROR_RESPONSES;

const listRoute = createRoute({
  method: "get",
  path: "/orgs/{org}/alerts",
  summary: "List safety alerts, open ones first, newest first",
  security: SECURITY,
  request: {
    params: OrgParams,
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
  security: SECURITY,
  request: { params: AlertParams },
  responses: { 200: json(AlertView, "the alert"), ...errors },
});

const step = (action: string, body: z.ZodType, summary: string) =>
  createRoute({
    method: "post",
    path: `/orgs/{org}/alerts/{alert}/${action}`,
    summary,
    security: SECURITY,
    request: {
      params: AlertParams,
      body: { content: { "application/json": { schema: body } }, required: false },
    },
    responses: {
      200: json(AlertView, "the alert after the step"),
      ...errors,
      ...CONFLICT_RESPONSE,
    },
  });

const settingsGet = createRoute({
  method: "get",
  path: "/orgs/{org}/alert-settings",
  summary: "Notification channels and escalation steps of the organization",
  security: SECURITY,
  request: { params: OrgParams },
  responses: { 200: json(AlertSettings, "the settings"), ...errors },
});
const settingsPut = createRoute({
  method: "put",
  path: "/orgs/{org}/alert-settings",
  summary: "Change notification channels and escalation steps",
  security: SECURITY,
  request: {
    params: OrgParams,
    body: { content: { "application/json": { schema: AlertSettings } }, required: true },
  },
  responses: { 200: json(AlertSettings, "the settings now"), ...errors },
});

/** Where an alert sits, for the authorization function: its cabinet, or the organization. */
const placeOf = (access: OrgAccess, alert: Alert) =>
  alert.cabinet_id ? access.cabinetResource(alert.cabinet_id) : access.orgResource();

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

export function alertRoutes(deps: { access: AccessService; alerts: AlertService }) {
  const { access, alerts } = deps;
  const app = createApiRouter();
  const orgAccess = (c: Context<ApiEnv>, org: string) => access.forOrg(c.get("caller"), org);
  const actor = (c: Context<ApiEnv>) => ({
    user_id: actingUserId(c.get("caller")),
    email: callerLabel(c.get("caller")),
  });
  /** The alert if the caller may see it (404 otherwise, as if it did not exist), after `permission`. */
  const alertFor = async (c: Context<ApiEnv>, org: string, id: string, permission?: Permission) => {
    const a = await orgAccess(c, org);
    const alert = await alerts.get(org, id);
    const place = placeOf(a, alert);
    if (!a.can("alert:read", place)) throw new AppError("not_found", "no such alert in this organization");
    if (permission) a.require(permission, place);
    return alert;
  };

  app.openapi(listRoute, async (c) => {
    const { org } = c.req.valid("param");
    const a = await orgAccess(c, org);
    a.requireSomewhere("alert:read");
    const q = AlertQuery.safeParse(c.req.query());
    if (!q.success) throw validationError(q.error.issues);
    // Organization-wide readers see every alert; others the alerts of the cabinets they may read.
    const cabinets = a.can("alert:read", a.orgResource()) ? undefined : a.cabinetsWhere("alert:read");
    const page = await alerts.list(org, q.data, cabinets);
    return c.json({ items: page.items.map(view), next_cursor: page.next_cursor }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const { org, alert } = c.req.valid("param");
    return c.json(view(await alertFor(c, org, alert)), 200);
  });
  /** One workflow step: its route, the permission it needs at the alert, and the service call. */
  const addStep = <T>(
    action: string,
    input: z.ZodType<T>,
    permission: Permission,
    summary: string,
    run: (org: string, alert: string, who: ReturnType<typeof actor>, body: T) => Promise<Alert>,
  ) =>
    app.openapi(step(action, input, summary), async (c) => {
      const { org, alert } = c.req.valid("param");
      await alertFor(c, org, alert, permission);
      return c.json(view(await run(org, alert, actor(c), await body(c, input))), 200);
    });
  addStep("acknowledge", AcknowledgeInput, "alert:acknowledge", "Acknowledge an open alert", (...a) =>
    alerts.acknowledge(...a),
  );
  addStep(
    "assign",
    AssignInput,
    "alert:resolve",
    "Assign an alert to a member (it is then in progress)",
    (...a) => alerts.assign(...a),
  );
  addStep("resolve", ResolveInput, "alert:resolve", "Resolve an alert with what was done", (...a) =>
    alerts.resolve(...a),
  );
  addStep("false-positive", ResolveInput, "alert:resolve", "Close an alert as a false positive", (...a) =>
    alerts.falsePositive(...a),
  );
  app.openapi(settingsGet, async (c) => {
    const { org } = c.req.valid("param");
    (await orgAccess(c, org)).requireSomewhere("alert:read");
    return c.json(await alerts.settings(org), 200);
  });
  app.openapi(settingsPut, async (c) => {
    const { org } = c.req.valid("param");
    (await orgAccess(c, org)).require("org:manage");
    return c.json(await alerts.saveSettings(org, c.req.valid("json")), 200);
  });
  return app;
}
