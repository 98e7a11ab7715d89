// Sign-in by user number and PIN on the on-screen pad; a locked pad says so and until when.
import { useState } from "preact/hooks";
import { api, type Status } from "../api";
import { Button, NumberPad, useCountdown, useT } from "../ui";

const MAX_DIGITS = 12;

export function PinScreen(props: {
  status: Status;
  onBack: () => void;
  onDone: () => void;
  fail: (e: unknown) => void;
}) {
  const t = useT();
  const [user, setUser] = useState<string>();
  const [digits, setDigits] = useState("");
  const [denied, setDenied] = useState(false);
  const [busy, setBusy] = useState(false);
  const lockedFor = useCountdown(props.status.pin_locked_until);
  const locked = lockedFor !== undefined && lockedFor !== "0:00";
  const askingPin = user !== undefined;

  const submit = async () => {
    if (!askingPin) {
      setUser(digits);
      setDigits("");
      return;
    }
    setBusy(true);
    try {
      const outcome = await api.access({ user: Number(user), pin: digits });
      if (!outcome.granted && !outcome.awaiting_second) {
        setDenied(true);
        setUser(undefined);
      }
    } catch (err) {
      props.fail(err);
    } finally {
      setDigits("");
      setBusy(false);
      props.onDone();
    }
  };

  return (
    <div class="pin" data-testid="pin-screen">
      <div class="pin-info panel">
        <Button tone="ghost" onClick={props.onBack} testId="back">
          ‹ {t("common.back")}
        </Button>
        <h1>{askingPin ? t("pin.pinTitle") : t("pin.userTitle")}</h1>
        <p class="muted">{askingPin ? t("pin.pinHint", { user: user ?? "" }) : t("pin.userHint")}</p>
        <div class="pin-display" data-testid="pin-display" aria-live="polite">
          {askingPin ? "●".repeat(digits.length) : digits}
          <span class="caret" />
        </div>
        {locked ? (
          <p class="callout callout-danger" data-testid="pin-locked">
            {t("pin.locked", { time: lockedFor })}
          </p>
        ) : (
          denied && (
            <p class="callout callout-danger" data-testid="pin-denied">
              {t("pin.denied")}
            </p>
          )
        )}
      </div>
      <NumberPad
        disabled={locked || busy}
        onDigit={(d) => {
          setDenied(false);
          if (digits.length < MAX_DIGITS) setDigits(digits + d);
        }}
        onDelete={() => setDigits(digits.slice(0, -1))}
        onOk={submit}
        okLabel={t("pin.ok")}
        okEnabled={askingPin ? digits.length >= 4 : digits.length >= 1}
      />
    </div>
  );
}
