// Who am I, and the organizations I am in: the entry point of the API and the dashboard.
import { createRoute, z } from "@hono/zod-openapi";
import { ORG_ROLES } from "../../../../shared/enums.js";
import { PERMISSIONS } from "../../../../shared/permissions.js";
import type { AccessService } from "../../../authz/access.service.js";
import type { OrganizationReader } from "../../../orgs/organization.service.js";
import {
  createApiRouter,
  ERROR_RESPONSES,
  json,
  OrgParams,
  PageQuery,
  pageSchema,
  SECURITY,
  Timestamp,
} from "../openapi.js";

const Organization = z
  .object({
    org_id: z.uuid(),
    org_name: z.string(),
    org_slug: z.string(),
    org_type: z.string(),
    subscription_tier: z.string(),
    status: z.string().nullable(),
    timezone: z.string().nullable(),
    created_at: Timestamp,
  })
  .openapi("Organization");

const Me = z
  .object({
    kind: z.enum(["user", "api_key"]),
    user_id: z.uuid().optional(),
    email: z.string().optional(),
    api_key_id: z.uuid().optional(),
    organizations: z.array(
      Organization.extend({
        org_role: z.enum(ORG_ROLES).nullable(),
        /** What the caller may do somewhere in the organization (for showing and hiding actions). */
        permissions: z.array(z.enum(PERMISSIONS)),
      }),
    ),
  })
  .openapi("Me");

const tags = ["Organizations"];

export function orgRoutes(deps: { access: AccessService; organizations: OrganizationReader }) {
  const { access, organizations } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags,
      summary: "The caller: a person or an API key, its organizations and what it may do in each",
      security: SECURITY,
      responses: { 200: json(Me, "the caller"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const caller = c.get("caller");
      const orgIds = caller.kind === "user" ? caller.memberships.map((m) => m.org_id) : [caller.org_id];
      const orgs = await organizations.many(orgIds);
      const withAccess = await Promise.all(
        orgs.map(async (o) => {
          const a = await access.forOrg(caller, o.org_id);
          return {
            ...o,
            org_role: a.subject.org_role ?? null,
            permissions: PERMISSIONS.filter((p) => a.canSomewhere(p)),
          };
        }),
      );
      return c.json(
        {
          kind: caller.kind,
          ...(caller.kind === "user"
            ? { user_id: caller.user_id, email: caller.email }
            : { api_key_id: caller.api_key_id }),
          organizations: withAccess,
        } as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs",
      tags,
      summary: "The organizations the caller belongs to (a person's memberships, an API key's own), by name",
      security: SECURITY,
      request: { query: PageQuery },
      responses: {
        200: json(pageSchema(Organization, "OrganizationPage"), "a page of organizations"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const orgIds = caller.kind === "user" ? caller.memberships.map((m) => m.org_id) : [caller.org_id];
      return c.json((await organizations.page(orgIds, c.req.valid("query"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}",
      tags,
      summary: "One organization the caller belongs to",
      security: SECURITY,
      request: { params: OrgParams },
      responses: { 200: json(Organization, "the organization"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      (await access.forOrg(c.get("caller"), org)).requireSomewhere("org:read");
      return c.json((await organizations.get(org)) as never, 200);
    },
  );

  return app;
}
