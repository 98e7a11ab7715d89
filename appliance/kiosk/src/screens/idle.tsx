// The start: who this cabinet is, whether it is safe, and how to sign in.
import type { Status } from "../api";
import { Button, clock, useT } from "../ui";

export function IdleScreen(props: {
  status: Status;
  scanning: boolean;
  onPin: () => void;
  onShelves: () => void;
  onAlerts: () => void;
}) {
  const t = useT();
  const { status } = props;
  const sync = status.sync;
  return (
    <div class="idle" data-testid="idle">
      <div class="idle-main panel">
        {props.scanning ? (
          <div class="scanning" data-testid="scanning">
            <div class="spinner" />
            <p class="lead">{t("idle.scanning")}</p>
          </div>
        ) : (
          <>
            <div class="badge-icon" aria-hidden="true">
              <svg viewBox="0 0 64 64" width="72" height="72" aria-hidden="true">
                <rect
                  x="10"
                  y="6"
                  width="44"
                  height="52"
                  rx="6"
                  fill="none"
                  stroke="currentColor"
                  stroke-width="4"
                />
                <circle cx="32" cy="26" r="8" fill="currentColor" />
                <rect x="20" y="40" width="24" height="5" rx="2" fill="currentColor" />
              </svg>
            </div>
            <p class="lead" data-testid="prompt">
              {t("idle.prompt")}
            </p>
            <p class="muted">{t("idle.badgeHint")}</p>
            <Button tone="primary" size="lg" onClick={props.onPin} testId="enter-pin">
              {t("idle.enterPin")}
            </Button>
            {status.cabinet.dual_approval && (
              <p class="muted">{t(status.cabinet.controlled ? "session.dual_controlled" : "session.dual")}</p>
            )}
          </>
        )}
      </div>
      <div class="idle-side">
        <button
          type="button"
          class={`tile ${status.alerts_open > 0 ? "tile-danger" : ""}`}
          onClick={props.onAlerts}
          data-testid="alerts-tile"
        >
          <span class="tile-title">{t("idle.alerts")}</span>
          <span class="tile-value">
            {status.alerts_open > 0 ? t("idle.alertsOpen", { n: status.alerts_open }) : t("idle.alertsNone")}
          </span>
        </button>
        <button type="button" class="tile" onClick={props.onShelves} data-testid="shelves-tile">
          <span class="tile-title">{t("idle.shelves")}</span>
          <span class="tile-value">
            {status.cabinet.shelves.map((n) => t("common.shelf", { n })).join(" · ")}
          </span>
        </button>
        <div
          class={`tile tile-static ${sync.mode === "cloud" && !sync.online ? "tile-offline" : ""}`}
          data-testid="sync-tile"
        >
          <span class="tile-title">{t("sync.title")}</span>
          <span class="tile-value">
            {sync.mode === "standalone"
              ? t("sync.standaloneLong")
              : sync.last_sync
                ? t("sync.lastSync", { time: clock(sync.last_sync) })
                : t("sync.never")}
          </span>
          {sync.mode === "cloud" && <span class="tile-small">{t("sync.pending", { n: sync.pending })}</span>}
          {sync.mode === "cloud" && !sync.online && <span class="tile-small">{t("sync.offlineHint")}</span>}
        </div>
      </div>
    </div>
  );
}
