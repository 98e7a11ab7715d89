// API keys for integrations: create one with its scopes (the key is shown once), see prefixes and
// last use, revoke.
import { useState } from "preact/hooks";
import { PERMISSIONS } from "../../../../shared/permissions.js";
import { type ApiError, type Page, post } from "../api.js";
import { Card, Dialog, Empty, Field, FormError, Loaded, PageHeader, Pill, Secret } from "../components/ui.js";
import { formatDateTime, relative } from "../format.js";
import { can, orgPath, useOrg } from "../org.js";
import { useResource } from "../resource.js";

interface ApiKey {
  api_key_id: string;
  key_name: string;
  key_prefix: string;
  scopes: string[];
  rate_limit_per_hour: number | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** `all` is every permission, now and later; otherwise the key holds exactly the permissions ticked. */
const SCOPES = ["all", ...PERMISSIONS];

export function ApiKeysScreen() {
  const org = useOrg();
  const keys = useResource<Page<ApiKey>>(orgPath(org, "/api-keys?limit=200"));
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ key: string; prefix: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    setError(null);
    try {
      setCreated(
        await post(orgPath(org, "/api-keys"), {
          name: String(f.get("name")).trim(),
          scopes: f.getAll("scopes").map(String),
        }),
      );
      keys.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!confirm(`Revoke the key "${k.key_name}"? Integrations using it stop working at once.`)) return;
    setError(null);
    try {
      await post(orgPath(org, `/api-keys/${k.api_key_id}/revoke`));
      keys.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };

  return (
    <div class="page">
      <PageHeader
        title="API keys"
        subtitle={
          <>
            For integrations: send as <code>Authorization: Bearer KEY</code>. The API is described at{" "}
            <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
          </>
        }
        actions={
          can(org, "apikey:manage") && (
            <button type="button" class="button button--primary" onClick={() => setCreating(true)}>
              New API key
            </button>
          )
        }
      />
      {!creating && <FormError error={error} />}
      <Card>
        <Loaded resource={keys} what="API keys">
          {(page) =>
            page.items.length === 0 ? (
              <Empty title="No API keys">
                Create one for each integration, with only the scopes it needs.
              </Empty>
            ) : (
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Prefix</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Limit</th>
                      <th scope="col">Last used</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((k) => (
                      <tr key={k.api_key_id} class={k.revoked_at ? "is-muted" : ""}>
                        <td>
                          <span class="strong">{k.key_name}</span>
                          <span class="cell-sub">Created {formatDateTime(k.created_at)}</span>
                        </td>
                        <td class="mono">{k.key_prefix}…</td>
                        <td class="cell-wrap">
                          {k.scopes.map((s) => (
                            <span key={s} class="tag mono">
                              {s}
                            </span>
                          ))}
                        </td>
                        <td class="nowrap">
                          {k.rate_limit_per_hour ? `${k.rate_limit_per_hour.toLocaleString("en-GB")}/h` : "—"}
                        </td>
                        <td>{k.last_used_at ? relative(k.last_used_at) : "Never"}</td>
                        <td class="actions">
                          {k.revoked_at ? (
                            <Pill tone="neutral">Revoked</Pill>
                          ) : (
                            can(org, "apikey:manage") && (
                              <button
                                type="button"
                                class="button button--small button--danger-ghost"
                                onClick={() => void revoke(k)}
                              >
                                Revoke
                              </button>
                            )
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
      <Dialog
        title="New API key"
        open={creating}
        onClose={() => {
          setCreating(false);
          setCreated(null);
          setError(null);
        }}
      >
        {created ? (
          <div class="form">
            <Secret label="Copy this key now: it is never shown again." value={created.key} />
          </div>
        ) : (
          <form class="form" onSubmit={create}>
            <FormError error={error?.fields && Object.keys(error.fields).length ? null : error} />
            <Field label="Name" name="name" error={error} hint="What uses it, e.g. “LIMS nightly sync”.">
              {(id, d) => (
                <input id={id} name="name" required maxLength={100} autocomplete="off" aria-describedby={d} />
              )}
            </Field>
            <fieldset class="checks">
              <legend>Scopes</legend>
              {SCOPES.map((s) => (
                <label key={s} class="check">
                  <input type="checkbox" name="scopes" value={s} defaultChecked={s === "inventory:read"} />
                  <span class="mono">{s}</span>
                </label>
              ))}
            </fieldset>
            <footer class="form__actions">
              <button type="submit" class="button button--primary">
                Create key
              </button>
            </footer>
          </form>
        )}
      </Dialog>
    </div>
  );
}
