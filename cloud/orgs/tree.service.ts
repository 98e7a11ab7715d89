// The organization tree over the API: departments, laboratories and cabinets (with live status), each
// list holding only what the caller may see; creating a department or laboratory needs org:manage
// where it goes.
import { z } from "zod";
import { AppError } from "../../shared/errors.js";
import type { OrgAccess } from "../authz/access.service.js";
import { actingUserId } from "../authz/caller.middleware.js";
import { type Database, pgErrorCode } from "../db/database.js";
import { decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import {
  type Cabinet,
  type CabinetStatus,
  type Department,
  type Laboratory,
  treeRepository,
} from "./tree.repository.js";

const text = (max: number) => z.string().trim().min(1).max(max);

export const CreateDepartmentInput = z.strictObject({
  dept_name: text(255),
  dept_code: text(50).optional(),
  description: z.string().max(2000).optional(),
  parent_dept_id: z.uuid().optional(),
  building: text(100).optional(),
  floor: text(50).optional(),
  contact_email: z.email().max(255).optional(),
});

export const CreateLaboratoryInput = z.strictObject({
  dept_id: z.uuid(),
  lab_name: text(255),
  lab_code: text(50).optional(),
  description: z.string().max(2000).optional(),
  building: text(100).optional(),
  floor: text(50).optional(),
  room_number: text(50).optional(),
  lab_type: z.enum(["teaching", "research", "clinical", "analytical"]).optional(),
  biosafety_level: z.enum(["BSL-1", "BSL-2", "BSL-3", "BSL-4"]).optional(),
});

export type CabinetWithStatus = Cabinet & { live: CabinetStatus };

const taken = (field: string, value: string) =>
  new AppError("conflict", `${field} ${value} is already taken`, { [field]: "taken" });

export class TreeService {
  constructor(private readonly database: Database) {}

  listDepartments(access: OrgAccess, page: PageRequest): Promise<Page<Department>> {
    const cursor = decodeCursor(page.cursor, 2);
    const ids = [...access.tree.departments.keys()].filter((id) => access.seesDepartment(id));
    return this.database.withTenant(access.org_id, async (tx) =>
      pageOf(await treeRepository.listDepartments(tx, ids, page.limit + 1, cursor), page.limit, (d) => [
        d.dept_name,
        d.dept_id,
      ]),
    );
  }

  async getDepartment(access: OrgAccess, id: string): Promise<Department> {
    access.deptResource(id);
    if (!access.seesDepartment(id)) access.require("org:read", access.deptResource(id));
    const row = await this.database.withTenant(access.org_id, (tx) => treeRepository.findDepartment(tx, id));
    return row!;
  }

  async createDepartment(
    access: OrgAccess,
    input: z.infer<typeof CreateDepartmentInput>,
  ): Promise<Department> {
    access.require(
      "org:manage",
      input.parent_dept_id ? access.deptResource(input.parent_dept_id) : undefined,
    );
    return this.database
      .withTenant(access.org_id, (tx) =>
        treeRepository.insertDepartment(tx, { ...input, created_by: actingUserId(access.caller) }),
      )
      .catch((err: unknown) => {
        if (pgErrorCode(err) === "23505") throw taken("dept_code", input.dept_code ?? "");
        throw err;
      });
  }

  listLabs(access: OrgAccess, page: PageRequest, deptId?: string): Promise<Page<Laboratory>> {
    const cursor = decodeCursor(page.cursor, 2);
    if (deptId) access.deptResource(deptId);
    const ids = [...access.tree.labs]
      .filter(([lab, dept]) => (!deptId || dept === deptId) && access.seesLab(lab))
      .map(([lab]) => lab);
    return this.database.withTenant(access.org_id, async (tx) =>
      pageOf(await treeRepository.listLabs(tx, ids, page.limit + 1, cursor), page.limit, (l) => [
        l.lab_name,
        l.lab_id,
      ]),
    );
  }

  async getLab(access: OrgAccess, id: string): Promise<Laboratory> {
    const resource = access.labResource(id);
    if (!access.seesLab(id)) access.require("org:read", resource);
    const row = await this.database.withTenant(access.org_id, (tx) => treeRepository.findLab(tx, id));
    return row!;
  }

  async createLab(access: OrgAccess, input: z.infer<typeof CreateLaboratoryInput>): Promise<Laboratory> {
    access.require("org:manage", access.deptResource(input.dept_id));
    return this.database
      .withTenant(access.org_id, (tx) =>
        treeRepository.insertLab(tx, { ...input, created_by: actingUserId(access.caller) }),
      )
      .catch((err: unknown) => {
        if (pgErrorCode(err) === "23505") throw taken("lab_code", input.lab_code ?? "");
        throw err;
      });
  }

  async listCabinets(access: OrgAccess, page: PageRequest, labId?: string): Promise<Page<CabinetWithStatus>> {
    const cursor = decodeCursor(page.cursor, 2);
    if (labId) access.labResource(labId);
    const ids = access
      .cabinetsWhere("org:read")
      .filter((id) => !labId || access.tree.cabinets.get(id) === labId);
    return this.database.withTenant(access.org_id, async (tx) => {
      const rows = await treeRepository.listCabinets(tx, ids, page.limit + 1, cursor);
      const live = await treeRepository.statuses(
        tx,
        rows.map((r) => r.cabinet_id),
      );
      return pageOf(
        rows.map((r) => ({ ...r, live: live.get(r.cabinet_id)! })),
        page.limit,
        (c) => [c.cabinet_name, c.cabinet_id],
      );
    });
  }

  async getCabinet(access: OrgAccess, id: string): Promise<CabinetWithStatus> {
    access.require("org:read", access.cabinetResource(id));
    return this.database.withTenant(access.org_id, async (tx) => {
      const row = (await treeRepository.findCabinet(tx, id))!;
      const live = await treeRepository.statuses(tx, [id]);
      return { ...row, live: live.get(id)! };
    });
  }
}
