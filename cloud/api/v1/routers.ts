// This service's `/api/v1` routers, each over its services; cloud.ts passes them (and other areas'
// routers) to createV1App.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ApiKeyService } from "../../apikeys/api-key.service.js";
import type { AccessService } from "../../authz/access.service.js";
import type { Database } from "../../db/database.js";
import { OrganizationReader } from "../../orgs/organization.service.js";
import { apiKeyRoutes } from "./api-keys/api-keys.routes.js";
import type { ApiEnv } from "./openapi.js";
import { orgRoutes } from "./orgs/orgs.routes.js";

export interface V1Deps {
  database: Database;
  access: AccessService;
  apiKeys: ApiKeyService;
}

export function v1Routers(deps: V1Deps): OpenAPIHono<ApiEnv>[] {
  const { database, access, apiKeys } = deps;
  return [
    orgRoutes({ access, organizations: new OrganizationReader(database) }),
    apiKeyRoutes({ access, apiKeys }),
  ];
}
