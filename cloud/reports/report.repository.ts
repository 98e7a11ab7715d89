// Tenant reads and writes of scheduled reports and report runs; the claim of due schedules locks each
// row with SKIP LOCKED, so two cloud instances never take the same run.
import { and, eq, lte, or, sql } from "drizzle-orm";
import { cabinets, reportRuns, scheduledReports } from "../../shared/schema/tenant.js";
import type { Tx } from "../db/database.js";
import { type CursorValue, newestFirst } from "../db/pagination.js";

export type Schedule = typeof scheduledReports.$inferSelect;
export type NewSchedule = typeof scheduledReports.$inferInsert;
export type Run = typeof reportRuns.$inferSelect;
export type NewRun = typeof reportRuns.$inferInsert;

export const scheduleOrder = newestFirst(scheduledReports.created_at, scheduledReports.schedule_id);
export const runOrder = newestFirst(reportRuns.started_at, reportRuns.run_id);

export const reportRepository = {
  async cabinetIds(tx: Tx): Promise<string[]> {
    return (await tx.select({ id: cabinets.cabinet_id }).from(cabinets)).map((c) => c.id);
  },

  async insertSchedule(tx: Tx, s: NewSchedule): Promise<Schedule> {
    const [row] = await tx.insert(scheduledReports).values(s).returning();
    return row!;
  },

  async findSchedule(tx: Tx, id: string): Promise<Schedule | undefined> {
    const [row] = await tx.select().from(scheduledReports).where(eq(scheduledReports.schedule_id, id));
    return row;
  },

  /** Schedules created by `userId`, or all of them when `userId` is null. */
  async listSchedules(
    tx: Tx,
    userId: string | null,
    limit: number,
    cursor?: CursorValue[],
  ): Promise<Schedule[]> {
    return tx
      .select()
      .from(scheduledReports)
      .where(and(userId ? eq(scheduledReports.created_by, userId) : undefined, scheduleOrder.after(cursor)))
      .orderBy(...scheduleOrder.orderBy)
      .limit(limit);
  },

  async updateSchedule(tx: Tx, id: string, set: Partial<NewSchedule>): Promise<Schedule | undefined> {
    const [row] = await tx
      .update(scheduledReports)
      .set({ ...set, updated_at: sql`now()` })
      .where(eq(scheduledReports.schedule_id, id))
      .returning();
    return row;
  },

  async deleteSchedule(tx: Tx, id: string): Promise<void> {
    await tx.delete(scheduledReports).where(eq(scheduledReports.schedule_id, id));
  },

  /** Active e-mail schedules due at `now`, locked for this transaction; rows another instance holds are skipped. */
  async lockDue(tx: Tx, now: Date, limit: number): Promise<Schedule[]> {
    return tx
      .select()
      .from(scheduledReports)
      .where(
        and(
          eq(scheduledReports.is_active, true),
          eq(scheduledReports.delivery_method, "email"),
          lte(scheduledReports.next_run_at, now),
        ),
      )
      .orderBy(scheduledReports.next_run_at)
      .limit(limit)
      .for("update", { skipLocked: true });
  },

  async insertRun(tx: Tx, run: NewRun): Promise<Run> {
    const [row] = await tx.insert(reportRuns).values(run).returning();
    return row!;
  },

  async updateRun(tx: Tx, id: string, set: Partial<NewRun>): Promise<void> {
    await tx.update(reportRuns).set(set).where(eq(reportRuns.run_id, id));
  },

  /** Runs requested by `userId` or of their schedules, or all when `userId` is null. */
  async listRuns(tx: Tx, userId: string | null, limit: number, cursor?: CursorValue[]): Promise<Run[]> {
    const mine = userId
      ? or(
          eq(reportRuns.requested_by, userId),
          sql`${reportRuns.schedule_id} IN (SELECT schedule_id FROM scheduled_reports WHERE created_by = ${userId})`,
        )
      : undefined;
    return tx
      .select()
      .from(reportRuns)
      .where(and(mine, runOrder.after(cursor)))
      .orderBy(...runOrder.orderBy)
      .limit(limit);
  },

  async countRun(
    tx: Tx,
    scheduleId: string,
    status: "success" | "failed",
    error: string | null,
  ): Promise<void> {
    await tx
      .update(scheduledReports)
      .set({
        last_run_status: status,
        last_run_error: error,
        run_count: sql`COALESCE(${scheduledReports.run_count}, 0) + 1`,
      })
      .where(eq(scheduledReports.schedule_id, scheduleId));
  },
};
