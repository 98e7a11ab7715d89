// What every `/api/v1` router is built from: an OpenAPIHono whose request validation (the same zod
// schemas that feed /api/v1/openapi.json) fails as `{error:{code:"validation_failed",message,fields}}`,
// and the shared pieces of the document: the error body, `{org}` and paging parameters, list pages.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { validationError } from "../../../shared/errors.js";
import type { CallerEnv } from "../../authz/caller.middleware.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../db/pagination.js";

export type ApiEnv = CallerEnv;

/** A router for `/api/v1` (other helpers' sub-apps too): zod failures become our validation error. */
export function createApiRouter(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues, "request");
    },
  });
}

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum([
        "validation_failed",
        "conflict",
        "not_found",
        "unauthorized",
        "forbidden",
        "payload_too_large",
        "rate_limited",
        "internal",
      ]),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional(),
    }),
  })
  .openapi("Error");

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});

/** The failure answers every authenticated operation may give. */
export const ERROR_RESPONSES = {
  400: errorResponse("invalid input: `fields` names each offending field; nothing was changed"),
  401: errorResponse("no credentials, or an unknown, expired or revoked session or API key"),
  403: errorResponse("authenticated, but without the permission this needs here"),
  404: errorResponse("no such resource in this organization (another organization's ids are not found)"),
  429: errorResponse("rate limited (API key over its hourly limit); see Retry-After"),
} as const;

export const CONFLICT_RESPONSE = { 409: errorResponse("conflicts with the current state") } as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const Uuid = (name: string) =>
  z
    .uuid({ error: "must be a UUID" })
    .openapi({ param: { name, in: "path" }, example: "00000000-0000-4000-8000-000000000000" });

export const OrgParams = z.object({ org: Uuid("org") });

export const PageQuery = z.object({
  limit: z.coerce
    .number({ error: `a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .int({ error: `a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .min(1, { error: `a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .max(MAX_PAGE_SIZE, { error: `a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ param: { name: "limit", in: "query" }, example: DEFAULT_PAGE_SIZE }),
  cursor: z
    .string()
    .max(2000)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "next_cursor of the previous page" }),
});

/** A list page of `item`: `{items, next_cursor}`. */
export const pageSchema = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);

export const SECURITY = [{ bearer: [] }];

/** Timestamps travel as ISO 8601 strings. */
export const Timestamp = z.string().nullable().openapi({ format: "date-time" });

/** `{revoked: n}`: how many sessions or claim tokens a revocation ended. */
export const RevokedCount = z.object({ revoked: z.number().int() }).openapi("Revoked");
