// The appliance's in-process event bus. Behaviours react to typed events instead of calling each other;
// listeners are registered under their owner so that stopping a component drops all of its listeners.
import { EventEmitter } from "node:events";
import type { EventSeverity } from "../shared/enums.js";
import type { Logger } from "../shared/logger.js";
import type { safetyAlerts } from "./db/schema.js";

/**
 * One behaviour of the appliance (zigbee2mqtt's extensions): the constructor stores collaborators, work
 * begins in `start()`, and `stop()` undoes it (bus listeners, timers, subscriptions). The composition
 * root starts them in dependency order and stops them in reverse.
 */
export interface ApplianceListener {
  start(): void;
  stop(): void;
}

/** The listeners of one start phase: started together in order, stopped together in reverse. */
export class ListenerGroup {
  private readonly started: ApplianceListener[] = [];

  start(...listeners: (ApplianceListener | undefined)[]): void {
    for (const l of listeners) {
      if (!l) continue;
      l.start();
      this.started.push(l);
    }
  }

  stop(): void {
    for (const l of this.started.splice(0).reverse()) l.stop();
  }
}

export interface SessionSummary {
  session_id: string;
  /** Who opened the cabinet; undefined for a forced door. */
  user?: { user_id: string; display_name: string; email: string | null; role: string };
  opened: boolean;
  /** Everyone who authenticated to open it, how and when: their signature on controlled accesses. */
  authentication?: DoorAuthentication;
}

/** The people who authenticated at the cabinet for a session (two on a dual-approval cabinet). */
export interface DoorAuthentication {
  users: { user_id: string; display_name: string; email: string | null; role: string }[];
  method: string;
  at: Date;
}

/** A step of cabinet life worth showing live (the durable record is the event log). */
export interface LiveEvent {
  action: string;
  summary: string;
  severity: EventSeverity;
  at: string;
  session_id?: string;
  user_id?: string;
}

/** A spill or broken glass the detector found on a shelf image (appliance/safety, docs/safety.md). */
export interface HazardFound {
  /** The scan_results row that records it. */
  scan_id: string;
  shelf: number;
  kind: "spill" | "breakage";
  /** The model's score, 0..1, at or above the configured threshold (safety.spillThreshold, ...). */
  confidence: number;
  /** Where on the shelf image, as fractions of its width and height. */
  box: { x: number; y: number; w: number; h: number };
  /** The shelf's evidence image (its SHA-256, as in scan_results.image_s3_key, and its file); absent when the shelf's labels could not be read. */
  image_key?: string;
  image_path?: string;
}

export interface BusEvents {
  "cabinet.event": LiveEvent;
  "session.ended": SessionSummary;
  /** A scan after a session or on a cloud command finished: its results should go up now. */
  "scan.completed": { scan_ids: string[]; session_id?: string };
  /** A safety alert was just written (with its outbox row): it should reach the cloud live. */
  "alert.raised": typeof safetyAlerts.$inferSelect;
  /** Any scan (every trigger) found a spill or broken glass; emitted once its rows are stored. */
  "scan.hazards": { scan_ids: string[]; trigger: string; session_id?: string; found: HazardFound[] };
}

type Handler<K extends keyof BusEvents> = (payload: BusEvents[K]) => void | Promise<void>;

export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly owned = new Map<object, { event: string; fn: (p: unknown) => void }[]>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof BusEvents>(owner: object, event: K, listener: Handler<K>): void {
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
