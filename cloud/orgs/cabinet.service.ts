// Creating a cabinet in an organization, with its department and lab found or created by name, so an
// admin can set one up in one step before issuing its claim token.
import { z } from "zod";
import { AppError, parseInput } from "../../shared/errors.js";
import { type AuditActor, recordAuditEvent } from "../audit/audit-event.js";
import { type Database, pgErrorCode } from "../db/database.js";
import { cabinetRepository } from "./cabinet.repository.js";

export const CreateCabinetInput = z.strictObject({
  department: z.string().trim().min(1).max(255),
  lab: z.string().trim().min(1).max(255),
  name: z.string().trim().min(1).max(255),
  code: z.string().trim().min(1).max(50),
  shelves: z.coerce.number().int().min(1).max(20).default(4),
  requires_dual_approval: z.boolean().default(false),
});

export class CabinetService {
  constructor(private readonly database: Database) {}

  async create(
    orgId: string,
    input: z.input<typeof CreateCabinetInput>,
    actor: AuditActor = {},
  ): Promise<{ cabinet_id: string; lab_id: string; dept_id: string }> {
    const c = parseInput(CreateCabinetInput, input);
    return this.database
      .withTenant(orgId, async (tx) => {
        const dept =
          (await cabinetRepository.findDepartment(tx, c.department)) ??
          (await cabinetRepository.insertDepartment(tx, c.department));
        const lab =
          (await cabinetRepository.findLab(tx, dept.dept_id, c.lab)) ??
          (await cabinetRepository.insertLab(tx, dept.dept_id, c.lab));
        const cab = await cabinetRepository.insert(tx, {
          lab_id: lab.lab_id,
          cabinet_name: c.name,
          cabinet_code: c.code,
          num_shelves: c.shelves,
          requires_dual_approval: c.requires_dual_approval,
        });
        await recordAuditEvent(tx, {
          action: "cabinet_created",
          type: "manual",
          category: "maintenance",
          summary: `cabinet ${c.code} created in ${c.department} / ${c.lab}`,
          actor,
          cabinet_id: cab.cabinet_id,
          lab_id: lab.lab_id,
          new_values: { ...c },
        });
        return { cabinet_id: cab.cabinet_id, lab_id: lab.lab_id, dept_id: dept.dept_id };
      })
      .catch((err: unknown) => {
        if (pgErrorCode(err) === "23505")
          throw new AppError("conflict", `a cabinet with code ${c.code} already exists`, { code: "taken" });
        if (pgErrorCode(err) === "42704" || pgErrorCode(err) === "22023")
          throw new AppError("not_found", `no organization ${orgId}`);
        throw err;
      });
  }
}
