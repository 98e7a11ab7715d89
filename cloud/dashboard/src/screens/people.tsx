// People and access: members with their badge and PIN (change a member's organization role, remove
// them), the tenant's roles, and the scoped grants (organization → department → laboratory → cabinet);
// enrol a technician with a badge in one form.
import { useState } from "preact/hooks";
import { del, type Page, patch, post, put } from "../api.js";
import { ConfirmButton, FormDialog } from "../components/actions.js";
import { type Column, DataTable } from "../components/data-table.js";
import { Card, Empty, ErrorNote, Field, Loaded, PageHeader, Pill, TextField } from "../components/ui.js";
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
const ORG_ROLES = ["member", "manager", "admin", "owner"] as const;
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
  const enrol = async (f: FormData) => {
    const s = (k: string) => String(f.get(k) ?? "").trim();
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
    return undefined;
  };
  const technician = roles.find((r) => r.role_slug === "technician");
  return (
    <FormDialog
      title="Enrol a technician"
      open={open}
      onClose={onClose}
      submitLabel="Enrol technician"
      busyLabel="Enrolling…"
      onSubmit={enrol}
      wide
    >
      {(error) => (
        <div class="form__grid">
          <TextField label="First name" name="first_name" error={error} required autocomplete="off" />
          <TextField label="Last name" name="last_name" error={error} required autocomplete="off" />
          <TextField label="Email" name="email" type="email" error={error} required autocomplete="off" />
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
          <TextField
            label="Badge"
            name="badge"
            error={error}
            hint="Type it, or present the badge to a USB reader."
            required
            autocomplete="off"
            class="mono"
          />
          <TextField
            label="User number"
            name="user_number"
            error={error}
            hint="Typed at the cabinet before the PIN."
            required
            inputMode="numeric"
            pattern="[0-9]+"
          />
          <TextField
            label="PIN"
            name="pin"
            type="password"
            error={error}
            hint="6 to 8 digits."
            required
            inputMode="numeric"
            pattern="[0-9]{6,8}"
            autocomplete="new-password"
          />
        </div>
      )}
    </FormDialog>
  );
}

/** What the cabinets hold for a person: badge, PIN and the number typed before the PIN. */
function CabinetAccess({ c }: { c: Person["credentials"] }) {
  return (
    <span class="pills">
      <Pill tone={c?.has_badge ? "ok" : "neutral"}>{c?.has_badge ? "Badge enrolled" : "No badge"}</Pill>
      <Pill tone={c?.has_pin ? "ok" : "neutral"}>{c?.has_pin ? "PIN set" : "No PIN"}</Pill>
      {c?.user_number != null && <span class="tag mono">No. {c.user_number}</span>}
    </span>
  );
}

export function PeopleScreen() {
  const org = useOrg();
  const [tab, setTab] = useState<Tab>("people");
  const [enrolling, setEnrolling] = useState(false);
  const [editing, setEditing] = useState<Person | null>(null);
  const people = useResource<Page<Person>>(orgPath(org, "/users?limit=200"));
  const roles = useResource<Page<Role>>(orgPath(org, "/roles?limit=200"));
  const grants = useResource<Page<Grant>>(orgPath(org, "/grants?limit=200"));
  const labs = useResource<Page<{ lab_id: string; lab_name: string }>>(
    orgPath(org, "/laboratories?limit=200"),
  );
  const manage = can(org, "user:manage");
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

  const personColumns: Column<Person>[] = [
    {
      header: "Name",
      cell: (p) => (
        <>
          <span class="strong">{p.display_name ?? p.email}</span>{" "}
          {p.status !== "active" && <Pill tone="neutral">{words(p.status)}</Pill>}
          <span class="cell-sub">{p.email}</span>
        </>
      ),
    },
    { header: "Organization role", cell: (p) => words(p.org_role) },
    { header: "At the cabinet", cell: (p) => <CabinetAccess c={p.credentials} /> },
    {
      header: "",
      class: "actions",
      cell: (p) =>
        manage && (
          <>
            <button
              type="button"
              class="button button--small button--secondary"
              aria-label={`Change ${p.display_name ?? p.email}'s role`}
              onClick={() => setEditing(p)}
            >
              Change role
            </button>{" "}
            <ConfirmButton
              label="Remove"
              ariaLabel={`Remove ${p.display_name ?? p.email}`}
              question="Remove this person from the organization?"
              onConfirm={async () => {
                await del(orgPath(org, `/users/${p.user_id}`));
                people.reload();
                grants.reload();
              }}
            >
              <strong>{p.display_name ?? p.email}</strong> loses every grant, their badge and PIN stop opening
              cabinets with each cabinet's next update, and they can no longer sign in to {org.org_name}.
              Their history stays.
            </ConfirmButton>
          </>
        ),
    },
  ];
  const grantColumns: Column<Grant>[] = [
    { header: "Person", class: "strong", cell: (g) => personName(g.user_id) },
    { header: "Role", cell: (g) => roleName(g.role_id) },
    { header: "Scope", cell: (g) => `${words(g.scope_type)}: ${scopeName(g)}` },
    {
      header: "Until",
      cell: (g) =>
        g.revoked_at
          ? `Revoked ${formatDate(g.revoked_at)}`
          : g.valid_until
            ? formatDate(g.valid_until)
            : "No end",
    },
    {
      header: "",
      class: "actions",
      cell: (g) =>
        !g.revoked_at &&
        manage && (
          <ConfirmButton
            label="Revoke"
            ariaLabel={`Revoke ${personName(g.user_id)}'s ${roleName(g.role_id)} grant`}
            question="Revoke this grant?"
            onConfirm={async () => {
              await post(orgPath(org, `/grants/${g.assignment_id}/revoke`));
              grants.reload();
            }}
          >
            <strong>{personName(g.user_id)}</strong> loses {roleName(g.role_id)} over {scopeName(g)}; the
            cabinets learn it with their next update. Who revoked it, and when, is recorded.
          </ConfirmButton>
        ),
    },
  ];

  return (
    <div class="page">
      <PageHeader
        title="People & access"
        subtitle="Who may open which cabinet, and how they prove it."
        actions={
          manage && (
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
      <section id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "people" && (
          <Loaded resource={people} what="People">
            {(page) =>
              page.items.length === 0 ? (
                <Empty title="No people yet" />
              ) : (
                <DataTable
                  caption="People"
                  columns={personColumns}
                  rows={page.items}
                  rowKey={(p) => p.user_id}
                  muted={(p) => p.status !== "active"}
                />
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
                <DataTable
                  caption="Grants"
                  columns={grantColumns}
                  rows={page.items}
                  rowKey={(g) => g.assignment_id}
                  muted={(g) => !!g.revoked_at}
                />
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
      <FormDialog
        title={`Organization role of ${editing?.display_name ?? editing?.email ?? ""}`}
        open={editing !== null}
        onClose={() => setEditing(null)}
        submitLabel="Save role"
        busyLabel="Saving…"
        onSubmit={async (f) => {
          await patch(orgPath(org, `/users/${editing!.user_id}`), { org_role: String(f.get("org_role")) });
          people.reload();
          return undefined;
        }}
      >
        {(error) => (
          <Field
            label="Organization role"
            name="org_role"
            error={error}
            hint="Administers the organization itself; what someone may do at a cabinet comes from their grants."
          >
            {(id, d) => (
              <select id={id} name="org_role" aria-describedby={d} value={editing?.org_role}>
                {ORG_ROLES.map((r) => (
                  <option key={r} value={r}>
                    {words(r)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
      </FormDialog>
    </div>
  );
}
