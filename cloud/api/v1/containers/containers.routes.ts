// Containers: inventory search with facets, one container, registration (label printed), edit, move,
// dispose, and a container's history.
import { createRoute, z } from "@hono/zod-openapi";
import type { AccessService } from "../../../authz/access.service.js";
import type { HistoryService } from "../../../history/history.service.js";
import {
  ContainerQuery,
  type ContainerService,
  DisposeContainerInput,
  MoveContainerInput,
  RegisterContainerInput,
  UpdateContainerInput,
} from "../../../inventory/container.service.js";
import { EventEntry } from "../history/history.routes.js";
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
  Uuid,
} from "../openapi.js";

const Container = z
  .looseObject({
    container_id: z.uuid(),
    cabinet_id: z.uuid(),
    qr_code: z.string(),
    shelf_level: z.number().int(),
    chemical_name: z.string(),
    cas_number: z.string().nullable(),
    quantity: z.string(),
    unit: z.string(),
    minimum_quantity: z.string().nullable(),
    hazard_class: z.array(z.string()).nullable(),
    ghs_pictograms: z.array(z.string()).nullable(),
    signal_word: z.string().nullable(),
    h_statements: z.array(z.string()).nullable(),
    expiry_date: z.string().nullable(),
    date_opened: z.string().nullable(),
    status: z.string().nullable(),
    location: z.object({
      cabinet_name: z.string(),
      lab_id: z.uuid(),
      lab_name: z.string(),
      dept_id: z.uuid(),
      dept_name: z.string(),
    }),
  })
  .openapi("Container");

const Facets = z
  .object({
    status: z.record(z.string(), z.number()),
    hazard_class: z.record(z.string(), z.number()),
    ghs_pictograms: z.record(z.string(), z.number()),
    signal_word: z.record(z.string(), z.number()),
    cabinet: z.record(z.string(), z.number()),
    expiry: z.record(z.string(), z.number()),
  })
  .openapi("InventoryFacets");

const Registered = z
  .object({
    container: Container,
    label: z
      .object({
        format: z.string(),
        size: z.string(),
        media_type: z.string(),
        event_id: z.uuid(),
        data_base64: z.string(),
      })
      .nullable(),
  })
  .openapi("RegisteredContainer");

const SearchQuery = PageQuery.extend(ContainerQuery.shape);
const ContainerParams = OrgParams.extend({ container: Uuid("container") });
const tags = ["Containers"];

export function containerRoutes(deps: {
  access: AccessService;
  containers: ContainerService;
  history: HistoryService;
}) {
  const { access, containers, history } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/containers",
      tags,
      summary:
        "Inventory search: full text (`q`: name, CAS, supplier, catalog number, code) and filters (cabinet, lab, status, hazard class, GHS pictogram, signal word, CAS, expiry, below minimum)",
      security: SECURITY,
      request: { params: OrgParams, query: SearchQuery },
      responses: {
        200: json(pageSchema(Container, "ContainerPage"), "a page of containers by name"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      const { limit, cursor, ...q } = c.req.valid("query");
      return c.json((await containers.search(a, q, { limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/containers/facets",
      tags,
      summary:
        "Counts of the matching containers by status, hazard class, GHS pictogram, signal word, cabinet and expiry",
      security: SECURITY,
      request: { params: OrgParams, query: ContainerQuery },
      responses: { 200: json(Facets, "facet counts"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await containers.facets(a, c.req.valid("query"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/containers",
      tags,
      summary:
        "Register a container in a cabinet (CAS check digit validated); its label is printed and returned",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(RegisterContainerInput) },
      responses: {
        201: json(Registered, "the container and its label"),
        ...ERROR_RESPONSES,
        ...CONFLICT_RESPONSE,
      },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await containers.register(a, c.req.valid("json"))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/containers/{container}",
      tags,
      summary: "One container with where it is",
      security: SECURITY,
      request: { params: ContainerParams },
      responses: { 200: json(Container, "the container"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, container } = c.req.valid("param");
      return c.json(
        (await containers.get(await access.forOrg(c.get("caller"), org), container)) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/orgs/{org}/containers/{container}",
      tags,
      summary: "Edit a container's descriptive fields; the cabinet gets them with its next downlink",
      security: SECURITY,
      request: { params: ContainerParams, body: jsonBody(UpdateContainerInput) },
      responses: { 200: json(Container, "the container"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, container } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await containers.update(a, container, c.req.valid("json"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/containers/{container}/move",
      tags,
      summary: "Move a container to another cabinet or shelf (container:write at both)",
      security: SECURITY,
      request: { params: ContainerParams, body: jsonBody(MoveContainerInput) },
      responses: { 200: json(Container, "the container"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, container } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await containers.move(a, container, c.req.valid("json"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/containers/{container}/dispose",
      tags,
      summary: "Dispose of a container",
      security: SECURITY,
      request: { params: ContainerParams, body: jsonBody(DisposeContainerInput) },
      responses: { 200: json(Container, "the container"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const { org, container } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await containers.dispose(a, container, c.req.valid("json"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/containers/{container}/history",
      tags,
      summary:
        "A container's history: every event about it, newest first (its transactions: GET transactions?container_id=)",
      security: SECURITY,
      request: { params: ContainerParams, query: PageQuery },
      responses: {
        200: json(pageSchema(EventEntry, "ContainerHistoryPage"), "a page of events"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org, container } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      await containers.get(a, container);
      return c.json(
        (await history.events(a, { container_id: container }, c.req.valid("query"))) as never,
        200,
      );
    },
  );

  return app;
}
