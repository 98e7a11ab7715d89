// Devices (the cabinets' controllers) and claim tokens: add a cabinet, issue a token for it (shown
// once), revoke an unused token, and revoke or decommission a device.
import { useState } from "preact/hooks";
import { type Page, post } from "../api.js";
import { ConfirmButton, FormDialog } from "../components/actions.js";
import { type Column, DataTable } from "../components/data-table.js";
import {
  Card,
  Empty,
  Field,
  Loaded,
  PageHeader,
  Pill,
  Secret,
  TextField,
  type Tone,
} from "../components/ui.js";
import { formatDateTime, relative, words } from "../format.js";
import { can, orgPath, useOrg } from "../org.js";
import { useResource } from "../resource.js";
import type { Cabinet } from "./overview.js";

interface Device {
  device_id: string;
  serial_number: string;
  status: string | null;
  /** Connected to the broker now. */
  online: boolean;
  cabinet_id: string | null;
  cabinet_name: string | null;
  firmware_version: string | null;
  last_seen_at: string | null;
}
interface ClaimToken {
  token_id: string;
  cabinet_id: string;
  cabinet_name: string | null;
  state: "issued" | "used" | "revoked" | "expired";
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

const DEVICE_TONE: Record<string, Tone> = {
  active: "ok",
  provisioned: "info",
  offline: "warn",
  decommissioned: "neutral",
};
const TOKEN_TONE: Record<ClaimToken["state"], Tone> = {
  issued: "info",
  used: "ok",
  revoked: "neutral",
  expired: "neutral",
};
const TOKEN_STATE: Record<ClaimToken["state"], string> = {
  issued: "Waiting for the cabinet",
  used: "Used",
  revoked: "Revoked",
  expired: "Expired",
};

/** A claim token as its answer shows it: the token once, and until when it works. */
function IssuedToken({ token, expires }: { token: string; expires: string }) {
  return (
    <>
      <Secret label="Enter this token on the cabinet's controller. It is shown only now." value={token} />
      <p class="muted">Valid until {formatDateTime(expires)}; it works once.</p>
    </>
  );
}

export function DevicesScreen() {
  const org = useOrg();
  const devices = useResource<Page<Device>>(orgPath(org, "/devices?limit=200"));
  const tokens = useResource<Page<ClaimToken>>(orgPath(org, "/claim-tokens?limit=200"));
  const cabinets = useResource<Page<Cabinet>>(orgPath(org, "/cabinets?limit=200"));
  const [dialog, setDialog] = useState<"token" | "cabinet" | null>(null);
  const manage = can(org, "device:manage");
  const reload = () => {
    devices.reload();
    tokens.reload();
  };
  const issue = async (cabinetId: string) => {
    const issued = await post<{ claim_token: string; expires_at: string }>(
      orgPath(org, `/cabinets/${cabinetId}/claim-tokens`),
    );
    tokens.reload();
    return <IssuedToken token={issued.claim_token} expires={issued.expires_at} />;
  };

  const deviceColumns: Column<Device>[] = [
    {
      header: "Serial number",
      cell: (d) => (
        <>
          <span class="strong mono">{d.serial_number}</span>
          {d.firmware_version && <span class="cell-sub">Version {d.firmware_version}</span>}
        </>
      ),
    },
    { header: "Cabinet", cell: (d) => d.cabinet_name ?? "—" },
    {
      header: "Status",
      cell: (d) => (
        <span class="pills">
          <Pill tone={DEVICE_TONE[d.status ?? ""] ?? "neutral"}>{words(d.status)}</Pill>
          {d.status !== "decommissioned" && (
            <Pill tone={d.online ? "ok" : "neutral"}>{d.online ? "Connected" : "Not connected"}</Pill>
          )}
        </span>
      ),
    },
    {
      header: "Last contact",
      class: "nowrap",
      cell: (d) => <span title={formatDateTime(d.last_seen_at)}>{relative(d.last_seen_at)}</span>,
    },
    {
      header: "",
      class: "actions",
      cell: (d) =>
        d.status !== "decommissioned" &&
        manage && (
          <>
            <ConfirmButton
              label="Revoke"
              tone="secondary"
              ariaLabel={`Revoke ${d.serial_number}`}
              question="Revoke this device's credential?"
              onConfirm={async () => {
                await post(orgPath(org, `/devices/${d.device_id}/revoke`));
                reload();
              }}
            >
              <strong>{d.serial_number}</strong> stops syncing at once. Its cabinet keeps working on its own
              and catches up when the controller is claimed again.
            </ConfirmButton>{" "}
            <ConfirmButton
              label="Decommission"
              ariaLabel={`Decommission ${d.serial_number}`}
              question="Decommission this device?"
              onConfirm={async () => {
                await post(orgPath(org, `/devices/${d.device_id}/decommission`));
                reload();
              }}
            >
              <strong>{d.serial_number}</strong> is retired for good: its credential ends and it can no longer
              be claimed without an administrator's approval.
            </ConfirmButton>
          </>
        ),
    },
  ];
  const tokenColumns: Column<ClaimToken>[] = [
    { header: "Cabinet", cell: (t) => <span class="strong">{t.cabinet_name ?? "—"}</span> },
    { header: "Issued", class: "nowrap", cell: (t) => formatDateTime(t.created_at) },
    {
      header: "Expires",
      class: "nowrap",
      cell: (t) => (t.state === "used" ? `Used ${relative(t.used_at)}` : relative(t.expires_at)),
    },
    { header: "State", cell: (t) => <Pill tone={TOKEN_TONE[t.state]}>{TOKEN_STATE[t.state]}</Pill> },
    {
      header: "",
      class: "actions",
      cell: (t) =>
        t.state === "issued" &&
        manage && (
          <ConfirmButton
            label="Revoke"
            ariaLabel={`Revoke the token for ${t.cabinet_name ?? "this cabinet"}`}
            question="Revoke this claim token?"
            onConfirm={async () => {
              await post(orgPath(org, "/claim-tokens/revoke"), { token_id: t.token_id });
              tokens.reload();
            }}
          >
            Nobody can claim <strong>{t.cabinet_name ?? "the cabinet"}</strong> with it any more. Issue a new
            token when the installer is ready.
          </ConfirmButton>
        ),
    },
  ];

  return (
    <div class="page">
      <PageHeader
        title="Devices"
        subtitle="Cabinet controllers and the one-time tokens that claim them."
        actions={
          manage && (
            <>
              {can(org, "org:manage") && (
                <button type="button" class="button button--secondary" onClick={() => setDialog("cabinet")}>
                  Add cabinet
                </button>
              )}
              <button type="button" class="button button--primary" onClick={() => setDialog("token")}>
                New claim token
              </button>
            </>
          )
        }
      />
      <Card title="Controllers">
        <Loaded resource={devices} what="Devices">
          {(page) =>
            page.items.length === 0 ? (
              <Empty title="No devices claimed yet">
                Issue a claim token and enter it on the cabinet's controller.
              </Empty>
            ) : (
              <DataTable
                caption="Controllers"
                columns={deviceColumns}
                rows={page.items}
                rowKey={(d) => d.device_id}
                muted={(d) => d.status === "decommissioned"}
              />
            )
          }
        </Loaded>
      </Card>
      <Card title="Claim tokens">
        <Loaded resource={tokens} what="Claim tokens">
          {(page) =>
            page.items.length === 0 ? (
              <Empty title="No claim tokens">A token lets one controller join one cabinet, once.</Empty>
            ) : (
              <DataTable
                caption="Claim tokens"
                columns={tokenColumns}
                rows={page.items}
                rowKey={(t) => t.token_id}
                muted={(t) => t.state !== "issued"}
              />
            )
          }
        </Loaded>
      </Card>
      <FormDialog
        title="New claim token"
        open={dialog === "token"}
        onClose={() => setDialog(null)}
        submitLabel="Issue token"
        busyLabel="Issuing…"
        onSubmit={(f) => issue(String(f.get("cabinet_id")))}
      >
        {(error) => (
          <Field label="Cabinet" name="cabinet_id" error={error}>
            {(id, d) => (
              <select id={id} name="cabinet_id" required aria-describedby={d}>
                {(cabinets.data?.items ?? []).map((c) => (
                  <option key={c.cabinet_id} value={c.cabinet_id}>
                    {c.cabinet_name} ({c.cabinet_code})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
      </FormDialog>
      <FormDialog
        title="Add a cabinet"
        open={dialog === "cabinet"}
        onClose={() => setDialog(null)}
        submitLabel="Add cabinet and issue token"
        busyLabel="Adding…"
        wide
        onSubmit={async (f) => {
          const s = (k: string) => String(f.get(k) ?? "").trim();
          const { cabinet_id } = await post<{ cabinet_id: string }>(orgPath(org, "/cabinets"), {
            department: s("department"),
            lab: s("lab"),
            name: s("name"),
            code: s("code"),
            shelves: Number(s("shelves")),
          });
          cabinets.reload();
          return issue(cabinet_id);
        }}
      >
        {(error) => (
          <div class="form__grid">
            <TextField
              label="Department"
              name="department"
              error={error}
              hint="Found by name, or created."
              required
              autocomplete="off"
            />
            <TextField
              label="Laboratory"
              name="lab"
              error={error}
              hint="Found by name, or created."
              required
              autocomplete="off"
            />
            <TextField label="Cabinet name" name="name" error={error} required autocomplete="off" />
            <TextField
              label="Cabinet code"
              name="code"
              error={error}
              hint="Unique in the organization."
              required
              maxLength={50}
              class="mono"
            />
            <TextField
              label="Shelves"
              name="shelves"
              type="number"
              error={error}
              required
              min={1}
              max={20}
              defaultValue="4"
            />
          </div>
        )}
      </FormDialog>
    </div>
  );
}
