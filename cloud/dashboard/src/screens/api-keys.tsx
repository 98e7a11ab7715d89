// API keys for integrations: create one with its scopes (the key is shown once), see prefixes and
// last use, revoke.
import { useState } from "preact/hooks";
import { PERMISSIONS } from "../../../../shared/permissions.js";
import { type Page, post } from "../api.js";
import { ConfirmButton, FormDialog } from "../components/actions.js";
import { type Column, DataTable } from "../components/data-table.js";
import { Empty, Loaded, PageHeader, Pill, Secret, TextField } from "../components/ui.js";
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
  const manage = can(org, "apikey:manage");

  const columns: Column<ApiKey>[] = [
    {
      header: "Name",
      cell: (k) => (
        <>
          <span class="strong">{k.key_name}</span>
          <span class="cell-sub">Created {formatDateTime(k.created_at)}</span>
        </>
      ),
    },
    { header: "Prefix", class: "mono", cell: (k) => `${k.key_prefix}…` },
    {
      header: "Scopes",
      class: "cell-wrap",
      cell: (k) =>
        k.scopes.map((s) => (
          <span key={s} class="tag mono">
            {s}
          </span>
        )),
    },
    {
      header: "Limit",
      class: "nowrap",
      cell: (k) => (k.rate_limit_per_hour ? `${k.rate_limit_per_hour.toLocaleString("en-GB")}/h` : "—"),
    },
    { header: "Last used", cell: (k) => (k.last_used_at ? relative(k.last_used_at) : "Never") },
    {
      header: "",
      class: "actions",
      cell: (k) =>
        k.revoked_at ? (
          <Pill tone="neutral">Revoked</Pill>
        ) : (
          manage && (
            <ConfirmButton
              label="Revoke"
              ariaLabel={`Revoke ${k.key_name}`}
              question="Revoke this API key?"
              onConfirm={async () => {
                await post(orgPath(org, `/api-keys/${k.api_key_id}/revoke`));
                keys.reload();
              }}
            >
              Integrations using <strong>{k.key_name}</strong> ({k.key_prefix}…) stop working at once. This
              cannot be undone.
            </ConfirmButton>
          )
        ),
    },
  ];

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
          manage && (
            <button type="button" class="button button--primary" onClick={() => setCreating(true)}>
              New API key
            </button>
          )
        }
      />
      <Loaded resource={keys} what="API keys">
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No API keys">Create one for each integration, with only the scopes it needs.</Empty>
          ) : (
            <DataTable
              caption="API keys"
              columns={columns}
              rows={page.items}
              rowKey={(k) => k.api_key_id}
              muted={(k) => !!k.revoked_at}
            />
          )
        }
      </Loaded>
      <FormDialog
        title="New API key"
        open={creating}
        onClose={() => setCreating(false)}
        submitLabel="Create key"
        busyLabel="Creating…"
        onSubmit={async (f) => {
          const created = await post<{ key: string; prefix: string }>(orgPath(org, "/api-keys"), {
            name: String(f.get("name")).trim(),
            scopes: f.getAll("scopes").map(String),
          });
          keys.reload();
          return <Secret label="Copy this key now: it is never shown again." value={created.key} />;
        }}
      >
        {(error) => (
          <>
            <TextField
              label="Name"
              name="name"
              error={error}
              hint="What uses it, e.g. “LIMS nightly sync”."
              required
              maxLength={100}
              autocomplete="off"
            />
            <fieldset class="checks">
              <legend>Scopes</legend>
              {SCOPES.map((s) => (
                <label key={s} class="check">
                  <input type="checkbox" name="scopes" value={s} defaultChecked={s === "inventory:read"} />
                  <span class="mono">{s}</span>
                </label>
              ))}
            </fieldset>
          </>
        )}
      </FormDialog>
    </div>
  );
}
