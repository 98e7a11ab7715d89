// The kiosk's building blocks: buttons sized for gloved fingers, the shelf photo with its marks, GHS
// pictograms, the number pad and the on-screen keyboard.
import type { ComponentChildren } from "preact";
import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { type PhotoBox, photoUrl, pictogramUrl } from "./api";
import type { Translate } from "./messages";

export const I18n = createContext<Translate>((k) => k);
export const useT = () => useContext(I18n);

type Tone = "primary" | "secondary" | "danger" | "ghost" | "warning";

export function Button(props: {
  tone?: Tone;
  size?: "lg" | "md";
  onClick: () => void;
  disabled?: boolean;
  children: ComponentChildren;
  testId?: string;
  class?: string;
  pressed?: boolean;
}) {
  return (
    <button
      type="button"
      class={`btn btn-${props.tone ?? "secondary"} btn-${props.size ?? "md"} ${props.class ?? ""}`}
      onClick={props.onClick}
      disabled={props.disabled}
      data-testid={props.testId}
      aria-pressed={props.pressed}
    >
      {props.children}
    </button>
  );
}

/** Remaining time until `until`, ticking every second, as m:ss. */
export function useCountdown(until: string | null): string | undefined {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!until) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [until]);
  if (!until) return undefined;
  const s = Math.max(0, Math.ceil((Date.parse(until) - now) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export const clock = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";

/** A shelf photo with places marked on it; `pulse` marks what needs the technician's hand. */
export function ShelfPhoto(props: {
  scanId?: string;
  marks: (PhotoBox & { tone: "focus" | "alert" | "info"; label?: string })[];
  emptyText: string;
}) {
  if (!props.scanId) return <div class="photo photo-empty">{props.emptyText}</div>;
  return (
    <div class="photo" data-testid="shelf-photo">
      <img src={photoUrl(props.scanId)} alt="" draggable={false} />
      {props.marks.map((m, i) => (
        <div
          key={i}
          class={`mark mark-${m.tone}`}
          data-testid={`mark-${m.tone}`}
          style={{
            left: `${m.x * 100}%`,
            top: `${m.y * 100}%`,
            width: `${Math.max(m.w, 0.03) * 100}%`,
            height: `${Math.max(m.h, 0.05) * 100}%`,
          }}
        >
          {m.label && <span class="mark-label">{m.label}</span>}
        </div>
      ))}
    </div>
  );
}

/** Grows a box by a margin so the mark frames the bottle rather than hiding its label edge. */
export const framed = (b: PhotoBox, margin = 0.02): PhotoBox => ({
  x: Math.max(0, b.x - margin),
  y: Math.max(0, b.y - margin * 1.8),
  w: Math.min(1, b.w + 2 * margin),
  h: Math.min(1, b.h + 3.6 * margin),
});

export function Pictograms(props: { codes: string[]; size?: number }) {
  const t = useT();
  return (
    <span class="pictos">
      {props.codes.map((c) => (
        <img
          key={c}
          src={pictogramUrl(c)}
          alt={t(`ghs.${c}` as never)}
          title={t(`ghs.${c}` as never)}
          width={props.size ?? 32}
          height={props.size ?? 32}
        />
      ))}
    </span>
  );
}

/** Digits, delete and OK: the PIN pad and every number the kiosk asks for. */
export function NumberPad(props: {
  onDigit: (d: string) => void;
  onDelete: () => void;
  onOk: () => void;
  okLabel: string;
  okEnabled: boolean;
  disabled?: boolean;
  extra?: string;
}) {
  const t = useT();
  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
  return (
    <div class="numpad">
      {keys.map((k) => (
        <button
          type="button"
          key={k}
          class="key"
          disabled={props.disabled}
          onClick={() => props.onDigit(k)}
          data-testid={`key-${k}`}
        >
          {k}
        </button>
      ))}
      {props.extra ? (
        <button
          type="button"
          class="key"
          disabled={props.disabled}
          onClick={() => props.onDigit(props.extra!)}
        >
          {props.extra}
        </button>
      ) : (
        <button
          type="button"
          class="key key-fn"
          disabled={props.disabled}
          onClick={props.onDelete}
          aria-label={t("common.delete")}
        >
          ⌫
        </button>
      )}
      <button
        type="button"
        class="key"
        disabled={props.disabled}
        onClick={() => props.onDigit("0")}
        data-testid="key-0"
      >
        0
      </button>
      {props.extra ? (
        <button
          type="button"
          class="key key-fn"
          disabled={props.disabled}
          onClick={props.onDelete}
          aria-label={t("common.delete")}
        >
          ⌫
        </button>
      ) : (
        <button
          type="button"
          class="key key-ok"
          disabled={props.disabled || !props.okEnabled}
          onClick={props.onOk}
          data-testid="key-ok"
        >
          {props.okLabel}
        </button>
      )}
    </div>
  );
}

const ROWS = ["1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM,.("];

/** A compact on-screen keyboard for names, CAS numbers, experiments and projects. */
export function Keyboard(props: {
  onKey: (k: string) => void;
  onDelete: () => void;
  onDone: () => void;
  doneLabel: string;
}) {
  const t = useT();
  const [shift, setShift] = useState(true);
  return (
    <div class="keyboard" data-testid="keyboard">
      {ROWS.map((row) => (
        <div class="kb-row" key={row}>
          {row.split("").map((k) => (
            <button
              type="button"
              key={k}
              class="kb-key"
              data-testid={`kb-${k}`}
              onClick={() => {
                props.onKey(shift ? k : k.toLowerCase());
                if (shift && /[A-Z]/.test(k)) setShift(false);
              }}
            >
              {shift ? k : k.toLowerCase()}
            </button>
          ))}
        </div>
      ))}
      <div class="kb-row">
        <button type="button" class="kb-key kb-wide" onClick={() => setShift(!shift)} aria-pressed={shift}>
          ⇧
        </button>
        <button type="button" class="kb-key kb-space" data-testid="kb-space" onClick={() => props.onKey(" ")}>
          ␣
        </button>
        <button type="button" class="kb-key kb-wide" onClick={() => props.onKey(")")}>
          )
        </button>
        <button type="button" class="kb-key kb-wide" onClick={props.onDelete} aria-label={t("common.delete")}>
          ⌫
        </button>
        <button type="button" class="kb-key kb-done" data-testid="kb-done" onClick={props.onDone}>
          {props.doneLabel}
        </button>
      </div>
    </div>
  );
}

export function Screen(props: {
  title: string;
  onBack?: () => void;
  backLabel?: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="screen">
      <header class="screen-head">
        {props.onBack && (
          <Button tone="ghost" onClick={props.onBack} testId="back">
            ‹ {props.backLabel}
          </Button>
        )}
        <h1>{props.title}</h1>
        <div class="screen-actions">{props.actions}</div>
      </header>
      <div class="screen-body">{props.children}</div>
    </section>
  );
}
