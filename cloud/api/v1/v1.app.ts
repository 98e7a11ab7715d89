// The `/api/v1` OpenAPI app: every router made with createApiRouter() is mounted here, behind the one
// caller middleware for `/orgs/*` and `/me`, and described by GET /api/v1/openapi.json, generated from
// the zod schemas that validate the requests.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit, MAX_FORM_BODY_BYTES } from "../../../shared/http/body-limit.js";
import { jsonDepthLimit } from "../../../shared/http/json-body.js";
import { requireMemberOf } from "../../authz/access.service.js";
import type { CallerEnv } from "../../authz/caller.middleware.js";
import { type ApiEnv, createApiRouter } from "./openapi.js";

export interface V1Options {
  /** The caller middleware (callerAuth): applied to `/orgs/*` and `/me`. */
  caller: MiddlewareHandler<CallerEnv>;
  /** This service's routers and other areas' (alerts, evidence, live): each an OpenAPIHono sub-app. */
  routers: OpenAPIHono<ApiEnv>[];
}

export function createV1App(opts: V1Options): OpenAPIHono<ApiEnv> {
  // The base path is part of every path in the document, so a client needs no server URL to call it.
  const v1 = createApiRouter().basePath("/api/v1");
  v1.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "A session token from POST /api/v1/auth/login, or an API key (`lilo_key_...`) from POST /api/v1/orgs/{org}/api-keys or `lilo cloud apikey create`",
  });
  v1.use("/orgs/*", opts.caller);
  v1.use("/me", opts.caller);
  v1.use("/orgs/:org/*", async (c, next) => {
    requireMemberOf(c.get("caller"), c.req.param("org"));
    await next();
  });
  // Requests under /orgs are forms, not uploads (cabinets upload on their own device routes), and
  // nest a few levels at most: a hostile body is refused before a validator parses it.
  v1.use("/orgs/*", bodyLimit(MAX_FORM_BODY_BYTES));
  v1.use("/orgs/*", jsonDepthLimit());
  for (const router of opts.routers) v1.route("/", router);
  v1.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "L.I.L.O. cloud API",
      version: "1",
      description:
        "Smart chemical cabinets: organizations, their cabinets, containers, history, people and access. " +
        "Every list takes `limit` (1-200, default 50) and `cursor` and answers `{items, next_cursor}`; every " +
        "error is `{error:{code,message,fields}}`. Another organization's ids answer 404.",
    },
  });
  return v1;
}
