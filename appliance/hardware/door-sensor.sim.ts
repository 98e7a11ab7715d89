import type { Logger } from "../../shared/logger.js";
import type { DoorSensor, DoorState } from "./door-sensor.js";
import { Listeners, type Unsubscribe } from "./listeners.js";
import type { SimCabinet } from "./sim-cabinet.js";

/** Door sensor reading the simulated cabinet; no bounce to filter. */
export class SimDoorSensor implements DoorSensor {
  private readonly listeners: Listeners<DoorState>;
  private unsubscribe: Unsubscribe | undefined;

  constructor(
    private readonly cabinet: SimCabinet,
    private readonly logger: Logger,
  ) {
    this.listeners = new Listeners(logger, "door.change");
  }

  async start(): Promise<void> {
    this.unsubscribe = this.cabinet.onDoor((state) => {
      this.logger.info({ door: state }, "door changed (sim)");
      this.listeners.emit(state);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  state(): DoorState {
    return this.cabinet.doorState();
  }

  onChange(cb: (state: DoorState) => void): Unsubscribe {
    return this.listeners.add(cb);
  }
}
