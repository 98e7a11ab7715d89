// Registering a container a scan found but the cabinet does not know: name and CAS (checked by its
// check digit) on the on-screen keyboard, quantity on the number pad, then its hazards.
import { useState } from "preact/hooks";
import { isValidCas } from "../../../../shared/cas";
import { api } from "../api";
import type { MessageKey } from "../messages";
import { Button, Keyboard, NumberPad, Screen, useT } from "../ui";

const UNITS = ["mL", "L", "g", "kg", "mg", "µL"] as const;
const GHS = ["GHS01", "GHS02", "GHS03", "GHS04", "GHS05", "GHS06", "GHS07", "GHS08", "GHS09"] as const;
const SIGNALS = ["Danger", "Warning"] as const;

export function RegisterScreen(props: {
  reviewId: string;
  qr: string;
  shelf: number;
  onBack: () => void;
  onDone: (text: string) => void;
  fail: (e: unknown) => void;
}) {
  const t = useT();
  const [step, setStep] = useState(1);
  const [field, setField] = useState<"name" | "cas">("name");
  const [name, setName] = useState("");
  const [cas, setCas] = useState("");
  const [quantity, setQuantity] = useState("");
  const [unit, setUnit] = useState<(typeof UNITS)[number]>("mL");
  const [hazards, setHazards] = useState<string[]>([]);
  const [signal, setSignal] = useState<"Danger" | "Warning">();
  const [busy, setBusy] = useState(false);
  const casOk = cas === "" || isValidCas(cas);
  const value = field === "name" ? name : cas;
  const setValue =
    field === "name" ? (v: string) => setName(v.slice(0, 255)) : (v: string) => setCas(v.slice(0, 12));

  const save = async () => {
    setBusy(true);
    try {
      await api.register(props.reviewId, {
        qr_code: props.qr,
        chemical_name: name.trim(),
        cas_number: cas || undefined,
        quantity: Number(quantity),
        unit,
        ghs_pictograms: hazards,
        signal_word: signal,
      });
      props.onDone(t("register.saved", { name: name.trim(), shelf: props.shelf }));
    } catch (err) {
      props.fail(err);
    } finally {
      setBusy(false);
    }
  };

  const next = (
    <Button
      tone="primary"
      onClick={() => (step === 3 ? void save() : setStep(step + 1))}
      disabled={busy || (step === 1 && (!name.trim() || !casOk)) || (step === 2 && !(Number(quantity) > 0))}
      testId="register-next"
    >
      {step === 3 ? t("register.save") : t("common.next")}
    </Button>
  );
  return (
    <Screen
      title={t("register.title", { code: props.qr })}
      onBack={step === 1 ? props.onBack : () => setStep(step - 1)}
      backLabel={t("common.back")}
      actions={
        <>
          <span class="muted">{t("register.step", { n: step })}</span>
          {next}
        </>
      }
    >
      {step === 1 && (
        <div class="register-text">
          <div class="fields">
            <button
              type="button"
              class={`field ${field === "name" ? "field-active" : ""}`}
              onClick={() => setField("name")}
              data-testid="field-name"
            >
              <span class="muted small">{t("register.name")}</span>
              <span class="input">
                {name}
                {field === "name" && <span class="caret" />}
              </span>
            </button>
            <button
              type="button"
              class={`field ${field === "cas" ? "field-active" : ""} ${casOk ? "" : "field-invalid"}`}
              onClick={() => setField("cas")}
              data-testid="field-cas"
            >
              {cas ? (
                <span class={`small ${casOk ? "ok" : "bad"}`} data-testid="cas-check">
                  {casOk ? `✓ ${t("register.casValid")}` : t("register.casInvalid")}
                </span>
              ) : (
                <span class="muted small">{t("register.cas")}</span>
              )}
              <span class="input">
                {cas}
                {field === "cas" && <span class="caret" />}
              </span>
            </button>
          </div>
          <Keyboard
            onKey={(k) => setValue(value + k)}
            onDelete={() => setValue(value.slice(0, -1))}
            onDone={() => setField(field === "name" ? "cas" : "name")}
            doneLabel={field === "name" ? t("register.cas").split(" (")[0]! : t("register.name")}
          />
        </div>
      )}
      {step === 2 && (
        <div class="register-qty">
          <div class="fields">
            <div class="field field-active">
              <span class="muted small">{t("register.quantity")}</span>
              <span class="input" data-testid="quantity">
                {quantity} {unit}
                <span class="caret" />
              </span>
            </div>
            <span class="muted">{t("register.unit")}</span>
            <div class="chips">
              {UNITS.map((u) => (
                <Button
                  key={u}
                  tone={unit === u ? "primary" : "secondary"}
                  pressed={unit === u}
                  onClick={() => setUnit(u)}
                  testId={`unit-${u}`}
                >
                  {u}
                </Button>
              ))}
            </div>
          </div>
          <NumberPad
            onDigit={(d) => {
              if (d === "." && quantity.includes(".")) return;
              if (quantity.length < 9) setQuantity(quantity + d);
            }}
            onDelete={() => setQuantity(quantity.slice(0, -1))}
            onOk={() => setStep(3)}
            okLabel={t("common.next")}
            okEnabled={Number(quantity) > 0}
            extra="."
          />
        </div>
      )}
      {step === 3 && (
        <div class="register-hazards">
          <span class="muted">{t("register.hazards")}</span>
          <div class="ghs-grid">
            {GHS.map((code) => {
              const on = hazards.includes(code);
              return (
                <button
                  type="button"
                  key={code}
                  class={`ghs ${on ? "ghs-on" : ""}`}
                  aria-pressed={on}
                  onClick={() => setHazards(on ? hazards.filter((h) => h !== code) : [...hazards, code])}
                  data-testid={`ghs-${code}`}
                >
                  <img src={`/api/kiosk/ghs/${code}.svg`} alt="" width={44} height={44} />
                  <span class="small">{t(`ghs.${code}` as MessageKey)}</span>
                </button>
              );
            })}
          </div>
          <span class="muted">{t("register.signal")}</span>
          <div class="chips">
            <Button
              tone={signal === undefined ? "primary" : "secondary"}
              onClick={() => setSignal(undefined)}
            >
              {t("common.none")}
            </Button>
            {SIGNALS.map((s) => (
              <Button
                key={s}
                tone={signal === s ? "danger" : "secondary"}
                pressed={signal === s}
                onClick={() => setSignal(s)}
                testId={`signal-${s}`}
              >
                {t(`signal.${s}`)}
              </Button>
            ))}
          </div>
        </div>
      )}
    </Screen>
  );
}
