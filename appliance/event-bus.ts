// The appliance's in-process event bus. Behaviours react to typed events instead of calling each other;
// listeners are registered under their owner so that stopping a component drops all of its listeners.
import { EventEmitter } from "node:events";
import type { Logger } from "../shared/logger.js";

export interface SessionSummary {
  session_id: string;
  /** Who opened the cabinet; undefined for a forced door. */
  user?: { user_id: string; display_name: string; email: string | null; role: string };
  opened: boolean;
}

/** A step of cabinet life worth showing live (the durable record is the event log). */
export interface LiveEvent {
  action: string;
  summary: string;
  severity: string;
  at: string;
  session_id?: string;
  user_id?: string;
}

export interface BusEvents {
  "cabinet.event": LiveEvent;
  "session.ended": SessionSummary;
  "scan.requested": { trigger: "scheduled" | "manual" | "api"; triggered_by?: string };
  "scan.completed": { scan_ids: string[]; session_id?: string };
}

type Listener<K extends keyof BusEvents> = (payload: BusEvents[K]) => void | Promise<void>;

export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly owned = new Map<object, { event: string; fn: (p: unknown) => void }[]>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof BusEvents>(owner: object, event: K, listener: Listener<K>): void {
    // A failing listener is logged, never allowed to break the emitter or its siblings.
    const fn = (payload: unknown) => {
      Promise.resolve()
        .then(() => listener(payload as BusEvents[K]))
        .catch((err: unknown) => this.logger.error({ err, event }, "event listener failed"));
    };
    this.emitter.on(event, fn);
    this.owned.set(owner, [...(this.owned.get(owner) ?? []), { event, fn }]);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    this.emitter.emit(event, payload);
  }

  removeOwner(owner: object): void {
    for (const { event, fn } of this.owned.get(owner) ?? []) this.emitter.off(event, fn);
    this.owned.delete(owner);
  }
}
