// Saved views: named filters of the inventory search or the event log, private, shared with labs or
// public in the organization; the owner changes and deletes them, others see them within their grants.
import { createRoute, z } from "@hono/zod-openapi";
import type { AccessService } from "../../../authz/access.service.js";
import {
  CreateViewInput,
  type SavedViewService,
  UpdateViewInput,
  ViewListQuery,
} from "../../../views/saved-view.service.js";
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
  Uuid,
} from "../openapi.js";

const SavedView = z
  .object({
    view_id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    entity: z.enum(["chemicals", "events"]),
    filters: z.record(z.string(), z.string()),
    path: z.string().openapi({ description: "the list with these filters: GET it for the rows" }),
    visibility: z.enum(["private", "shared", "public"]),
    shared_with_labs: z.array(z.uuid()),
    owner_user_id: z.uuid(),
    mine: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("SavedView");

const ViewParams = OrgParams.extend({ view: Uuid("view") });
const tags = ["Saved views"];

export function savedViewRoutes(deps: { access: AccessService; views: SavedViewService }) {
  const { access, views } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/saved-views",
      tags,
      summary:
        "Save the filters of GET containers (entity `chemicals`) or GET events (`events`): private, shared with labs where you read them, or public (needs the permission organization-wide)",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateViewInput) },
      responses: { 201: json(SavedView, "the saved view"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await views.create(a, c.req.valid("json"))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/saved-views",
      tags,
      summary: "Your saved views and those shared with you, by name",
      security: SECURITY,
      request: { params: OrgParams, query: PageQuery.extend(ViewListQuery.shape) },
      responses: {
        200: json(pageSchema(SavedView, "SavedViewPage"), "a page of saved views"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      const { limit, cursor, ...q } = c.req.valid("query");
      return c.json((await views.list(a, q, { limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/saved-views/{view}",
      tags,
      summary: "One saved view you own or that is shared with you",
      security: SECURITY,
      request: { params: ViewParams },
      responses: { 200: json(SavedView, "the saved view"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, view } = c.req.valid("param");
      return c.json((await views.get(await access.forOrg(c.get("caller"), org), view)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/orgs/{org}/saved-views/{view}",
      tags,
      summary: "Change your saved view: name, description, filters, sharing",
      security: SECURITY,
      request: { params: ViewParams, body: jsonBody(UpdateViewInput) },
      responses: { 200: json(SavedView, "the saved view"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, view } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await views.update(a, view, c.req.valid("json"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/orgs/{org}/saved-views/{view}",
      tags,
      summary: "Delete your saved view",
      security: SECURITY,
      request: { params: ViewParams },
      responses: { 204: { description: "deleted" }, ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, view } = c.req.valid("param");
      await views.delete(await access.forOrg(c.get("caller"), org), view);
      return c.body(null, 204);
    },
  );

  return app;
}
