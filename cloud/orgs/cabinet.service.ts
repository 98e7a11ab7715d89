// Creating a cabinet in an organization, with its department and lab found or created by name, so an
// admin can set one up in one step before issuing its claim token.
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { AppError, validationError } from "../../shared/errors.js";
import { cabinets, departments, laboratories } from "../../shared/schema/tenant.js";
import { type Database, pgErrorCode } from "../db/database.js";

export const CreateCabinetInput = z.object({
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
  ): Promise<{ cabinet_id: string; lab_id: string; dept_id: string }> {
    const parsed = CreateCabinetInput.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error.issues);
    const c = parsed.data;
    return this.database
      .withTenant(orgId, async (tx) => {
        const dept =
          (await tx.select().from(departments).where(eq(departments.dept_name, c.department)).limit(1))[0] ??
          (await tx.insert(departments).values({ dept_name: c.department }).returning())[0]!;
        const lab =
          (
            await tx
              .select()
              .from(laboratories)
              .where(and(eq(laboratories.dept_id, dept.dept_id), eq(laboratories.lab_name, c.lab)))
              .limit(1)
          )[0] ??
          (await tx.insert(laboratories).values({ dept_id: dept.dept_id, lab_name: c.lab }).returning())[0]!;
        const [cab] = await tx
          .insert(cabinets)
          .values({
            lab_id: lab.lab_id,
            cabinet_name: c.name,
            cabinet_code: c.code,
            num_shelves: c.shelves,
            requires_dual_approval: c.requires_dual_approval,
          })
          .returning();
        return { cabinet_id: cab!.cabinet_id, lab_id: lab.lab_id, dept_id: dept.dept_id };
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
