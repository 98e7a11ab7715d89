// The cabinet session: locked → authenticated (one person, or two for dual-approval cabinets) →
// unlocked → door opened → door closed → relocked → `session.ended` (which starts the scan). Every step,
// denied attempts included, is an event written with its outbox row in one SQLite transaction.
import { randomUUID } from "node:crypto";
import type { Logger } from "../../shared/logger.js";
import type { AuthorizedUser, AuthService, CabinetScope, Credential } from "../auth/auth.service.js";
import type { LocalDatabase } from "../db/local-database.js";
import type { EventBus } from "../event-bus.js";
import type { DoorSensor, DoorState } from "../hardware/door-sensor.js";
import type { Unsubscribe } from "../hardware/listeners.js";
import type { LockController } from "../hardware/lock-controller.js";
import { type CabinetEvent, recordEvent } from "./event-recorder.js";

export type SessionState = "idle" | "awaiting_second" | "unlocked" | "open";

export interface SessionConfig {
  /** The cabinet's own setting; a cabinet holding a controlled substance needs two people regardless. */
  requiresDualApproval: boolean;
  /** How long the first approval of a dual-approval cabinet waits for the second person. */
  dualApprovalWindowMs: number;
}

export type AccessOutcome =
  | { granted: true; session_id: string; user: AuthorizedUser }
  | { granted: false; awaiting_second?: true; awaiting_pin?: true; reason: string };

/** The one answer to every refused try: which part was wrong is for the event log, not the person. */
export const ACCESS_DENIED = "denied";

interface ActiveSession {
  id: string;
  users: AuthorizedUser[];
  opened: boolean;
  forced: boolean;
  /** How and when the users authenticated at the cabinet (absent for a forced door or a resumed session). */
  authenticated?: { method: string; at: Date };
}

export class SessionService {
  private state: SessionState = "idle";
  private session: ActiveSession | undefined;
  private pendingFirst: { user: AuthorizedUser; at: number } | undefined;
  private readonly unsubscribe: Unsubscribe[] = [];

  constructor(
    private readonly deps: {
      local: LocalDatabase;
      auth: AuthService;
      scope: CabinetScope;
      door: DoorSensor;
      lock: LockController;
      bus: EventBus;
      config: SessionConfig;
      /** Whether the cabinet holds a DEA-scheduled container (docs/controlled-substances.md). */
      holdsControlled?: () => boolean;
      logger: Logger;
      now?: () => number;
    },
  ) {}

  async start(): Promise<void> {
    const { door, lock } = this.deps;
    this.recover();
    this.unsubscribe.push(door.onChange((s) => this.onDoor(s)));
    this.unsubscribe.push(
      lock.onChange((s) => {
        // Auto-relock with the door never opened ends the session unused.
        if (s === "locked" && this.state === "unlocked") this.end("relocked_unused");
      }),
    );
    this.unsubscribe.push(
      lock.onAjar((e) =>
        this.record({
          type: "hardware",
          category: "safety",
          action: e.ajar ? "door_ajar" : "door_ajar_cleared",
          severity: e.ajar ? "warning" : "info",
          summary: e.ajar
            ? `Door left open for ${Math.round(e.openMs / 1000)} s`
            : "Door closed after ajar alarm",
          session_id: this.session?.id,
          details: { open_ms: e.openMs },
        }),
      ),
    );
  }

  /**
   * A session the last process did not finish (killed after the door opened, before the scan) is
   * taken up again: with the door still open it continues; with the door closed its scan runs now,
   * still attributed to the person who opened the cabinet. The event log is the memory for this.
   */
  private recover(): void {
    const { local, door } = this.deps;
    const last = local.sqlite
      .prepare(
        `SELECT workflow_id AS id, user_id, user_name, user_role FROM unified_event_log
         WHERE workflow_id IS NOT NULL AND json_extract(event_details, '$.action') IN ('auth_granted', 'door_forced')
         ORDER BY event_timestamp DESC, rowid DESC LIMIT 1`,
      )
      .get() as
      | { id: string; user_id: string | null; user_name: string | null; user_role: string | null }
      | undefined;
    if (!last) return;
    const steps = new Set(
      local.sqlite
        .prepare(
          "SELECT json_extract(event_details, '$.action') AS action FROM unified_event_log WHERE workflow_id = ?",
        )
        .pluck()
        .all(last.id) as string[],
    );
    if (steps.has("scan_completed") || steps.has("session_unused")) return;
    const email = last.user_id
      ? (local.sqlite.prepare("SELECT email FROM local_users WHERE user_id = ?").pluck().get(last.user_id) as
          | string
          | undefined)
      : undefined;
    const users: AuthorizedUser[] = last.user_id
      ? [
          {
            user_id: last.user_id,
            display_name: last.user_name ?? "",
            email: email ?? null,
            role: last.user_role ?? "",
          },
        ]
      : [];
    const opened = steps.has("door_opened") || steps.has("door_forced");
    this.deps.logger.warn(
      { session_id: last.id, opened, door: door.state() },
      "resuming a session interrupted by a restart",
    );
    this.session = { id: last.id, users, opened, forced: steps.has("door_forced") };
    if (door.state() === "open") {
      this.state = "open";
      return;
    }
    if (opened) this.end("closed");
    else this.end("relocked_unused");
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /**
   * Whether opening needs two different people: a dual-approval cabinet, or one that holds a controlled
   * substance (checked out from it included), asked anew at every try.
   */
  dualApproval(): { required: boolean; controlled: boolean } {
    const controlled = this.deps.holdsControlled?.() ?? false;
    return { required: this.deps.config.requiresDualApproval || controlled, controlled };
  }

  status(): { state: SessionState; session_id?: string; users: AuthorizedUser[] } {
    return { state: this.state, session_id: this.session?.id, users: this.session?.users ?? [] };
  }

  /** A badge swipe or PIN entry at the cabinet. */
  async requestAccess(credential: Credential): Promise<AccessOutcome> {
    const result = await this.deps.auth.authorize(credential);
    if (!result.ok && result.awaiting_pin)
      return { granted: false, awaiting_pin: true, reason: "pin_required" };
    if (!result.ok) {
      this.record({
        type: "access",
        category: "user_action",
        action: "auth_denied",
        severity: "warning",
        summary: `Access denied (${result.method}: ${result.reason.replaceAll("_", " ")})`,
        details: { method: result.method, reason: result.reason, user_id: result.user_id },
      });
      if (result.lockout)
        this.record({
          type: "access",
          category: "safety",
          action: "access_lockout",
          severity: "critical",
          summary: `PIN pad locked for ${Math.round(result.lockout.lock_ms / 1000)} s after ${result.lockout.failures} refused PIN attempts`,
          details: { ...result.lockout },
          requires_review: true,
        });
      return { granted: false, reason: ACCESS_DENIED };
    }
    const { user } = result;
    if (this.state === "unlocked" || this.state === "open") {
      // Already open: a second swipe changes nothing but is on record.
      this.record({
        type: "access",
        category: "user_action",
        action: "auth_while_open",
        user,
        summary: `${user.display_name} badged while the cabinet was open`,
        session_id: this.session?.id,
      });
      return { granted: true, session_id: this.session!.id, user };
    }
    const dual = this.dualApproval();
    if (dual.required) {
      const now = this.now();
      const first = this.pendingFirst;
      if (
        !first ||
        now - first.at > this.deps.config.dualApprovalWindowMs ||
        first.user.user_id === user.user_id
      ) {
        this.pendingFirst = { user, at: now };
        this.state = "awaiting_second";
        this.record({
          type: "access",
          category: "user_action",
          action: "auth_first_approval",
          user,
          summary: `${user.display_name} approved; waiting for a second person`,
          details: { method: result.method, ...(dual.controlled ? { reason: "controlled_substance" } : {}) },
        });
        return { granted: false, awaiting_second: true, reason: "second_approval_required" };
      }
      this.pendingFirst = undefined;
      return this.unlockFor([first.user, user], result.method);
    }
    return this.unlockFor([user], result.method);
  }

  private async unlockFor(users: AuthorizedUser[], method: string): Promise<AccessOutcome> {
    const session: ActiveSession = {
      id: randomUUID(),
      users,
      opened: false,
      forced: false,
      authenticated: { method, at: new Date(this.now()) },
    };
    this.session = session;
    this.state = "unlocked";
    const [primary] = users as [AuthorizedUser, ...AuthorizedUser[]];
    this.record({
      type: "access",
      category: "user_action",
      action: "auth_granted",
      user: primary,
      session_id: session.id,
      summary: `${users.map((u) => u.display_name).join(" and ")} authenticated by ${method}`,
      details: { method, approvers: users.map((u) => u.user_id) },
    });
    await this.deps.lock.unlock();
    this.record({
      type: "hardware",
      category: "user_action",
      action: "unlocked",
      user: primary,
      session_id: session.id,
      summary: "Cabinet unlocked",
    });
    return { granted: true, session_id: session.id, user: primary };
  }

  private onDoor(state: DoorState): void {
    if (state === "open") {
      if (!this.session) {
        // Opened without anyone authenticating: forced, or a lock that failed open.
        this.session = { id: randomUUID(), users: [], opened: true, forced: true };
        this.state = "open";
        this.record({
          type: "access",
          category: "safety",
          action: "door_forced",
          severity: "critical",
          summary: "Door opened without authentication",
          session_id: this.session.id,
          requires_review: true,
        });
        return;
      }
      this.session.opened = true;
      this.state = "open";
      this.record({
        type: "access",
        category: "user_action",
        action: "door_opened",
        user: this.session.users[0],
        session_id: this.session.id,
        summary: "Door opened",
      });
      return;
    }
    if (this.state !== "open" || !this.session) return;
    this.record({
      type: "access",
      category: "user_action",
      action: "door_closed",
      user: this.session.users[0],
      session_id: this.session.id,
      summary: "Door closed",
    });
    const session = this.session;
    void this.deps.lock
      .lock()
      .then(() => {
        this.record({
          type: "hardware",
          category: "user_action",
          action: "relocked",
          user: session.users[0],
          session_id: session.id,
          summary: "Cabinet relocked",
        });
      })
      .catch((err: unknown) => this.deps.logger.error({ err }, "relock after door close failed"))
      .finally(() => this.end("closed"));
  }

  private end(reason: "closed" | "relocked_unused"): void {
    const session = this.session;
    this.session = undefined;
    this.state = "idle";
    if (!session) return;
    if (reason === "relocked_unused") {
      this.record({
        type: "access",
        category: "user_action",
        action: "session_unused",
        user: session.users[0],
        session_id: session.id,
        summary: "Unlocked but not opened; relocked",
      });
    }
    this.deps.bus.emit("session.ended", {
      session_id: session.id,
      user: session.users[0],
      opened: session.opened,
      authentication: session.authenticated && { users: session.users, ...session.authenticated },
    });
  }

  private record(e: CabinetEvent): void {
    const { local, scope, bus } = this.deps;
    local.transaction((db) => recordEvent(db, scope, e));
    bus.emit("cabinet.event", {
      action: e.action,
      summary: e.summary,
      severity: e.severity ?? "info",
      at: new Date().toISOString(),
      session_id: e.session_id,
      user_id: e.user?.user_id,
    });
  }

  /**
   * Unlock from the cloud for a named person who is allowed at this cabinet (they phoned the manager,
   * say). The issuer is on record with the unlock. A dual-approval cabinet needs two different people
   * among the (signed) approvers, as it needs two badges at the door.
   */
  async remoteUnlock(
    userId: string,
    issuedBy: string | undefined,
    commandId: string,
    approvedBy: string[] = [],
  ): Promise<AccessOutcome> {
    const approvers = [...new Set(approvedBy)];
    if (this.dualApproval().required && approvers.length < 2) {
      this.record({
        type: "access",
        category: "user_action",
        action: "remote_unlock_denied",
        severity: "warning",
        summary: "Remote unlock refused: this cabinet needs two different people to approve it",
        details: { user_id: userId, issued_by: issuedBy, approved_by: approvers, command_id: commandId },
      });
      return { granted: false, reason: "second_approval_required" };
    }
    const user = this.deps.auth.userById(userId);
    if (!user) {
      this.record({
        type: "access",
        category: "user_action",
        action: "remote_unlock_denied",
        severity: "warning",
        summary: `Remote unlock refused: ${userId} may not open this cabinet`,
        details: { user_id: userId, issued_by: issuedBy, command_id: commandId },
      });
      return { granted: false, reason: "not_permitted" };
    }
    if (this.state === "unlocked" || this.state === "open")
      return { granted: true, session_id: this.session!.id, user };
    this.record({
      type: "access",
      category: "user_action",
      action: "remote_unlock",
      severity: "warning",
      user,
      summary: `Unlocked remotely for ${user.display_name}`,
      details: { issued_by: issuedBy, approved_by: approvers, command_id: commandId },
      requires_review: true,
    });
    return this.unlockFor([user], "remote");
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}
