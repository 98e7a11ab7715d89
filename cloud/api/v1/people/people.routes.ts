// People and access: members, roles, scoped grants and cabinet credentials (badge, PIN).
import { createRoute, z } from "@hono/zod-openapi";
import type { AccessService } from "../../../authz/access.service.js";
import {
  CreateGrantInput,
  CreateMemberInput,
  CreateRoleInput,
  CredentialsInput,
  GrantQuery,
  MemberQuery,
  type PeopleService,
  UpdateMemberInput,
} from "../../../people/people.service.js";
import {
  CONFLICT_RESPONSE,
  createApiRouter,
  ERROR_RESPONSES,
  json,
  jsonBody,
  OrgParams,
  PageQuery,
  pageSchema,
  RevokedCount,
  SECURITY,
  Timestamp,
  Uuid,
} from "../openapi.js";

const Credentials = z
  .object({
    user_id: z.uuid(),
    has_badge: z.boolean(),
    has_pin: z.boolean(),
    user_number: z.number().int().nullable(),
    status: z.string(),
  })
  .openapi("CabinetCredentials");
const Member = z
  .object({
    user_id: z.uuid(),
    email: z.string(),
    display_name: z.string().nullable(),
    status: z.string().nullable(),
    org_role: z.string(),
    membership_status: z
      .string()
      .nullable()
      .openapi({ description: "active, invited, suspended or removed" }),
    membership_updated_at: Timestamp.openapi({
      description: "when the role or membership last changed; who changed it is in the audit trail",
    }),
    credentials: Credentials.nullable().openapi({
      description: "what the cabinets hold for this person; null when nothing is enrolled",
    }),
  })
  .openapi("Member");
const Role = z
  .looseObject({
    role_id: z.uuid(),
    role_name: z.string(),
    role_slug: z.string(),
    is_system_role: z.boolean().nullable(),
    permissions: z.array(z.string()),
    inherits_from: z.uuid().nullable(),
  })
  .openapi("Role");
const Grant = z
  .object({
    assignment_id: z.uuid(),
    user_id: z.uuid(),
    role_id: z.uuid(),
    scope_type: z.string(),
    scope_id: z.uuid(),
    granted_by: z.uuid().nullable(),
    granted_at: Timestamp,
    expires_at: Timestamp,
    is_active: z.boolean().nullable(),
    revoked_at: Timestamp,
    revoked_by: z.uuid().nullable(),
  })
  .openapi("Grant");

const UserParams = OrgParams.extend({ user: Uuid("user") });
const tags = ["People and access"];

export function peopleRoutes(deps: { access: AccessService; people: PeopleService }) {
  const { access, people } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/users",
      tags,
      summary: "Members of the organization (by email), each with their badge and PIN state",
      security: SECURITY,
      request: {
        params: OrgParams,
        query: PageQuery.extend({
          include_removed: MemberQuery.shape.include_removed.openapi({
            param: { name: "include_removed", in: "query" },
            description: "also list removed members (default false)",
          }),
        }),
      },
      responses: { 200: json(pageSchema(Member, "MemberPage"), "a page of members"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      const { limit, cursor, ...q } = c.req.valid("query");
      return c.json((await people.members(a, q, { limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/users",
      tags,
      summary: "Create a person's account in the organization, or invite an existing account",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateMemberInput) },
      responses: {
        201: json(z.object({ user_id: z.uuid() }).openapi("CreatedUser"), "the person"),
        ...ERROR_RESPONSES,
        ...CONFLICT_RESPONSE,
      },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await people.createMember(a, c.req.valid("json"))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/users/{user}",
      tags,
      summary: "One member with their cabinet credentials (whether a badge and PIN are enrolled)",
      security: SECURITY,
      request: { params: UserParams },
      responses: { 200: json(Member, "the member"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, user } = c.req.valid("param");
      return c.json((await people.member(await access.forOrg(c.get("caller"), org), user)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/orgs/{org}/users/{user}",
      tags,
      summary:
        "Change a member's organization role (owner and admin roles: an organization admin; the last one stays); audited",
      security: SECURITY,
      request: { params: UserParams, body: jsonBody(UpdateMemberInput) },
      responses: { 200: json(Member, "the member"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const { org, user } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await people.updateMember(a, user, c.req.valid("json"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/orgs/{org}/users/{user}",
      tags,
      summary:
        "Remove a member: grants revoked, cabinet credentials deactivated (cabinets drop them with the next downlink); audited",
      security: SECURITY,
      request: { params: UserParams },
      responses: { 200: json(Member, "the removed member"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const { org, user } = c.req.valid("param");
      return c.json(
        (await people.removeMember(await access.forOrg(c.get("caller"), org), user)) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/users/{user}/sessions/revoke",
      tags,
      summary: "Sign a member out everywhere at once (an organization admin)",
      security: SECURITY,
      request: { params: UserParams },
      responses: {
        200: json(RevokedCount, "how many sessions ended"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org, user } = c.req.valid("param");
      return c.json(
        (await people.revokeSessions(await access.forOrg(c.get("caller"), org), user)) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/orgs/{org}/users/{user}/credentials",
      tags,
      summary: "Enrol a badge, PIN or user number; cabinets learn them with their next downlink",
      security: SECURITY,
      request: { params: UserParams, body: jsonBody(CredentialsInput) },
      responses: { 200: json(Credentials, "what is enrolled"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const { org, user } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await people.enrol(a, user, c.req.valid("json"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/roles",
      tags,
      summary: "The organization's roles (system roles and its own)",
      security: SECURITY,
      request: { params: OrgParams },
      responses: { 200: json(pageSchema(Role, "RolePage"), "every role"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await people.roles(a)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/roles",
      tags,
      summary: "Create a role, optionally inheriting another's permissions",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateRoleInput) },
      responses: { 201: json(Role, "the role"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await people.createRole(a, c.req.valid("json"))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/grants",
      tags,
      summary: "Scoped grants (revoked and expired ones included), newest first",
      security: SECURITY,
      request: { params: OrgParams, query: PageQuery.extend(GrantQuery.shape) },
      responses: { 200: json(pageSchema(Grant, "GrantPage"), "a page of grants"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      const { limit, cursor, ...q } = c.req.valid("query");
      return c.json((await people.grants(a, q, { limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/grants",
      tags,
      summary: "Grant a role at an organization, department, lab or cabinet (optionally until expires_at)",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateGrantInput) },
      responses: { 201: json(Grant, "the grant"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await people.grant(a, c.req.valid("json"))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/grants/{grant}/revoke",
      tags,
      summary: "Revoke a grant (who and when are recorded)",
      security: SECURITY,
      request: { params: OrgParams.extend({ grant: Uuid("grant") }) },
      responses: { 200: json(Grant, "the revoked grant"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const { org, grant } = c.req.valid("param");
      return c.json(
        (await people.revokeGrant(await access.forOrg(c.get("caller"), org), grant)) as never,
        200,
      );
    },
  );

  return app;
}
