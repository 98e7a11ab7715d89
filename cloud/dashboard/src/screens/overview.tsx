// The organization at a glance: departments → laboratories → cabinets, each cabinet's live status
// (online, door, lock) kept current by the live stream, and the open alerts, worst first, grouped by
// cabinet and kind so that twenty incompatible pairs read as one finding to open.
import { useEffect, useState } from "preact/hooks";
import { type ApiError, type Page, post } from "../api.js";
import { Card, Empty, ErrorNote, FormError, PageHeader, Pill, type Tone } from "../components/ui.js";
import { relative, words } from "../format.js";
import { useLiveEvents } from "../live.js";
import { can, orgPath, useOrg } from "../org.js";
import { useResource } from "../resource.js";
import { Link } from "../router.js";

interface Department {
  dept_id: string;
  dept_name: string;
  dept_code: string | null;
  building: string | null;
}
interface Laboratory {
  lab_id: string;
  dept_id: string;
  lab_name: string;
  lab_code: string | null;
  building: string | null;
  room_number: string | null;
}
export interface CabinetLive {
  online: boolean;
  door: "open" | "closed" | "forced" | null;
  lock: "locked" | "unlocked" | null;
  last_seen_at: string | null;
}
export interface Cabinet {
  cabinet_id: string;
  lab_id: string;
  cabinet_name: string;
  cabinet_code: string;
  num_shelves: number;
  storage_type: string | null;
  precise_location: string | null;
  device_id: string | null;
  live: CabinetLive;
}
export interface Alert {
  alert_id: string;
  cabinet_id: string | null;
  alert_type: string;
  severity: string;
  title: string;
  description: string | null;
  status: string;
  detected_at: string;
}

const SEVERITY_TONE: Record<string, Tone> = {
  critical: "danger",
  high: "danger",
  medium: "warn",
  low: "info",
  info: "info",
};
const DOOR_TONE: Record<string, Tone> = { open: "warn", forced: "danger", closed: "ok" };
const SEVERITY_ORDER = ["critical", "high", "medium", "low"];

function CabinetCard({ cabinet, alerts }: { cabinet: Cabinet; alerts: Alert[] }) {
  const { live } = cabinet;
  return (
    <article
      class={`cabinet ${live.online ? "" : "cabinet--offline"}`}
      aria-label={`Cabinet ${cabinet.cabinet_name}`}
    >
      <header class="cabinet__header">
        <h4>
          <Link href={`/inventory?cabinet=${cabinet.cabinet_id}`}>{cabinet.cabinet_name}</Link>
        </h4>
        <span class="mono muted">{cabinet.cabinet_code}</span>
      </header>
      <ul class="cabinet__status" aria-label="Status">
        <li>
          <Pill tone={live.online ? "ok" : "danger"}>{live.online ? "Online" : "Offline"}</Pill>
        </li>
        <li>
          <Pill tone={DOOR_TONE[live.door ?? ""] ?? "neutral"}>Door {live.door ?? "unknown"}</Pill>
        </li>
        <li>
          <Pill tone={live.lock === "unlocked" ? "warn" : live.lock === "locked" ? "ok" : "neutral"}>
            {live.lock ? words(live.lock) : "Lock unknown"}
          </Pill>
        </li>
      </ul>
      <p class="cabinet__meta">
        {[words(cabinet.storage_type), `${cabinet.num_shelves} shelves`, cabinet.precise_location]
          .filter(Boolean)
          .join(" · ")}
      </p>
      <p class="cabinet__meta">
        {live.online ? "Reporting now" : `Last seen ${relative(live.last_seen_at)}`}
        {alerts.length > 0 && (
          <>
            {" · "}
            <strong class="text-danger">
              {alerts.length} open alert{alerts.length === 1 ? "" : "s"}
            </strong>
          </>
        )}
      </p>
    </article>
  );
}

const bySeverity = (a: Alert, b: Alert) =>
  SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
  b.detected_at.localeCompare(a.detected_at);

/** Alerts of one kind and severity in one cabinet, newest first. */
interface AlertGroupOf {
  key: string;
  cabinet_id: string | null;
  alert_type: string;
  alerts: Alert[];
}

function groupAlerts(alerts: Alert[]): AlertGroupOf[] {
  const groups = new Map<string, AlertGroupOf>();
  for (const a of [...alerts].sort(bySeverity)) {
    const key = `${a.cabinet_id ?? "org"}:${a.alert_type}:${a.severity}`;
    const g = groups.get(key) ?? { key, cabinet_id: a.cabinet_id, alert_type: a.alert_type, alerts: [] };
    g.alerts.push(a);
    groups.set(key, g);
  }
  // Worst group first (its worst alert decides), then the larger one.
  return [...groups.values()].sort(
    (x, y) => bySeverity(x.alerts[0]!, y.alerts[0]!) || y.alerts.length - x.alerts.length,
  );
}

/** Takes one step on each of the alerts, then shows where they stand. */
type Step = (alerts: Alert[], action: "acknowledge" | "resolve") => Promise<void>;

/** How many of a group's alerts show when it opens, before "Show all". */
const GROUP_PREVIEW = 5;

/** One alert; `inGroup`: under its group's line, which already says its severity and cabinet. */
function AlertItem({
  alert,
  where,
  step,
  inGroup,
}: {
  alert: Alert;
  where?: string;
  step: Step;
  inGroup?: boolean;
}) {
  const org = useOrg();
  return (
    <li class={inGroup ? "alert alert--grouped" : "alert"}>
      {!inGroup && <Pill tone={SEVERITY_TONE[alert.severity] ?? "neutral"}>{words(alert.severity)}</Pill>}
      <div>
        <p class="alert__title">{alert.title}</p>
        <p class="muted">
          {[where, relative(alert.detected_at), words(alert.status)].filter(Boolean).join(" · ")}
        </p>
        <div class="alert__actions">
          {alert.status === "open" && can(org, "alert:acknowledge") && (
            <button
              type="button"
              class="button button--small button--secondary"
              onClick={() => void step([alert], "acknowledge")}
            >
              Acknowledge
            </button>
          )}
          {can(org, "alert:resolve") && (
            <button
              type="button"
              class="button button--small button--ghost"
              onClick={() => void step([alert], "resolve")}
            >
              Resolve
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

/** One alert as it is; several of a kind folded under one line that opens (a native disclosure). */
function AlertGroup({ group, cabinet, step }: { group: AlertGroupOf; cabinet: string; step: Step }) {
  const org = useOrg();
  const [all, setAll] = useState(false);
  const [worst] = group.alerts;
  if (group.alerts.length === 1) return <AlertItem alert={worst!} where={cabinet} step={step} />;
  const open = group.alerts.filter((a) => a.status === "open");
  const shown = all ? group.alerts : group.alerts.slice(0, GROUP_PREVIEW);
  return (
    <li class="alert-group">
      <details>
        <summary>
          <Pill tone={SEVERITY_TONE[worst!.severity] ?? "neutral"}>{words(worst!.severity)}</Pill>
          <span>
            <span class="alert__title">
              {words(group.alert_type)}: {group.alerts.length} alerts
            </span>
            <span class="muted alert-group__meta">
              {cabinet} · latest{" "}
              {relative(
                group.alerts
                  .map((a) => a.detected_at)
                  .sort()
                  .at(-1)!,
              )}
              {open.length === group.alerts.length
                ? " · none acknowledged"
                : open.length > 0 && ` · ${open.length} not acknowledged`}
            </span>
          </span>
        </summary>
        {open.length > 1 && can(org, "alert:acknowledge") && (
          <div class="alert-group__bulk">
            <button
              type="button"
              class="button button--small button--secondary"
              onClick={() => void step(open, "acknowledge")}
            >
              Acknowledge all {open.length}
            </button>
          </div>
        )}
        <ul class="alerts">
          {shown.map((a) => (
            <AlertItem key={a.alert_id} alert={a} step={step} inGroup />
          ))}
        </ul>
        {shown.length < group.alerts.length && (
          <button type="button" class="button button--small button--ghost" onClick={() => setAll(true)}>
            Show all {group.alerts.length}
          </button>
        )}
      </details>
    </li>
  );
}

export function OverviewScreen() {
  const org = useOrg();
  const depts = useResource<Page<Department>>(orgPath(org, "/departments?limit=200"));
  const labs = useResource<Page<Laboratory>>(orgPath(org, "/laboratories?limit=200"));
  const cabinetsRes = useResource<Page<Cabinet>>(orgPath(org, "/cabinets?limit=200"));
  const alertsRes = useResource<Page<Alert>>(
    orgPath(org, "/alerts?status=open,acknowledged,in_progress&limit=200"),
  );
  const [cabinets, setCabinets] = useState<Cabinet[]>([]);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  useEffect(() => setCabinets(cabinetsRes.data?.items ?? []), [cabinetsRes.data]);
  useEffect(() => setAlerts(alertsRes.data?.items ?? []), [alertsRes.data]);

  // presence: {cabinet_id, status: online|offline, at}; cabinet: a door/lock/session step, with
  // door and lock when the step changes them; alert: a new or changed alert.
  useLiveEvents((e) => {
    const cabinetId = e.data.cabinet_id as string | undefined;
    const patch = (change: Partial<CabinetLive>) =>
      setCabinets((list) =>
        list.map((c) => (c.cabinet_id === cabinetId ? { ...c, live: { ...c.live, ...change } } : c)),
      );
    if (e.type === "presence" && cabinetId) {
      patch({ online: e.data.status === "online", last_seen_at: (e.data.at as string | undefined) ?? null });
    } else if (e.type === "cabinet" && cabinetId) {
      const { door, lock } = e.data as Partial<CabinetLive>;
      patch({ online: true, ...(door ? { door } : {}), ...(lock ? { lock } : {}) });
    } else if (e.type === "alert") {
      alertsRes.reload();
    }
  });

  const error = depts.error ?? labs.error ?? cabinetsRes.error;
  const online = cabinets.filter((c) => c.live.online).length;
  const doorsOpen = cabinets.filter((c) => c.live.door === "open" || c.live.door === "forced").length;
  const groups = groupAlerts(alerts);
  const counts = SEVERITY_ORDER.map((sev) => [sev, alerts.filter((a) => a.severity === sev).length] as const);
  const alertsOf = (cabinetId: string) => alerts.filter((a) => a.cabinet_id === cabinetId);
  const [stepError, setStepError] = useState<ApiError | null>(null);
  const step: Step = async (list, action) => {
    setStepError(null);
    try {
      for (const a of list) await post(orgPath(org, `/alerts/${a.alert_id}/${action}`));
    } catch (err) {
      setStepError(err as ApiError);
    } finally {
      alertsRes.reload();
    }
  };

  const cabinetName = (id: string | null) =>
    cabinets.find((c) => c.cabinet_id === id)?.cabinet_name ?? "Organization";

  return (
    <div class="page">
      <PageHeader title="Cabinets" subtitle={`Every cabinet of ${org.org_name}, live.`} />
      <section class="stats" aria-label="Summary">
        <div class="stat">
          <span class="stat__label">Cabinets online</span>
          <span class="stat__value">
            {cabinetsRes.error ? "—" : online}
            {!cabinetsRes.error && <small> / {cabinets.length}</small>}
          </span>
        </div>
        <div class="stat">
          <span class="stat__label">Doors open</span>
          <span class={`stat__value ${doorsOpen ? "text-warn" : ""}`}>
            {cabinetsRes.error ? "—" : doorsOpen}
          </span>
        </div>
        <div class="stat">
          <span class="stat__label">Open alerts</span>
          <span class={`stat__value ${alerts.length ? "text-danger" : ""}`}>
            {alertsRes.error ? "—" : alerts.length}
          </span>
        </div>
      </section>
      <div class="overview">
        <div class="overview__tree">
          {error ? (
            <ErrorNote error={error} what="The organization tree" />
          ) : !depts.data || !labs.data || !cabinetsRes.data ? (
            <div class="skeleton" role="status" aria-label="Loading cabinets">
              <span />
              <span />
            </div>
          ) : depts.data.items.length === 0 ? (
            <Empty title="No departments yet">
              Create a department, a laboratory and a cabinet to see them here.
            </Empty>
          ) : (
            depts.data.items.map((d) => (
              <Card
                key={d.dept_id}
                class="tree"
                title={
                  <>
                    {d.dept_name} {d.dept_code && <span class="muted mono">{d.dept_code}</span>}
                  </>
                }
              >
                {labs
                  .data!.items.filter((l) => l.dept_id === d.dept_id)
                  .map((l) => {
                    const inLab = cabinets.filter((c) => c.lab_id === l.lab_id);
                    return (
                      <section class="tree__lab" key={l.lab_id} aria-label={l.lab_name}>
                        <h3>
                          {l.lab_name}
                          <span class="muted">
                            {[l.lab_code, l.building, l.room_number && `room ${l.room_number}`]
                              .filter(Boolean)
                              .join(" · ")}
                          </span>
                        </h3>
                        {inLab.length === 0 ? (
                          <p class="muted">No cabinets in this laboratory.</p>
                        ) : (
                          <div class="cabinets">
                            {inLab.map((c) => (
                              <CabinetCard key={c.cabinet_id} cabinet={c} alerts={alertsOf(c.cabinet_id)} />
                            ))}
                          </div>
                        )}
                      </section>
                    );
                  })}
              </Card>
            ))
          )}
        </div>
        <Card class="overview__alerts" title="Open alerts">
          <FormError error={stepError} />
          {alertsRes.error ? (
            <ErrorNote error={alertsRes.error} what="Alerts" />
          ) : groups.length === 0 ? (
            <Empty title={alertsRes.loading ? "Loading…" : "No open alerts"}>
              {alertsRes.loading ? "" : "All cabinets are in order."}
            </Empty>
          ) : (
            <>
              <p class="alert-counts">
                {counts
                  .filter(([, n]) => n > 0)
                  .map(([sev, n]) => (
                    <Pill key={sev} tone={SEVERITY_TONE[sev] ?? "neutral"}>
                      {n} {sev}
                    </Pill>
                  ))}
              </p>
              <ul class="alerts">
                {groups.map((g) => (
                  <AlertGroup key={g.key} group={g} cabinet={cabinetName(g.cabinet_id)} step={step} />
                ))}
              </ul>
            </>
          )}
        </Card>
      </div>
    </div>
  );
}
