// Signed in: who, until when, and the one thing to do now (open the door, or close it).
import { useState } from "preact/hooks";
import { api, type Status } from "../api";
import { roleName } from "../messages";
import { Button, useCountdown, useT } from "../ui";

export function SessionScreen(props: {
  status: Status;
  onShelves: () => void;
  onAlerts: () => void;
  onDone: () => void;
  fail: (e: unknown) => void;
}) {
  const t = useT();
  const { session, door } = props.status;
  const [busy, setBusy] = useState(false);
  const relockIn = useCountdown(session.relock_at);
  const first = session.users[0];
  const act = (fn: () => Promise<unknown>) => async () => {
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      props.fail(err);
    } finally {
      setBusy(false);
      props.onDone();
    }
  };

  if (session.state === "awaiting_second")
    return (
      <div class="session panel" data-testid="awaiting-second">
        <h1>{t("session.awaitingSecondTitle")}</h1>
        <p class="lead">{t("session.awaitingSecond", { name: first?.display_name ?? "" })}</p>
        <p class="muted">{t("idle.prompt")}</p>
      </div>
    );

  const open = session.state === "open" || door === "open";
  return (
    <div class="session" data-testid="session">
      <div class="session-who panel">
        <p class="muted">{roleName(t, first?.role ?? "")}</p>
        <h1 data-testid="signed-in-name">{t("session.hello", { name: first?.display_name ?? "" })}</h1>
        {session.users.slice(1).map((u) => (
          <p key={u.display_name} class="lead">
            + {u.display_name} · {roleName(t, u.role)}
          </p>
        ))}
        {open ? (
          <div class="callout callout-warning" data-testid="door-open-hint">
            <strong>{t("session.doorOpenTitle")}</strong>
            <span>{t("session.doorOpen")}</span>
          </div>
        ) : (
          <>
            <p class="lead">{t("session.unlocked")}</p>
            {relockIn && (
              <p class="countdown" data-testid="relock-countdown">
                {t("session.relockIn", { time: relockIn })}
              </p>
            )}
          </>
        )}
      </div>
      <div class="session-actions">
        {!open && (
          <>
            <Button tone="primary" size="lg" onClick={act(api.open)} disabled={busy} testId="open-cabinet">
              {t("session.open")}
            </Button>
            <Button
              tone="secondary"
              onClick={act(() => api.signOut("button"))}
              disabled={busy}
              testId="sign-out"
            >
              {t("session.signOut")}
            </Button>
          </>
        )}
        <Button tone="secondary" onClick={props.onShelves} testId="session-shelves">
          {t("idle.shelves")}
        </Button>
        <Button
          tone={props.status.alerts_open > 0 ? "danger" : "secondary"}
          onClick={props.onAlerts}
          testId="session-alerts"
        >
          {props.status.alerts_open > 0
            ? t("idle.alertsOpen", { n: props.status.alerts_open })
            : t("idle.alerts")}
        </Button>
      </div>
    </div>
  );
}
