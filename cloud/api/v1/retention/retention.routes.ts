// Retention by record class and legal holds of an organization (docs/retention.md): anyone who may read
// events sees the periods, their sources and the holds; only retention:manage (owners, admins) lengthens
// a period or places and releases a hold, each recorded in the audit trail.
import { createRoute, z } from "@hono/zod-openapi";
import { HOLD_SCOPES, RECORD_CLASSES } from "../../../../shared/enums.js";
import type { AccessService } from "../../../authz/access.service.js";
import { actingUserId, type Caller, callerLabel } from "../../../authz/caller.middleware.js";
import type { HoldRow } from "../../../retention/retention.repository.js";
import type { Actor, RetentionService } from "../../../retention/retention.service.js";
import {
  CONFLICT_RESPONSE,
  createApiRouter,
  ERROR_RESPONSES,
  json,
  jsonBody,
  OrgParams,
  SECURITY,
  Timestamp,
  Uuid,
} from "../openapi.js";

const RecordClassPolicy = z
  .object({
    record_class: z.enum(RECORD_CLASSES),
    days: z.number().int().openapi({ description: "the default, also the least an organization may set" }),
    source: z.string().openapi({ description: "where the period comes from (regulation)" }),
    records: z.string().openapi({ description: "what the class covers" }),
    configured_days: z.number().int().nullable().openapi({ description: "the organization's own period" }),
    effective_days: z.number().int(),
  })
  .openapi("RetentionClass");

const Hold = z
  .object({
    hold_id: z.uuid(),
    scope_type: z.enum(HOLD_SCOPES),
    scope_id: z.uuid(),
    reason: z.string(),
    placed_by: z.uuid().nullable(),
    placed_by_name: z.string(),
    placed_at: Timestamp,
    released_by: z.uuid().nullable(),
    released_by_name: z.string().nullable(),
    released_at: Timestamp,
    release_reason: z.string().nullable(),
  })
  .openapi("LegalHold");

const Reason = z.string().trim().min(1, { error: "say why" }).max(2000);

const PeriodBody = z.strictObject({
  days: z
    .number({ error: "a whole number of days" })
    .int({ error: "a whole number of days" })
    .max(365 * 100, { error: "at most 100 years" }),
});

const HoldBody = z.strictObject({
  scope_type: z.enum(HOLD_SCOPES),
  scope_id: z
    .uuid({ error: "must be a UUID" })
    .optional()
    .openapi({ description: "the cabinet or container; for the organization, omitted or the org id" }),
  reason: Reason,
});

const ClassParams = OrgParams.extend({
  record_class: z.enum(RECORD_CLASSES).openapi({ param: { name: "record_class", in: "path" } }),
});
const HoldParams = OrgParams.extend({ hold: Uuid("hold") });
const HoldQuery = z.object({
  active: z
    .enum(["true", "false"])
    .default("true")
    .openapi({ param: { name: "active", in: "query" }, description: "only holds still in force" }),
});

const tags = ["Retention"];

const actorOf = (caller: Caller): Actor => ({ user_id: actingUserId(caller), name: callerLabel(caller) });

function holdJson(h: HoldRow) {
  return { ...h, placed_at: h.placed_at.toISOString(), released_at: h.released_at?.toISOString() ?? null };
}

export function retentionRoutes(deps: { access: AccessService; retention: RetentionService }) {
  const { access, retention } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/retention",
      tags,
      summary: "Retention periods by record class, with their defaults, minimums and sources",
      security: SECURITY,
      request: { params: OrgParams },
      responses: {
        200: json(z.object({ items: z.array(RecordClassPolicy) }), "the periods"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      (await access.forOrg(c.get("caller"), org)).require("event:read");
      return c.json({ items: await retention.policy(org) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/orgs/{org}/retention/{record_class}",
      tags,
      summary: "Lengthen a record class's period (a period below its legal minimum is refused with 400)",
      security: SECURITY,
      request: { params: ClassParams, body: jsonBody(PeriodBody) },
      responses: { 200: json(RecordClassPolicy, "the class's period now"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, record_class } = c.req.valid("param");
      const caller = c.get("caller");
      (await access.forOrg(caller, org)).require("retention:manage");
      const { days } = c.req.valid("json");
      return c.json(await retention.setPeriod(org, actorOf(caller), record_class, days), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/legal-holds",
      tags,
      summary: "Legal holds: those in force, or (active=false) every hold with its release",
      security: SECURITY,
      request: { params: OrgParams, query: HoldQuery },
      responses: { 200: json(z.object({ items: z.array(Hold) }), "the holds"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      (await access.forOrg(c.get("caller"), org)).require("event:read");
      const active = c.req.valid("query").active === "true";
      return c.json({ items: (await retention.holds(org, active)).map(holdJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/legal-holds",
      tags,
      summary: "Place a legal hold on the organization, a cabinet or a container: no deletion until released",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(HoldBody) },
      responses: { 201: json(Hold, "the hold"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      const caller = c.get("caller");
      (await access.forOrg(caller, org)).require("retention:manage");
      return c.json(holdJson(await retention.placeHold(org, actorOf(caller), c.req.valid("json"))), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/legal-holds/{hold}/release",
      tags,
      summary: "Release a legal hold (recorded: who, when, why)",
      security: SECURITY,
      request: { params: HoldParams, body: jsonBody(z.strictObject({ reason: Reason })) },
      responses: { 200: json(Hold, "the released hold"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const { org, hold } = c.req.valid("param");
      const caller = c.get("caller");
      (await access.forOrg(caller, org)).require("retention:manage");
      const { reason } = c.req.valid("json");
      return c.json(holdJson(await retention.releaseHold(org, actorOf(caller), hold, reason)), 200);
    },
  );

  return app;
}
