// The organization tree: departments, laboratories and cabinets with their live status.
import { createRoute, z } from "@hono/zod-openapi";
import type { AccessService } from "../../../authz/access.service.js";
import { actingUserId, callerLabel } from "../../../authz/caller.middleware.js";
import { type CabinetService, CreateCabinetInput } from "../../../orgs/cabinet.service.js";
import {
  CreateDepartmentInput,
  CreateLaboratoryInput,
  type TreeService,
} from "../../../orgs/tree.service.js";
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

const Department = z
  .looseObject({
    dept_id: z.uuid(),
    dept_name: z.string(),
    dept_code: z.string().nullable(),
    parent_dept_id: z.uuid().nullable(),
    building: z.string().nullable(),
    status: z.string().nullable(),
    created_at: Timestamp,
  })
  .openapi("Department");

const Laboratory = z
  .looseObject({
    lab_id: z.uuid(),
    dept_id: z.uuid(),
    lab_name: z.string(),
    lab_code: z.string().nullable(),
    building: z.string().nullable(),
    room_number: z.string().nullable(),
    lab_type: z.string().nullable(),
    status: z.string().nullable(),
  })
  .openapi("Laboratory");

export const CabinetLive = z
  .object({
    online: z.boolean(),
    device_id: z.uuid().nullable(),
    device_status: z.string().nullable(),
    last_seen_at: Timestamp,
    door: z.enum(["open", "closed", "forced"]).nullable(),
    lock: z.enum(["locked", "unlocked"]).nullable(),
    door_changed_at: Timestamp,
    lock_changed_at: Timestamp,
  })
  .openapi("CabinetLiveStatus");

const Cabinet = z
  .looseObject({
    cabinet_id: z.uuid(),
    lab_id: z.uuid(),
    cabinet_name: z.string(),
    cabinet_code: z.string(),
    num_shelves: z.number().int(),
    storage_type: z.string().nullable(),
    device_id: z.uuid().nullable(),
    precise_location: z.string().nullable(),
    requires_dual_approval: z.boolean().nullable(),
    status: z.string().nullable(),
    live: CabinetLive,
  })
  .openapi("Cabinet");

const DeptParams = OrgParams.extend({ dept: Uuid("dept") });
const LabParams = OrgParams.extend({ lab: Uuid("lab") });
const CabinetParams = OrgParams.extend({ cabinet: Uuid("cabinet") });
const LabFilter = PageQuery.extend({
  dept_id: z
    .uuid()
    .optional()
    .openapi({ param: { name: "dept_id", in: "query" } }),
});
const CabinetFilter = PageQuery.extend({
  lab_id: z
    .uuid()
    .optional()
    .openapi({ param: { name: "lab_id", in: "query" } }),
});

export function treeRoutes(deps: { access: AccessService; tree: TreeService; cabinets: CabinetService }) {
  const { access, tree, cabinets } = deps;
  const app = createApiRouter();
  const forOrg = (caller: Parameters<AccessService["forOrg"]>[0], org: string) => access.forOrg(caller, org);

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/departments",
      tags: ["Organization tree"],
      summary: "Departments the caller can see (by name)",
      security: SECURITY,
      request: { params: OrgParams, query: PageQuery },
      responses: {
        200: json(pageSchema(Department, "DepartmentPage"), "a page of departments"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const a = await forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await tree.listDepartments(a, c.req.valid("query"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/departments",
      tags: ["Organization tree"],
      summary: "Create a department (org:manage; under a parent department: org:manage there)",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateDepartmentInput) },
      responses: { 201: json(Department, "the department"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const a = await forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await tree.createDepartment(a, c.req.valid("json"))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/departments/{dept}",
      tags: ["Organization tree"],
      summary: "One department",
      security: SECURITY,
      request: { params: DeptParams },
      responses: { 200: json(Department, "the department"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, dept } = c.req.valid("param");
      return c.json((await tree.getDepartment(await forOrg(c.get("caller"), org), dept)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/laboratories",
      tags: ["Organization tree"],
      summary: "Laboratories the caller can see, optionally of one department",
      security: SECURITY,
      request: { params: OrgParams, query: LabFilter },
      responses: {
        200: json(pageSchema(Laboratory, "LaboratoryPage"), "a page of laboratories"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const a = await forOrg(c.get("caller"), c.req.valid("param").org);
      const q = c.req.valid("query");
      return c.json((await tree.listLabs(a, q, q.dept_id)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/laboratories",
      tags: ["Organization tree"],
      summary: "Create a laboratory in a department (org:manage there)",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateLaboratoryInput) },
      responses: { 201: json(Laboratory, "the laboratory"), ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
    }),
    async (c) => {
      const a = await forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await tree.createLab(a, c.req.valid("json"))) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/laboratories/{lab}",
      tags: ["Organization tree"],
      summary: "One laboratory",
      security: SECURITY,
      request: { params: LabParams },
      responses: { 200: json(Laboratory, "the laboratory"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, lab } = c.req.valid("param");
      return c.json((await tree.getLab(await forOrg(c.get("caller"), org), lab)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/cabinets",
      tags: ["Organization tree"],
      summary: "Cabinets the caller can see, with live status (online, door, lock, last seen)",
      security: SECURITY,
      request: { params: OrgParams, query: CabinetFilter },
      responses: { 200: json(pageSchema(Cabinet, "CabinetPage"), "a page of cabinets"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await forOrg(c.get("caller"), c.req.valid("param").org);
      const q = c.req.valid("query");
      return c.json((await tree.listCabinets(a, q, q.lab_id)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/cabinets",
      tags: ["Organization tree"],
      summary:
        "Create a cabinet (org:manage), its department and laboratory found or created by name; then issue its claim token",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(CreateCabinetInput) },
      responses: {
        201: json(
          z.object({ cabinet_id: z.uuid(), lab_id: z.uuid(), dept_id: z.uuid() }).openapi("CreatedCabinet"),
          "the cabinet and where it sits",
        ),
        ...ERROR_RESPONSES,
        ...CONFLICT_RESPONSE,
      },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      const caller = c.get("caller");
      (await forOrg(caller, org)).require("org:manage");
      const actor = { user_id: actingUserId(caller), name: callerLabel(caller) };
      return c.json((await cabinets.create(org, c.req.valid("json"), actor)) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/cabinets/{cabinet}",
      tags: ["Organization tree"],
      summary: "One cabinet with its live status",
      security: SECURITY,
      request: { params: CabinetParams },
      responses: { 200: json(Cabinet, "the cabinet"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, cabinet } = c.req.valid("param");
      return c.json((await tree.getCabinet(await forOrg(c.get("caller"), org), cabinet)) as never, 200);
    },
  );

  return app;
}
