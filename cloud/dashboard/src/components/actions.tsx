// What a screen does to the server, in one shape: an action with its busy state and error, a dialog
// around a form (with an answer shown once, such as a new key), and a button that asks before it acts.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { ApiError } from "../api.js";
import { Dialog, FormError } from "./ui.js";

/** Runs one action at a time; its error stays until the next run. */
export function useAction() {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  /** True when the action succeeded. */
  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(err as ApiError);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run, clear: () => setError(null) };
}

/** A form's error that no field shows: the whole answer when the server named no field. */
const generalError = (error: ApiError | null) =>
  error?.fields && Object.keys(error.fields).length ? null : error;

/**
 * A dialog around a form. `onSubmit` gets the form's data; what it returns (a secret shown once) is
 * shown in place of the form, and when it returns nothing the dialog closes. `children` lays out the
 * fields and receives the server's error to put under them.
 */
export function FormDialog(props: {
  title: string;
  open: boolean;
  onClose: () => void;
  submitLabel: string;
  busyLabel: string;
  onSubmit: (form: FormData) => Promise<ComponentChildren | undefined>;
  children: (error: ApiError | null) => ComponentChildren;
  wide?: boolean;
}) {
  const action = useAction();
  const [answer, setAnswer] = useState<ComponentChildren>(null);
  const close = () => {
    setAnswer(null);
    action.clear();
    props.onClose();
  };
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    let shown: ComponentChildren;
    if (await action.run(async () => (shown = await props.onSubmit(form)))) {
      if (shown) setAnswer(shown);
      else close();
    }
  };
  return (
    <Dialog title={props.title} open={props.open} onClose={close} wide={props.wide}>
      {answer ? (
        <div class="form">
          {answer}
          <footer class="form__actions">
            <button type="button" class="button button--primary" onClick={close}>
              Done
            </button>
          </footer>
        </div>
      ) : (
        <form class="form" onSubmit={submit}>
          <FormError error={generalError(action.error)} />
          {props.children(action.error)}
          <footer class="form__actions">
            <button type="button" class="button button--secondary" onClick={close}>
              Cancel
            </button>
            <button type="submit" class="button button--primary" disabled={action.busy}>
              {action.busy ? props.busyLabel : props.submitLabel}
            </button>
          </footer>
        </form>
      )}
    </Dialog>
  );
}

/** A button that asks in a dialog before it acts (revoke, decommission, remove), and says why it failed. */
export function ConfirmButton(props: {
  label: string;
  /** The dialog's title, a question: "Revoke this key?" */
  question: string;
  children: ComponentChildren;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  /** The button's accessible name where the label alone is ambiguous in a table row. */
  ariaLabel?: string;
  tone?: "danger" | "secondary";
}) {
  const [open, setOpen] = useState(false);
  const action = useAction();
  const close = () => {
    action.clear();
    setOpen(false);
  };
  return (
    <>
      <button
        type="button"
        class={`button button--small ${props.tone === "secondary" ? "button--secondary" : "button--danger-ghost"}`}
        aria-label={props.ariaLabel}
        onClick={() => setOpen(true)}
      >
        {props.label}
      </button>
      <Dialog title={props.question} open={open} onClose={close}>
        <div class="form">
          <FormError error={action.error} />
          <div class="confirm__text">{props.children}</div>
          <footer class="form__actions">
            <button type="button" class="button button--secondary" onClick={close} data-autofocus>
              Cancel
            </button>
            <button
              type="button"
              class="button button--danger"
              disabled={action.busy}
              onClick={() => void action.run(props.onConfirm).then((ok) => ok && close())}
            >
              {props.confirmLabel ?? props.label}
            </button>
          </footer>
        </div>
      </Dialog>
    </>
  );
}
