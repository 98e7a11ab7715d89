// The cabinet's containers and how they move: each change writes the inventory row, the transaction
// that explains it and its event, with their outbox rows, in the caller's transaction.
import { and, desc, eq } from "drizzle-orm";
import type { AuthorizedUser, CabinetScope } from "../auth/auth.service.js";
import { insertRecorded, updateRecorded } from "../db/change-recorder.js";
import type { LocalDb } from "../db/local-database.js";
import { chemicalInventory, containerTransactions } from "../db/schema.js";
import { type CabinetEvent, recordEvent } from "../session/event-recorder.js";
import type { ExpectedContainer } from "./reconcile.js";

export type Transaction = typeof containerTransactions.$inferSelect;
type Container = typeof chemicalInventory.$inferSelect;

/** The shelf's scan that saw a change, and its image: the change's photo evidence. */
export interface ShelfEvidence {
  scan_id: string;
  image_key: string;
}

/** One container's change, seen at `at`, within a session when there is one. */
interface Change {
  container_id: string;
  session_id?: string;
  at: Date;
  evidence?: ShelfEvidence;
}

const who = (u: AuthorizedUser) => ({
  user_id: u.user_id,
  user_name: u.display_name,
  user_email: u.email,
  user_role: u.role,
});

export class InventoryRepository {
  constructor(private readonly scope: CabinetScope) {}

  /** Every container the cabinet's inventory places in it, whatever its status. */
  containers(db: LocalDb): ExpectedContainer[] {
    return db
      .select({
        container_id: chemicalInventory.container_id,
        qr_code: chemicalInventory.qr_code,
        shelf_level: chemicalInventory.shelf_level,
        status: chemicalInventory.status,
      })
      .from(chemicalInventory)
      .where(eq(chemicalInventory.cabinet_id, this.scope.cabinet_id))
      .all() as ExpectedContainer[];
  }

  /** The container's latest checkout that has not been returned. */
  openCheckout(db: LocalDb, containerId: string): Transaction | undefined {
    return db
      .select()
      .from(containerTransactions)
      .where(
        and(
          eq(containerTransactions.container_id, containerId),
          eq(containerTransactions.transaction_type, "checkout"),
          eq(containerTransactions.status, "active"),
        ),
      )
      .orderBy(desc(containerTransactions.checkout_timestamp))
      .get();
  }

  /** `user` took the container from shelf `from`; returns the checkout's transaction id. */
  checkout(db: LocalDb, c: Change & { from: number; user: AuthorizedUser }): string {
    const row = this.container(db, c.container_id);
    const filed = this.fileTransaction(db, row, c, "checkout", c.user, {
      checkout_timestamp: c.at,
      source_cabinet_id: this.scope.cabinet_id,
      source_shelf_level: c.from,
      quantity_unit: row.unit,
      status: "active",
    });
    updateRecorded(db, chemicalInventory, row.container_id, { status: "checked_out", updated_at: c.at });
    this.recordChange(db, row, c, {
      action: "checkout",
      user: c.user,
      shelf: c.from,
      summary: `${c.user.display_name} took ${row.chemical_name} from shelf ${c.from}`,
    });
    return filed;
  }

  /** The container is gone from shelf `from` with no one to attribute it to: flagged for review. */
  reportMissing(db: LocalDb, c: Omit<Change, "at"> & { from: number }): void {
    const row = this.container(db, c.container_id);
    this.recordChange(db, row, c, {
      action: "container_missing",
      severity: "warning",
      shelf: c.from,
      requires_review: true,
      summary: `${row.chemical_name} (${row.qr_code}) missing from shelf ${c.from}`,
    });
  }

  /**
   * The container is back on shelf `to`: `checkout`, when given, is closed, and the return is filed
   * under `user` when someone answers for it (its transaction id is returned).
   */
  return(
    db: LocalDb,
    c: Change & { to: number; user?: AuthorizedUser; checkout?: Transaction },
  ): string | undefined {
    const row = this.container(db, c.container_id);
    if (c.checkout)
      updateRecorded(db, containerTransactions, c.checkout.transaction_id, {
        status: "returned",
        actual_return_timestamp: c.at,
        updated_at: c.at,
      });
    let filed: string | undefined;
    if (c.user) {
      filed = this.fileTransaction(db, row, c, "return", c.user, {
        actual_return_timestamp: c.at,
        // The cloud files every transaction under the cabinet that recorded it.
        source_cabinet_id: this.scope.cabinet_id,
        return_cabinet_id: this.scope.cabinet_id,
        return_shelf_level: c.to,
        parent_transaction_id: c.checkout?.transaction_id,
        status: "returned",
      });
    }
    updateRecorded(db, chemicalInventory, row.container_id, {
      status: "in_cabinet",
      shelf_level: c.to,
      last_detected: c.at,
      updated_at: c.at,
    });
    this.recordChange(db, row, c, {
      action: "return",
      user: c.user,
      shelf: c.to,
      summary: `${row.chemical_name} returned to shelf ${c.to}`,
    });
    return filed;
  }

  /** The container moved from shelf `from` to `to`; without a `user` the move is flagged for review. */
  transfer(db: LocalDb, c: Change & { from: number; to: number; user?: AuthorizedUser }): string | undefined {
    const row = this.container(db, c.container_id);
    let filed: string | undefined;
    if (c.user) {
      filed = this.fileTransaction(db, row, c, "transfer", c.user, {
        source_cabinet_id: this.scope.cabinet_id,
        source_shelf_level: c.from,
        return_cabinet_id: this.scope.cabinet_id,
        return_shelf_level: c.to,
        // A move within the cabinet is complete the moment it is seen.
        status: "returned",
      });
    }
    updateRecorded(db, chemicalInventory, row.container_id, {
      shelf_level: c.to,
      last_detected: c.at,
      updated_at: c.at,
    });
    this.recordChange(db, row, c, {
      action: "transfer",
      user: c.user,
      shelf: c.to,
      requires_review: !c.user,
      summary: `${row.chemical_name} moved from shelf ${c.from} to shelf ${c.to}`,
    });
    return filed;
  }

  /** The container was seen where it belongs. */
  markSeen(db: LocalDb, containerId: string, at: Date): void {
    updateRecorded(db, chemicalInventory, containerId, { last_detected: at });
  }

  /** A label on the container's shelf could not be read, so the container is not confirmed. */
  reportUnreadLabel(db: LocalDb, c: Omit<Change, "at"> & { shelf: number; user?: AuthorizedUser }): void {
    const row = this.container(db, c.container_id);
    recordEvent(db, this.scope, {
      type: "scan",
      category: "inventory",
      action: "label_not_read",
      severity: "warning",
      shelf: c.shelf,
      container: eventContainer(row),
      user: c.user,
      session_id: c.session_id,
      requires_review: true,
      image: c.evidence?.image_key,
      summary: `A label on shelf ${c.shelf} could not be read; ${row.chemical_name} (${row.qr_code}) not confirmed: please turn the bottle so its label faces the camera`,
      details: { prompt: "turn_bottle" },
    });
  }

  /** Files the container's transaction under `user`, within the change's session; returns its id. */
  private fileTransaction(
    db: LocalDb,
    row: Container,
    c: Pick<Change, "session_id" | "evidence">,
    type: Transaction["transaction_type"],
    user: AuthorizedUser,
    fields: Partial<typeof containerTransactions.$inferInsert>,
  ): string {
    return insertRecorded(db, containerTransactions, {
      container_id: row.container_id,
      transaction_type: type,
      qr_code: row.qr_code,
      ...who(user),
      ...fields,
      workflow_id: c.session_id,
      scan_id: c.evidence?.scan_id,
      image_s3_key: c.evidence?.image_key,
    }).transaction_id;
  }

  /** Logs an inventory transaction event about the container, within the change's session. */
  private recordChange(
    db: LocalDb,
    row: Container,
    c: Pick<Change, "session_id" | "evidence">,
    e: Omit<CabinetEvent, "type" | "category" | "container" | "session_id">,
  ): void {
    recordEvent(db, this.scope, {
      type: "transaction",
      category: "inventory",
      ...e,
      container: eventContainer(row),
      session_id: c.session_id,
      image: c.evidence?.image_key,
    });
  }

  private container(db: LocalDb, id: string) {
    const row = db.select().from(chemicalInventory).where(eq(chemicalInventory.container_id, id)).get();
    if (!row) throw new Error(`container ${id} not found`);
    return row;
  }
}

function eventContainer(c: Container) {
  return {
    container_id: c.container_id,
    qr_code: c.qr_code,
    chemical_name: c.chemical_name,
    cas_number: c.cas_number,
  };
}
