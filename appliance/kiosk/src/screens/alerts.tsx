// Alerts at this cabinet: what and where (the shelf photo with the place marked), and acknowledging.
import { useEffect, useState } from "preact/hooks";
import { type Alert, api } from "../api";
import type { MessageKey } from "../messages";
import { Button, clock, framed, Screen, ShelfPhoto, useT } from "../ui";

export function AlertsScreen(props: {
  version: number;
  alertId?: string;
  signedIn: boolean;
  onOpen: (id: string) => void;
  onBack: () => void;
  onSignIn: (id: string) => void;
  fail: (e: unknown) => void;
}) {
  const t = useT();
  const [alerts, setAlerts] = useState<Alert[]>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void api.alerts().then(setAlerts, props.fail);
  }, [props.version]);
  const alert = alerts?.find((a) => a.alert_id === props.alertId);
  const severity = (a: Alert) => (
    <span class={`tag sev-${a.severity}`}>{t(`severity.${a.severity}` as MessageKey)}</span>
  );
  const where = (a: Alert) => (a.shelf ? t("alerts.where", { shelf: a.shelf }) : t("alerts.whereUnknown"));

  if (alert) {
    const acknowledge = async () => {
      setBusy(true);
      try {
        await api.acknowledge(alert.alert_id);
        setAlerts(await api.alerts());
      } catch (err) {
        props.fail(err);
      } finally {
        setBusy(false);
      }
    };
    return (
      <Screen title={alert.title} onBack={props.onBack} backLabel={t("common.back")}>
        <div class="alert-detail" data-testid="alert-detail">
          <ShelfPhoto
            scanId={alert.scan_id}
            emptyText={where(alert)}
            marks={alert.box ? [{ ...framed(alert.box, 0.01), tone: "alert" as const }] : []}
          />
          <div class="alert-text">
            <p>
              {severity(alert)} <strong>{where(alert)}</strong>
            </p>
            {alert.description && <p>{alert.description}</p>}
            <p class="muted">{t("alerts.detected", { time: clock(alert.detected_at) })}</p>
            {alert.status === "open" ? (
              props.signedIn ? (
                <Button tone="danger" size="lg" onClick={acknowledge} disabled={busy} testId="acknowledge">
                  {t("alerts.acknowledge")}
                </Button>
              ) : (
                <Button
                  tone="primary"
                  size="lg"
                  onClick={() => props.onSignIn(alert.alert_id)}
                  testId="sign-in-to-ack"
                >
                  {t("alerts.signInToAck")}
                </Button>
              )
            ) : (
              <p class="callout callout-ok" data-testid="acknowledged">
                ✓ {t("alerts.acknowledged")} {clock(alert.acknowledged_at)}
              </p>
            )}
          </div>
        </div>
      </Screen>
    );
  }
  return (
    <Screen title={t("alerts.title")} onBack={props.onBack} backLabel={t("common.back")}>
      <ul class="list" data-testid="alert-list">
        {alerts?.length === 0 && <li class="lead">{t("alerts.none")}</li>}
        {alerts?.map((a) => (
          <li key={a.alert_id}>
            <button
              type="button"
              class={`row row-${a.status === "open" ? "open" : "done"}`}
              onClick={() => props.onOpen(a.alert_id)}
              data-testid={`alert-${a.alert_id}`}
            >
              <span class="row-main">
                <strong>{a.title}</strong>
                <span class="muted small">
                  {where(a)} · {clock(a.detected_at)}
                </span>
              </span>
              <span class="row-side">
                {severity(a)}
                {a.status !== "open" && <span class="tag tag-muted">{t("alerts.acknowledged")}</span>}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </Screen>
  );
}
