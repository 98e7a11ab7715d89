// Live updates for the kiosk: every step of cabinet life on the bus (session, door, lock, scans,
// alerts written through events) and every change of the sync state is pushed to the open kiosk pages
// as a server-sent event; the page then reads what it shows again.
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { DoorSensor } from "../hardware/door-sensor.js";
import type { Unsubscribe } from "../hardware/listeners.js";
import type { LockController } from "../hardware/lock-controller.js";

export interface LiveMessage {
  /** What changed: `door`, `lock`, `event`, `session`, `scan`, `sync`. */
  kind: string;
  /** The event's action or the new state. */
  detail?: string;
}

type Client = (m: LiveMessage) => void;

/** How often the sync state (pending changes, last upload, errors) is compared for changes. */
const SYNC_POLL_MS = 2_000;

export class KioskLiveListener implements ApplianceListener {
  private readonly clients = new Set<Client>();
  private readonly unsubscribe: Unsubscribe[] = [];
  private syncTimer?: NodeJS.Timeout;
  private lastSync = "";

  constructor(
    private readonly deps: {
      bus: EventBus;
      door: DoorSensor;
      lock: LockController;
      /** The sync state as the kiosk shows it; compared as JSON. */
      syncState: () => unknown;
    },
  ) {}

  start(): void {
    const { bus, door, lock, syncState } = this.deps;
    bus.on(this, "cabinet.event", (e) => this.send({ kind: "event", detail: e.action }));
    // A session whose door was opened ends in a scan of the shelves.
    bus.on(this, "session.ended", (s) =>
      this.send({ kind: "session", detail: s.opened ? "scanning" : "ended" }),
    );
    bus.on(this, "scan.completed", () => this.send({ kind: "scan", detail: "completed" }));
    this.unsubscribe.push(door.onChange((s) => this.send({ kind: "door", detail: s })));
    this.unsubscribe.push(lock.onChange((s) => this.send({ kind: "lock", detail: s })));
    this.lastSync = JSON.stringify(syncState());
    this.syncTimer = setInterval(() => {
      const now = JSON.stringify(syncState());
      if (now === this.lastSync) return;
      this.lastSync = now;
      this.send({ kind: "sync" });
    }, SYNC_POLL_MS);
    this.syncTimer.unref();
  }

  stop(): void {
    this.deps.bus.removeOwner(this);
    for (const u of this.unsubscribe.splice(0)) u();
    clearInterval(this.syncTimer);
    this.clients.clear();
  }

  /** Adds a page's stream; returns the function that removes it. */
  subscribe(client: Client): () => void {
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  private send(m: LiveMessage): void {
    for (const c of this.clients) c(m);
  }
}
