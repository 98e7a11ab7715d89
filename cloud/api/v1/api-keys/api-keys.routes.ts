// API keys of an organization: created (the key shown once), listed, read and revoked by callers with
// apikey:manage (organization admins, or a key scoped `all`).
import { createRoute, z } from "@hono/zod-openapi";
import {
  API_KEY_SCOPES,
  type ApiKeyService,
  CreateApiKeyInput,
  RevokeApiKeyInput,
} from "../../../apikeys/api-key.service.js";
import type { AccessService } from "../../../authz/access.service.js";
import { actingUserId } from "../../../authz/caller.middleware.js";
import {
  CONFLICT_RESPONSE,
  createApiRouter,
  ERROR_RESPONSES,
  json,
  jsonBody,
  OrgParams,
  PageQuery,
  pageSchema,
  SECURITY,
  Timestamp,
  Uuid,
} from "../openapi.js";

const ApiKey = z
  .object({
    api_key_id: z.uuid(),
    org_id: z.uuid(),
    created_by: z.uuid(),
    key_name: z.string(),
    key_prefix: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    rate_limit_per_hour: z.number().int().nullable(),
    status: z.string().nullable(),
    expires_at: Timestamp,
    last_used_at: Timestamp,
    usage_count: z.number().nullable(),
    created_at: Timestamp,
    revoked_at: Timestamp,
    revoked_by: z.uuid().nullable(),
    revocation_reason: z.string().nullable(),
  })
  .openapi("ApiKey");

const CreatedKey = z
  .object({
    key_id: z.uuid(),
    key: z.string().openapi({ description: "the key itself: shown in this answer only" }),
    prefix: z.string(),
    api_key: ApiKey,
  })
  .openapi("CreatedApiKey");

const KeyParams = OrgParams.extend({ key: Uuid("key") });
const tags = ["API keys"];

export function apiKeyRoutes(deps: { access: AccessService; apiKeys: ApiKeyService }) {
  const { access, apiKeys } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/api-keys",
      tags,
      summary: "List the organization's API keys (never the keys themselves)",
      security: SECURITY,
      request: { params: OrgParams, query: PageQuery },
      responses: { 200: json(pageSchema(ApiKey, "ApiKeyPage"), "a page of API keys"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      (await access.forOrg(c.get("caller"), org)).require("apikey:manage");
      return c.json((await apiKeys.list(org, c.req.valid("query"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/api-keys",
      tags,
      summary: "Create an API key; the answer holds the key, shown this once",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateApiKeyInput) },
      responses: { 201: json(CreatedKey, "the new key"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      const caller = c.get("caller");
      (await access.forOrg(caller, org)).require("apikey:manage");
      return c.json((await apiKeys.create(org, c.req.valid("json"), actingUserId(caller))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/api-keys/{key}",
      tags,
      summary: "One API key (without the key)",
      security: SECURITY,
      request: { params: KeyParams },
      responses: { 200: json(ApiKey, "the API key"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, key } = c.req.valid("param");
      (await access.forOrg(c.get("caller"), org)).require("apikey:manage");
      return c.json((await apiKeys.get(org, key)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/api-keys/{key}/revoke",
      tags,
      summary: "Revoke an API key: refused from its next request on",
      security: SECURITY,
      request: {
        params: KeyParams,
        body: { content: { "application/json": { schema: RevokeApiKeyInput } } },
      },
      responses: { 200: json(ApiKey, "the revoked key"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const { org, key } = c.req.valid("param");
      const caller = c.get("caller");
      (await access.forOrg(caller, org)).require("apikey:manage");
      const { reason } = c.req.valid("json");
      return c.json(
        (await apiKeys.revoke(org, key, caller.kind === "user" ? caller.user_id : null, reason)) as never,
        200,
      );
    },
  );

  return app;
}
