// The kiosk: one status from the cabinet, read again whenever the cabinet reports a change, decides
// the screen; the technician's own navigation (shelves, alerts, registering) sits on top of it and
// falls back to the start after a minute untouched.
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, api, followCabinet, type Status } from "./api";
import { CATALOGUE, type Lang, translator } from "./messages";
import { AlertsScreen } from "./screens/alerts";
import { IdleScreen } from "./screens/idle";
import { PinScreen } from "./screens/pin";
import { RegisterScreen } from "./screens/register";
import { ReviewScreen } from "./screens/review";
import { SessionScreen } from "./screens/session";
import { ShelvesScreen } from "./screens/shelves";
import { Button, clock, I18n, useT } from "./ui";

export type View =
  | { name: "home" }
  | { name: "pin"; next?: View }
  | { name: "shelves" }
  | { name: "alerts"; alertId?: string }
  | { name: "register"; reviewId: string; qr: string; shelf: number };

/** Back to the start after this long without a touch. */
const INACTIVE_MS = 60_000;
/** A badge reader typing like a keyboard sends its characters faster than this apart. */
const BADGE_KEY_GAP_MS = 200;

export function App() {
  const [lang, setLang] = useState<Lang>((localStorage.getItem("lilo-kiosk-lang") as Lang) ?? "en");
  const t = useMemo(() => translator(lang in CATALOGUE ? lang : "en"), [lang]);
  const [status, setStatus] = useState<Status>();
  const [connected, setConnected] = useState(true);
  const [version, setVersion] = useState(0);
  const [view, setView] = useState<View>({ name: "home" });
  const [scanning, setScanning] = useState(false);
  const [notice, setNotice] = useState<{ text: string; tone: "error" | "ok" }>();

  const refresh = useCallback(async () => {
    try {
      setStatus(await api.status());
      setConnected(true);
    } catch {
      setConnected(false);
    }
  }, []);

  // A confirmation goes by itself; an error stays until it is dismissed.
  useEffect(() => {
    if (notice?.tone !== "ok") return;
    const timer = setTimeout(() => setNotice(undefined), 8_000);
    return () => clearTimeout(timer);
  }, [notice]);

  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem("lilo-kiosk-lang", lang);
  }, [lang]);

  useEffect(() => {
    void refresh();
    let pending: number | undefined;
    const stop = followCabinet(
      ({ kind, detail }) => {
        if (kind === "session" && detail === "scanning") setScanning(true);
        if (kind === "scan") setScanning(false);
        clearTimeout(pending);
        pending = window.setTimeout(() => {
          void refresh();
          setVersion((v) => v + 1);
        }, 80);
      },
      (up) => {
        setConnected(up);
        if (up) void refresh();
      },
    );
    // The sync state and countdowns also move without events; a slow poll keeps them honest.
    const poll = setInterval(() => void refresh(), 10_000);
    return () => {
      stop();
      clearInterval(poll);
    };
  }, [refresh]);

  // Back to the start after a minute untouched.
  const lastTouch = useRef(Date.now());
  useEffect(() => {
    const touched = () => {
      lastTouch.current = Date.now();
    };
    window.addEventListener("pointerdown", touched, { capture: true });
    const timer = setInterval(() => {
      if (Date.now() - lastTouch.current > INACTIVE_MS) {
        setView((v) => (v.name === "home" ? v : { name: "home" }));
        setNotice(undefined);
      }
    }, 1000);
    return () => {
      window.removeEventListener("pointerdown", touched, { capture: true });
      clearInterval(timer);
    };
  }, []);

  const state = status?.session.state ?? "idle";
  const signedIn = state === "unlocked" || state === "open";
  const idleHome = view.name === "home" && !signedIn && state !== "awaiting_second" && !status?.review;

  const swipe = useCallback(
    async (badge: string) => {
      try {
        const outcome = await api.access({ badge });
        if (!outcome.granted && !outcome.awaiting_second)
          setNotice({ text: t("idle.denied"), tone: "error" });
        else setNotice(undefined);
      } catch (err) {
        setNotice({ text: t("error.generic", { message: (err as Error).message }), tone: "error" });
      }
      void refresh();
    },
    [t, refresh],
  );

  // A USB badge reader types the badge and Enter; it works anywhere on the idle screen.
  useEffect(() => {
    if (!idleHome && !(view.name === "home" && state === "awaiting_second")) return;
    let buffer = "";
    let last = 0;
    const onKey = (e: KeyboardEvent) => {
      const now = Date.now();
      if (now - last > BADGE_KEY_GAP_MS) buffer = "";
      last = now;
      if (e.key === "Enter") {
        if (buffer.length >= 3) void swipe(buffer);
        buffer = "";
      } else if (e.key.length === 1) buffer += e.key;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [idleHome, view.name, state, swipe]);

  // Signing in ends whatever the person was doing at the screen before.
  useEffect(() => {
    if (signedIn && view.name === "pin") setView(view.next ?? { name: "home" });
  }, [signedIn, view]);

  const go = (v: View) => {
    setNotice(undefined);
    setView(v);
  };
  const fail = (err: unknown) => {
    if (err instanceof ApiError && err.status === 403 && /kiosk key/.test(err.message))
      setNotice({ text: t("cabinet.unpaired"), tone: "error" });
    else setNotice({ text: t("error.generic", { message: (err as Error).message }), tone: "error" });
  };

  let screen: preact.JSX.Element;
  if (!status) screen = <div class="loading">{t("cabinet.lost")}</div>;
  else if (view.name === "pin")
    screen = <PinScreen status={status} onBack={() => go({ name: "home" })} onDone={refresh} fail={fail} />;
  else if (view.name === "shelves")
    screen = <ShelvesScreen version={version} onBack={() => go({ name: "home" })} />;
  else if (view.name === "alerts")
    screen = (
      <AlertsScreen
        version={version}
        alertId={view.alertId}
        signedIn={signedIn}
        onOpen={(id) => go({ name: "alerts", alertId: id })}
        onBack={() => go(view.alertId ? { name: "alerts" } : { name: "home" })}
        onSignIn={(id) => go({ name: "pin", next: { name: "alerts", alertId: id } })}
        fail={fail}
      />
    );
  else if (view.name === "register")
    screen = (
      <RegisterScreen
        reviewId={view.reviewId}
        qr={view.qr}
        shelf={view.shelf}
        onBack={() => go({ name: "home" })}
        onDone={(text) => {
          go({ name: "home" });
          setNotice({ text, tone: "ok" });
          void refresh();
        }}
        fail={fail}
      />
    );
  else if (state !== "idle")
    screen = (
      <SessionScreen
        status={status}
        onShelves={() => go({ name: "shelves" })}
        onAlerts={() => go({ name: "alerts" })}
        onDone={refresh}
        fail={fail}
      />
    );
  else if (status.review)
    screen = (
      <ReviewScreen
        version={version}
        onRegister={(reviewId, qr, shelf) => go({ name: "register", reviewId, qr, shelf })}
        onDone={(text) => {
          setNotice({ text, tone: "ok" });
          void refresh();
        }}
        fail={fail}
      />
    );
  else
    screen = (
      <IdleScreen
        status={status}
        scanning={scanning}
        onPin={() => go({ name: "pin" })}
        onShelves={() => go({ name: "shelves" })}
        onAlerts={() => go({ name: "alerts" })}
      />
    );

  return (
    <I18n.Provider value={t}>
      <div class="kiosk">
        <TopBar
          status={status}
          connected={connected}
          lang={lang}
          onLang={() => setLang(lang === "en" ? "de" : "en")}
        />
        {notice && (
          <div class={`notice notice-${notice.tone}`} role="alert" data-testid="notice">
            <span>{notice.text}</span>
            <Button tone="ghost" onClick={() => setNotice(undefined)}>
              ✕
            </Button>
          </div>
        )}
        <main class="content">{screen}</main>
      </div>
    </I18n.Provider>
  );
}

function TopBar(props: { status?: Status; connected: boolean; lang: Lang; onLang: () => void }) {
  const t = useT();
  const s = props.status;
  const sync = s?.sync;
  const syncText = !sync
    ? ""
    : sync.mode === "standalone"
      ? t("sync.standalone")
      : sync.online
        ? t("sync.online", { time: clock(sync.last_sync) })
        : sync.pending > 0
          ? t("sync.offline", { n: sync.pending })
          : t("sync.offlineNone");
  return (
    <header class="topbar">
      <div class="topbar-cabinet">
        <strong data-testid="cabinet-name">{s?.cabinet.name || t("app.title")}</strong>
        {s?.cabinet.location && <span class="muted">{s.cabinet.location}</span>}
      </div>
      {!props.connected && <span class="chip chip-danger">{t("cabinet.lost")}</span>}
      {s && (
        <div class="topbar-state">
          <span class={`chip ${s.door === "open" ? "chip-warning" : "chip-ok"}`} data-testid="door-state">
            {t(s.door === "open" ? "door.open" : "door.closed")}
          </span>
          <span class={`chip ${s.lock === "unlocked" ? "chip-warning" : "chip-ok"}`} data-testid="lock-state">
            {t(s.lock === "unlocked" ? "lock.unlocked" : "lock.locked")}
          </span>
          <span
            class={`chip ${sync?.mode === "cloud" && sync.online ? "chip-ok" : "chip-offline"}`}
            data-testid="sync-state"
          >
            {syncText}
          </span>
        </div>
      )}
      <Button tone="ghost" onClick={props.onLang} testId="lang">
        {t("lang.switch")}
      </Button>
    </header>
  );
}
