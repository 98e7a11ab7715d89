import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { type Logger, silentLogger } from "../../shared/logger.js";
import type { DoorState } from "./door-sensor.js";
import { Listeners, type Unsubscribe } from "./listeners.js";
import type { LockState } from "./lock.js";

/** Positions are normalised to the shelf image (0..1, origin top-left). */
export interface SimContainer {
  qr_code: string;
  x: number;
  y: number;
  /** Its label faces away (or is bent or scratched): the camera sees a label but cannot read it. */
  unreadable?: boolean;
}

export interface SimHazard {
  x: number;
  y: number;
  radius: number;
  kind: "spill" | "breakage";
}

export interface SimShelfState {
  shelf: number;
  containers: SimContainer[];
  hazards: SimHazard[];
}

export interface SimCabinetSnapshot {
  door: DoorState;
  lock: LockState;
  shelves: SimShelfState[];
}

export interface SimCabinetOptions {
  /** Shelf numbers that exist; containers can only be placed on these. */
  shelves: number[];
  /** When set, every change is written here (atomically) so state survives a restart. */
  persistPath?: string;
  /** Injectable for deterministic tests. */
  random?: () => number;
  /** Minimum centre distance between randomly placed containers. */
  minSpacing?: number;
  logger?: Logger;
}

const persistedSchema = z.object({
  door: z.enum(["open", "closed"]),
  lock: z.enum(["locked", "unlocked"]),
  shelves: z.array(
    z.object({
      shelf: z.number().int(),
      containers: z.array(
        z.object({ qr_code: z.string(), x: z.number(), y: z.number(), unreadable: z.boolean().optional() }),
      ),
      hazards: z
        .array(
          z.object({ x: z.number(), y: z.number(), radius: z.number(), kind: z.enum(["spill", "breakage"]) }),
        )
        .default([]),
    }),
  ),
});

const EDGE_MARGIN = 0.1;

/**
 * The simulated cabinet's physical state, shared by the sim drivers and the simulator control API
 * (which is why it is injected rather than owned by any one driver).
 */
export class SimCabinet {
  private door: DoorState = "closed";
  private lock: LockState = "locked";
  private readonly shelves = new Map<number, { containers: SimContainer[]; hazards: SimHazard[] }>();
  private readonly doorListeners: Listeners<DoorState>;
  private readonly badgeListeners: Listeners<string>;
  private readonly changeListeners: Listeners<SimCabinetSnapshot>;
  private readonly logger: Logger;

  constructor(private readonly opts: SimCabinetOptions) {
    this.logger = opts.logger ?? silentLogger;
    for (const shelf of opts.shelves) this.shelves.set(shelf, { containers: [], hazards: [] });
    this.doorListeners = new Listeners(this.logger, "sim.door");
    this.badgeListeners = new Listeners(this.logger, "sim.badge");
    this.changeListeners = new Listeners(this.logger, "sim.change");
  }

  /**
   * Cabinet bound to `path`: restores it when the file exists (shelves from the file are merged with
   * `opts.shelves`), and saves there after every change.
   */
  static load(path: string, opts: Omit<SimCabinetOptions, "persistPath">): SimCabinet {
    const cabinet = new SimCabinet({ ...opts, persistPath: path });
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (text !== undefined) {
      const data = persistedSchema.parse(JSON.parse(text));
      cabinet.door = data.door;
      cabinet.lock = data.lock;
      for (const s of data.shelves)
        cabinet.shelves.set(s.shelf, { containers: s.containers, hazards: s.hazards });
    }
    return cabinet;
  }

  doorState(): DoorState {
    return this.door;
  }

  lockState(): LockState {
    return this.lock;
  }

  setDoor(open: boolean): void {
    const next: DoorState = open ? "open" : "closed";
    if (next === this.door) return;
    this.door = next;
    this.changed();
    this.doorListeners.emit(next);
  }

  /** Driven by the sim lock output; the control API reads it through snapshot(). */
  setLock(state: LockState): void {
    if (state === this.lock) return;
    this.lock = state;
    this.changed();
  }

  swipeBadge(badge: string): void {
    this.badgeListeners.emit(badge);
  }

  addContainer(shelf: number, c: { qr_code: string; x?: number; y?: number }): SimContainer {
    const s = this.shelf(shelf);
    if (s.containers.some((x) => x.qr_code === c.qr_code)) {
      throw new Error(`container ${c.qr_code} is already on shelf ${shelf}`);
    }
    const pos = c.x !== undefined && c.y !== undefined ? { x: c.x, y: c.y } : this.freePosition(s.containers);
    if (pos.x < 0 || pos.x > 1 || pos.y < 0 || pos.y > 1)
      throw new Error("container position must be within 0..1");
    const container = { qr_code: c.qr_code, x: pos.x, y: pos.y };
    s.containers.push(container);
    this.changed();
    return { ...container };
  }

  removeContainer(shelf: number, qr: string): boolean {
    const s = this.shelf(shelf);
    const i = s.containers.findIndex((c) => c.qr_code === qr);
    if (i < 0) return false;
    s.containers.splice(i, 1);
    this.changed();
    return true;
  }

  /** Turns a container's label away from the camera (`unreadable`) or back; false when it is not there. */
  setUnreadable(shelf: number, qr: string, unreadable: boolean): boolean {
    const c = this.shelf(shelf).containers.find((x) => x.qr_code === qr);
    if (!c) return false;
    if (unreadable) c.unreadable = true;
    else delete c.unreadable;
    this.changed();
    return true;
  }

  addHazard(shelf: number, hazard: SimHazard): void {
    this.shelf(shelf).hazards.push({ ...hazard });
    this.changed();
  }

  clearHazards(shelf: number): void {
    this.shelf(shelf).hazards = [];
    this.changed();
  }

  shelfState(shelf: number): SimShelfState {
    const s = this.shelf(shelf);
    return {
      shelf,
      containers: s.containers.map((c) => ({ ...c })),
      hazards: s.hazards.map((h) => ({ ...h })),
    };
  }

  snapshot(): SimCabinetSnapshot {
    return {
      door: this.door,
      lock: this.lock,
      shelves: [...this.shelves.keys()].sort((a, b) => a - b).map((shelf) => this.shelfState(shelf)),
    };
  }

  onDoor(cb: (state: DoorState) => void): Unsubscribe {
    return this.doorListeners.add(cb);
  }

  onBadge(cb: (badge: string) => void): Unsubscribe {
    return this.badgeListeners.add(cb);
  }

  /** Any persisted change (door, lock, containers, hazards). */
  onChange(cb: (snapshot: SimCabinetSnapshot) => void): Unsubscribe {
    return this.changeListeners.add(cb);
  }

  /** Temp file + rename so a crash mid-write never leaves a truncated state file. */
  save(): void {
    const path = this.opts.persistPath;
    if (!path) return;
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.snapshot(), null, 2)}\n`);
    renameSync(tmp, path);
  }

  private shelf(shelf: number): { containers: SimContainer[]; hazards: SimHazard[] } {
    const s = this.shelves.get(shelf);
    if (!s) throw new Error(`no shelf ${shelf} (have ${[...this.shelves.keys()].join(", ")})`);
    return s;
  }

  private changed(): void {
    try {
      this.save();
    } catch (err) {
      this.logger.error({ err, path: this.opts.persistPath }, "sim cabinet save failed");
    }
    this.changeListeners.emit(this.snapshot());
  }

  // Rejection sampling; when the shelf is crowded, take the candidate farthest from its neighbours.
  private freePosition(existing: SimContainer[]): { x: number; y: number } {
    const rnd = this.opts.random ?? Math.random;
    const spacing = this.opts.minSpacing ?? 0.15;
    let best = { x: 0.5, y: 0.5 };
    let bestDist = -1;
    for (let i = 0; i < 200; i++) {
      const p = {
        x: round(EDGE_MARGIN + rnd() * (1 - 2 * EDGE_MARGIN)),
        y: round(EDGE_MARGIN + rnd() * (1 - 2 * EDGE_MARGIN)),
      };
      const d = Math.min(Number.POSITIVE_INFINITY, ...existing.map((c) => Math.hypot(c.x - p.x, c.y - p.y)));
      if (d >= spacing) return p;
      if (d > bestDist) {
        bestDist = d;
        best = p;
      }
    }
    return best;
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
