// The dashboard's building blocks: page header, states of a loading resource, pills, fields, dialogs.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import type { ApiError } from "../api.js";
import type { Resource } from "../resource.js";

export function PageHeader(props: {
  title: string;
  subtitle?: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p class="page-header__subtitle">{props.subtitle}</p>}
      </div>
      {props.actions && <div class="page-header__actions">{props.actions}</div>}
    </header>
  );
}

export function ErrorNote({ error, what }: { error: ApiError; what: string }) {
  if (error.missingEndpoint)
    return (
      <div class="note note--warn" role="status">
        <strong>{what} is not available on this server.</strong> The cloud service answered that it has no
        such endpoint; update the cloud service to a version that provides it.
      </div>
    );
  if (error.code === "forbidden")
    return (
      <div class="note note--warn" role="status">
        <strong>{what}: not for your role.</strong> Ask an administrator of the organization ({error.message}
        ).
      </div>
    );
  return (
    <div class="note note--error" role="alert">
      <strong>{what} could not be loaded.</strong> {error.message}
    </div>
  );
}

/** Renders `children(data)` once loaded; a skeleton before, the error instead. */
export function Loaded<T>(props: {
  resource: Resource<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  const { data, error, loading } = props.resource;
  if (error) return <ErrorNote error={error} what={props.what} />;
  if (data === undefined)
    return loading ? (
      <div class="skeleton" role="status" aria-label={`Loading ${props.what.toLowerCase()}`}>
        <span />
        <span />
        <span />
      </div>
    ) : null;
  return <>{props.children(data)}</>;
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty__title">{title}</p>
      {children && <p>{children}</p>}
    </div>
  );
}

export type Tone = "ok" | "warn" | "danger" | "info" | "neutral";

export function Pill({ tone, children, title }: { tone: Tone; children: ComponentChildren; title?: string }) {
  return (
    <span class={`pill pill--${tone}`} title={title}>
      {children}
    </span>
  );
}

export function Card(props: {
  title?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`card ${props.class ?? ""}`}>
      {(props.title || props.actions) && (
        <header class="card__header">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div class="card__actions">{props.actions}</div>}
        </header>
      )}
      {props.children}
    </section>
  );
}

/** A label, its control and the server's word on it (`fields` of a validation error). */
export function Field(props: {
  label: string;
  name: string;
  error?: ApiError | null;
  hint?: string;
  children: (id: string, describedBy: string | undefined) => JSX.Element;
}) {
  const id = `field-${props.name}`;
  const message = props.error?.fields?.[props.name];
  const describedBy = message ? `${id}-error` : props.hint ? `${id}-hint` : undefined;
  return (
    <div class={`field ${message ? "field--invalid" : ""}`}>
      <label for={id}>{props.label}</label>
      {props.children(id, describedBy)}
      {message ? (
        <p class="field__error" id={`${id}-error`}>
          {message}
        </p>
      ) : (
        props.hint && (
          <p class="field__hint" id={`${id}-hint`}>
            {props.hint}
          </p>
        )
      )}
    </div>
  );
}

/** What a text field may say about its input besides its name. */
interface InputOptions {
  type?: "text" | "email" | "number" | "password";
  required?: boolean;
  autocomplete?: string;
  class?: string;
  maxLength?: number;
  min?: number;
  max?: number;
  defaultValue?: string;
  inputMode?: "numeric" | "text";
  pattern?: string;
}

/** A Field holding an input of the same name, labelled and described by it. */
export function TextField({
  label,
  name,
  error,
  hint,
  type = "text",
  ...input
}: { label: string; name: string; error: ApiError | null; hint?: string } & InputOptions) {
  return (
    <Field label={label} name={name} error={error} hint={hint}>
      {(id, describedBy) => (
        // Preact types <input> per `type` value; a value of the union needs the widening.
        <input {...input} type={type as "text"} id={id} name={name} aria-describedby={describedBy} />
      )}
    </Field>
  );
}

/** A modal dialog (native <dialog>: focus is trapped and Escape closes it). */
export function Dialog(props: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      d.showModal();
      // Where the work starts: the first field of a form, or the element marked (a safe Cancel).
      d.querySelector<HTMLElement>("[data-autofocus], .form input, .form select, .form textarea")?.focus();
    }
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class={`dialog ${props.wide ? "dialog--wide" : ""}`}
      aria-labelledby={titleId}
      onClose={props.onClose}
    >
      {/* Nothing inside while closed: a row holding a closed dialog reads as that row alone. */}
      {props.open && (
        <>
          <header class="dialog__header">
            <h2 id={titleId}>{props.title}</h2>
            <button type="button" class="icon-button" aria-label="Close" onClick={props.onClose}>
              ×
            </button>
          </header>
          {props.children}
        </>
      )}
    </dialog>
  );
}

export function FormError({ error }: { error: ApiError | null | undefined }) {
  if (!error) return null;
  return (
    <div class="note note--error" role="alert">
      {error.missingEndpoint ? "This server does not provide this action." : error.message}
    </div>
  );
}

/** A secret shown once (an API key, a claim token), with a copy button. */
export function Secret({ label, value }: { label: string; value: string }) {
  return (
    <div class="secret">
      <p class="secret__label">{label}</p>
      <div class="secret__row">
        <code class="secret__value">{value}</code>
        <button
          type="button"
          class="button button--secondary"
          onClick={() => void navigator.clipboard?.writeText(value)}
        >
          Copy
        </button>
      </div>
    </div>
  );
}

export function LoadMore({
  cursor,
  onMore,
  busy,
}: {
  cursor: string | null | undefined;
  onMore: () => void;
  busy?: boolean;
}) {
  if (!cursor) return null;
  return (
    <div class="load-more">
      <button type="button" class="button button--secondary" onClick={onMore} disabled={busy}>
        {busy ? "Loading…" : "Load more"}
      </button>
    </div>
  );
}
