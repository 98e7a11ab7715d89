// Every step of cabinet life on the bus goes out on the live channel, for the cloud's live views.
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { DeviceLink } from "./device-link.service.js";

export class LiveEventsListener implements ApplianceListener {
  constructor(private readonly deps: { bus: EventBus; link: Pick<DeviceLink, "publishEvent"> }) {}

  start(): void {
    this.deps.bus.on(this, "cabinet.event", (e) => {
      this.deps.link.publishEvent(e.action, { ...e });
    });
  }

  stop(): void {
    this.deps.bus.removeOwner(this);
  }
}
