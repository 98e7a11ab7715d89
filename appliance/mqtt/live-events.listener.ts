// Every step of cabinet life on the bus goes out on the live channel, for the cloud's live views, and
// every new safety alert as its whole row: the cloud stores it at once, the next sync finds it there.
import { SAFETY_ALERT_EVENT } from "../../shared/mqtt/topics.js";
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { DeviceLink } from "./device-link.service.js";

export class LiveEventsListener implements ApplianceListener {
  constructor(private readonly deps: { bus: EventBus; link: Pick<DeviceLink, "publishEvent"> }) {}

  start(): void {
    this.deps.bus.on(this, "cabinet.event", (e) => {
      this.deps.link.publishEvent(e.action, { ...e });
    });
    this.deps.bus.on(this, "alert.raised", (alert) => {
      this.deps.link.publishEvent(SAFETY_ALERT_EVENT, { alert: JSON.parse(JSON.stringify(alert)) });
    });
  }

  stop(): void {
    this.deps.bus.removeOwner(this);
  }
}
