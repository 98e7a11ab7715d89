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
  requiresDualApproval: boolean;
  /** How long the first approval of a dual-approval cabinet waits for the second person. */
  dualApprovalWindowMs: number;
}

export type AccessOutcome =
  | { granted: true; session_id: string; user: AuthorizedUser }
  | { granted: false; awaiting_second?: true; reason: string };

interface ActiveSession {
  id: string;
  users: AuthorizedUser[];
  opened: boolean;
  forced: boolean;
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
      logger: Logger;
      now?: () => number;
    },
  ) {}

  async start(): Promise<void> {
    const { door, lock } = this.deps;
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

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  status(): { state: SessionState; session_id?: string; users: AuthorizedUser[] } {
    return { state: this.state, session_id: this.session?.id, users: this.session?.users ?? [] };
  }

  /** A badge swipe or PIN entry at the cabinet. */
  async requestAccess(credential: Credential): Promise<AccessOutcome> {
    const result = this.deps.auth.authorize(credential);
    if (!result.ok) {
      this.record({
        type: "access",
        category: "user_action",
        action: "auth_denied",
        severity: "warning",
        summary: `Access denied (${result.method}: ${result.reason.replaceAll("_", " ")})`,
        details: { method: result.method, reason: result.reason, user_id: result.user_id },
      });
      return { granted: false, reason: result.reason };
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
    if (this.deps.config.requiresDualApproval) {
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
          details: { method: result.method },
        });
        return { granted: false, awaiting_second: true, reason: "second_approval_required" };
      }
      this.pendingFirst = undefined;
      return this.unlockFor([first.user, user], result.method);
    }
    return this.unlockFor([user], result.method);
  }

  private async unlockFor(users: AuthorizedUser[], method: string): Promise<AccessOutcome> {
    const session: ActiveSession = { id: randomUUID(), users, opened: false, forced: false };
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
    });
  }

  private record(e: CabinetEvent): void {
    const { local, scope } = this.deps;
    local.transaction((db) => recordEvent(db, scope, e));
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}
