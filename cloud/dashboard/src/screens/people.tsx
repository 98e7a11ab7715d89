// People and access: members with their badge and PIN, the tenant's roles, and the scoped grants
// (organization → department → laboratory → cabinet); enrol a technician with a badge in one form.
import { useState } from "preact/hooks";
import { type ApiError, type Page, post, put } from "../api.js";
import {
  Card,
  Dialog,
  Empty,
  ErrorNote,
  Field,
  FormError,
  Loaded,
  PageHeader,
  Pill,
} from "../components/ui.js";
import { formatDate, words } from "../format.js";
import { can, orgPath, useOrg } from "../org.js";
import { useResource } from "../resource.js";

interface Person {
  user_id: string;
  email: string;
  display_name: string | null;
  org_role: string;
  status: string | null;
  /** What the cabinets hold for this person (GET /users: `credentials`), null when nothing is enrolled. */
  credentials?: { user_number: number | null; has_badge: boolean; has_pin: boolean } | null;
}
interface Role {
  role_id: string;
  role_name: string;
  role_slug: string;
  is_system_role: boolean;
  permissions: string[];
  inherits_from?: string | null;
}
interface Grant {
  assignment_id: string;
  user_id: string;
  role_id: string;
  scope_type: "organization" | "department" | "lab" | "cabinet";
  scope_id: string | null;
  valid_until: string | null;
  revoked_at: string | null;
}
interface Scope {
  id: string;
  name: string;
}

const TABS = ["people", "roles", "grants"] as const;
type Tab = (typeof TABS)[number];

function EnrolDialog({
  open,
  onClose,
  roles,
  labs,
  onDone,
}: {
  open: boolean;
  onClose: () => void;
  roles: Role[];
  labs: Scope[];
  onDone: () => void;
}) {
  const org = useOrg();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const s = (k: string) => String(f.get(k) ?? "").trim();
    setBusy(true);
    setError(null);
    try {
      const { user_id } = await post<{ user_id: string }>(orgPath(org, "/users"), {
        email: s("email"),
        first_name: s("first_name"),
        last_name: s("last_name"),
        org_role: "member",
      });
      await post(orgPath(org, "/grants"), {
        user_id,
        role_id: s("role_id"),
        scope_type: s("lab_id") ? "lab" : "organization",
        scope_id: s("lab_id") || org.org_id,
      });
      await put(orgPath(org, `/users/${user_id}/credentials`), {
        badge: s("badge"),
        user_number: Number(s("user_number")),
        pin: s("pin"),
      });
      onDone();
      onClose();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const technician = roles.find((r) => r.role_slug === "technician");
  return (
    <Dialog title="Enrol a technician" open={open} onClose={onClose} wide>
      <form class="form" onSubmit={submit}>
        <FormError error={error} />
        <div class="form__grid">
          <Field label="First name" name="first_name" error={error}>
            {(id, d) => <input id={id} name="first_name" required autocomplete="off" aria-describedby={d} />}
          </Field>
          <Field label="Last name" name="last_name" error={error}>
            {(id, d) => <input id={id} name="last_name" required autocomplete="off" aria-describedby={d} />}
          </Field>
          <Field label="Email" name="email" error={error}>
            {(id, d) => (
              <input id={id} name="email" type="email" required autocomplete="off" aria-describedby={d} />
            )}
          </Field>
          <Field label="Role" name="role_id" error={error}>
            {(id, d) => (
              <select id={id} name="role_id" required aria-describedby={d} value={technician?.role_id}>
                {roles.map((r) => (
                  <option key={r.role_id} value={r.role_id}>
                    {r.role_name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Laboratory"
            name="scope_id"
            error={error}
            hint="The grant covers this laboratory's cabinets."
          >
            {(id, d) => (
              <select id={id} name="lab_id" aria-describedby={d}>
                {labs.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.name}
                  </option>
                ))}
                <option value="">Whole organization</option>
              </select>
            )}
          </Field>
          <Field
            label="Badge"
            name="badge"
            error={error}
            hint="Type it, or present the badge to a USB reader."
          >
            {(id, d) => (
              <input id={id} name="badge" required autocomplete="off" class="mono" aria-describedby={d} />
            )}
          </Field>
          <Field
            label="User number"
            name="user_number"
            error={error}
            hint="Typed at the cabinet before the PIN."
          >
            {(id, d) => (
              <input
                id={id}
                name="user_number"
                required
                inputMode="numeric"
                pattern="[0-9]+"
                aria-describedby={d}
              />
            )}
          </Field>
          <Field label="PIN" name="pin" error={error} hint="6 to 8 digits.">
            {(id, d) => (
              <input
                id={id}
                name="pin"
                type="password"
                required
                inputMode="numeric"
                pattern="[0-9]{6,8}"
                autocomplete="new-password"
                aria-describedby={d}
              />
            )}
          </Field>
        </div>
        <footer class="form__actions">
          <button type="button" class="button button--secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button--primary" disabled={busy}>
            {busy ? "Enrolling…" : "Enrol technician"}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}

export function PeopleScreen() {
  const org = useOrg();
  const [tab, setTab] = useState<Tab>("people");
  const [enrolling, setEnrolling] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const people = useResource<Page<Person>>(orgPath(org, "/users?limit=200"));
  const roles = useResource<Page<Role>>(orgPath(org, "/roles?limit=200"));
  const grants = useResource<Page<Grant>>(orgPath(org, "/grants?limit=200"));
  const labs = useResource<Page<{ lab_id: string; lab_name: string }>>(
    orgPath(org, "/laboratories?limit=200"),
  );
  const labScopes: Scope[] = (labs.data?.items ?? []).map((l) => ({ id: l.lab_id, name: l.lab_name }));
  const personName = (id: string) => {
    const p = people.data?.items.find((x) => x.user_id === id);
    return p ? (p.display_name ?? p.email) : id;
  };
  const roleName = (id: string) => roles.data?.items.find((r) => r.role_id === id)?.role_name ?? id;
  const scopeName = (g: Grant) =>
    g.scope_type === "organization"
      ? org.org_name
      : g.scope_type === "lab"
        ? (labScopes.find((l) => l.id === g.scope_id)?.name ?? "Laboratory")
        : words(g.scope_type);
  const revoke = async (g: Grant) => {
    setActionError(null);
    try {
      await post(orgPath(org, `/grants/${g.assignment_id}/revoke`));
      grants.reload();
    } catch (err) {
      setActionError(err as ApiError);
    }
  };

  return (
    <div class="page">
      <PageHeader
        title="People & access"
        subtitle="Who may open which cabinet, and how they prove it."
        actions={
          can(org, "user:manage") && (
            <button
              type="button"
              class="button button--primary"
              onClick={() => setEnrolling(true)}
              disabled={!roles.data}
            >
              Enrol technician
            </button>
          )
        }
      />
      <div class="tabs" role="tablist" aria-label="People and access">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`panel-${t}`}
            class={`tabs__tab ${tab === t ? "is-active" : ""}`}
            onClick={() => setTab(t)}
          >
            {words(t)}
          </button>
        ))}
      </div>
      <FormError error={actionError} />
      <section id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "people" && (
          <Loaded resource={people} what="People">
            {(page) =>
              page.items.length === 0 ? (
                <Empty title="No people yet" />
              ) : (
                <div class="table-wrap">
                  <table class="table">
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col">Organization role</th>
                        <th scope="col">User number</th>
                        <th scope="col">Badge</th>
                        <th scope="col">PIN</th>
                        <th scope="col">Status</th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.items.map((p) => (
                        <tr key={p.user_id}>
                          <td>
                            <span class="strong">{p.display_name ?? p.email}</span>
                            <span class="cell-sub">{p.email}</span>
                          </td>
                          <td>{words(p.org_role)}</td>
                          <td class="mono">{p.credentials?.user_number ?? "—"}</td>
                          <td>
                            {p.credentials?.has_badge ? (
                              <Pill tone="ok">Enrolled</Pill>
                            ) : (
                              <Pill tone="neutral">None</Pill>
                            )}
                          </td>
                          <td>
                            {p.credentials?.has_pin ? (
                              <Pill tone="ok">Set</Pill>
                            ) : (
                              <Pill tone="neutral">None</Pill>
                            )}
                          </td>
                          <td>
                            <Pill tone={p.status === "active" ? "ok" : "neutral"}>{words(p.status)}</Pill>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )
            }
          </Loaded>
        )}
        {tab === "roles" && (
          <Loaded resource={roles} what="Roles">
            {(page) => (
              <div class="role-grid">
                {page.items.map((r) => (
                  <Card
                    key={r.role_id}
                    title={
                      <>
                        {r.role_name} {r.is_system_role && <Pill tone="neutral">System</Pill>}
                      </>
                    }
                  >
                    {r.inherits_from && <p class="muted">Inherits from {roleName(r.inherits_from)}</p>}
                    <ul class="perm-list">
                      {r.permissions.map((p) => (
                        <li key={p} class="tag mono">
                          {p}
                        </li>
                      ))}
                    </ul>
                  </Card>
                ))}
              </div>
            )}
          </Loaded>
        )}
        {tab === "grants" && (
          <Loaded resource={grants} what="Grants">
            {(page) =>
              page.items.length === 0 ? (
                <Empty title="No grants" />
              ) : (
                <div class="table-wrap">
                  <table class="table">
                    <thead>
                      <tr>
                        <th scope="col">Person</th>
                        <th scope="col">Role</th>
                        <th scope="col">Scope</th>
                        <th scope="col">Until</th>
                        <th scope="col">
                          <span class="visually-hidden">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.items.map((g) => (
                        <tr key={g.assignment_id} class={g.revoked_at ? "is-muted" : ""}>
                          <td class="strong">{personName(g.user_id)}</td>
                          <td>{roleName(g.role_id)}</td>
                          <td>
                            {words(g.scope_type)}: {scopeName(g)}
                          </td>
                          <td>
                            {g.revoked_at
                              ? `Revoked ${formatDate(g.revoked_at)}`
                              : g.valid_until
                                ? formatDate(g.valid_until)
                                : "No end"}
                          </td>
                          <td class="actions">
                            {!g.revoked_at && can(org, "user:manage") && (
                              <button
                                type="button"
                                class="button button--small button--danger-ghost"
                                onClick={() => void revoke(g)}
                              >
                                Revoke
                              </button>
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
        )}
      </section>
      {roles.error && tab !== "roles" && <ErrorNote error={roles.error} what="Roles" />}
      <EnrolDialog
        open={enrolling}
        onClose={() => setEnrolling(false)}
        roles={roles.data?.items ?? []}
        labs={labScopes}
        onDone={() => {
          people.reload();
          grants.reload();
        }}
      />
    </div>
  );
}
