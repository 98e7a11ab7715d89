// Runs the cloud's commands once the device link has admitted them (signed, fresh, never seen):
// scan the shelves, sync now, or unlock for a named person.
import type { CommandMessage } from "../../shared/mqtt/topics.js";
import type { ApplianceListener, EventBus } from "../event-bus.js";
import type { ScanService } from "../scan/scan.service.js";
import type { SessionService } from "../session/session.service.js";
import type { SyncService } from "../sync/sync.service.js";
import type { CommandResult, DeviceLink } from "./device-link.service.js";

export class CommandListener implements ApplianceListener {
  private unsubscribe?: () => void;

  constructor(
    private readonly deps: {
      link: Pick<DeviceLink, "onCommand">;
      bus: EventBus;
      scans: ScanService;
      session: Pick<SessionService, "remoteUnlock">;
      sync: Pick<SyncService, "kick">;
    },
  ) {}

  start(): void {
    this.unsubscribe = this.deps.link.onCommand((cmd) => this.run(cmd));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private async run(cmd: CommandMessage): Promise<CommandResult> {
    const { bus, scans, session, sync } = this.deps;
    switch (cmd.command) {
      case "scan_now": {
        const outcome = await scans.scan({ trigger: "api", triggered_by: cmd.issued_by });
        bus.emit("scan.completed", { scan_ids: outcome.scan_ids });
        return { status: "done", detail: `${outcome.scan_ids.length} shelves scanned` };
      }
      case "sync_now":
        sync.kick();
        return { status: "done" };
      case "unlock": {
        const userId = typeof cmd.params?.user_id === "string" ? cmd.params.user_id : "";
        const r = await session.remoteUnlock(userId, cmd.issued_by, cmd.id, cmd.approved_by ?? []);
        return r.granted
          ? { status: "done", detail: `unlocked for ${r.user.display_name}` }
          : { status: "rejected", detail: r.reason };
      }
    }
  }
}
