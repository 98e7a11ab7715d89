// Sign-in with email and password (POST /api/v1/auth/login); the session is kept for this tab.
import { useState } from "preact/hooks";
import { type ApiError, login } from "../api.js";
import { Field, FormError } from "../components/ui.js";

export function SignInScreen({ onSignedIn }: { onSignedIn: () => void }) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      await login(String(form.get("email")), String(form.get("password")));
      onSignedIn();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="sign-in">
      <main class="sign-in__panel">
        <div class="brand brand--large">
          <span class="brand__mark" aria-hidden="true">
            L
          </span>
          <span class="brand__text">
            <strong>L.I.L.O.</strong>
            <small>Chemical storage, accounted for</small>
          </span>
        </div>
        <h1>Sign in</h1>
        <p class="muted">Cabinets, inventory, people and evidence of your organization.</p>
        <form onSubmit={submit} noValidate={false}>
          <FormError error={error?.code === "validation_failed" ? null : error} />
          <Field label="Email" name="email" error={error}>
            {(id, d) => (
              <input
                id={id}
                name="email"
                type="email"
                autocomplete="username"
                required
                aria-describedby={d}
              />
            )}
          </Field>
          <Field label="Password" name="password" error={error}>
            {(id, d) => (
              <input
                id={id}
                name="password"
                type="password"
                autocomplete="current-password"
                required
                aria-describedby={d}
              />
            )}
          </Field>
          <button type="submit" class="button button--primary button--block" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </main>
      <aside class="sign-in__aside" aria-hidden="true">
        <div class="sign-in__art">
          <p class="sign-in__quote">Every bottle, every door, every hand — with the photo to prove it.</p>
          <ul class="sign-in__points">
            <li>Live status of every cabinet: online, door, lock</li>
            <li>Inventory with GHS hazards, down to the shelf</li>
            <li>Before and after shelf photos of each checkout</li>
          </ul>
        </div>
      </aside>
    </div>
  );
}
