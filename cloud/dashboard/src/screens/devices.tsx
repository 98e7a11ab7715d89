// Devices (the cabinets' controllers) and claim tokens: issue a token for a cabinet (shown once),
// revoke an unused one, and revoke or decommission a device.
import { useState } from "preact/hooks";
import { type ApiError, type Page, post } from "../api.js";
import {
  Card,
  Dialog,
  Empty,
  Field,
  FormError,
  Loaded,
  PageHeader,
  Pill,
  Secret,
  type Tone,
} from "../components/ui.js";
import { formatDateTime, relative, words } from "../format.js";
import { can, orgPath, useOrg } from "../org.js";
import { useResource } from "../resource.js";
import type { Cabinet } from "./overview.js";

interface Device {
  device_id: string;
  cabinet_id: string | null;
  serial_number: string | null;
  status: string;
  firmware_version: string | null;
  last_seen_at: string | null;
  online?: boolean;
}
interface ClaimToken {
  token_id: string;
  cabinet_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

const DEVICE_TONE: Record<string, Tone> = {
  active: "ok",
  claimed: "ok",
  revoked: "danger",
  decommissioned: "neutral",
};

function tokenState(t: ClaimToken): [string, Tone] {
  if (t.revoked_at) return ["Revoked", "neutral"];
  if (t.used_at) return ["Used", "ok"];
  if (new Date(t.expires_at).getTime() < Date.now()) return ["Expired", "neutral"];
  return ["Waiting", "info"];
}

export function DevicesScreen() {
  const org = useOrg();
  const devices = useResource<Page<Device>>(orgPath(org, "/devices?limit=200"));
  const tokens = useResource<Page<ClaimToken>>(orgPath(org, "/claim-tokens?limit=200"));
  const cabinets = useResource<Page<Cabinet>>(orgPath(org, "/cabinets?limit=200"));
  const [issuing, setIssuing] = useState(false);
  const [issued, setIssued] = useState<{ claim_token: string; expires_at: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const cabinetName = (id: string | null) =>
    cabinets.data?.items.find((c) => c.cabinet_id === id)?.cabinet_name ?? "—";

  const act = async (path: string, body?: unknown, confirmText?: string) => {
    if (confirmText && !confirm(confirmText)) return;
    setError(null);
    try {
      await post(orgPath(org, path), body);
      devices.reload();
      tokens.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const issue = async (e: SubmitEvent) => {
    e.preventDefault();
    const cabinet = String(new FormData(e.currentTarget as HTMLFormElement).get("cabinet_id"));
    setError(null);
    try {
      setIssued(await post(orgPath(org, `/cabinets/${cabinet}/claim-tokens`)));
      tokens.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };

  return (
    <div class="page">
      <PageHeader
        title="Devices"
        subtitle="Cabinet controllers and the one-time tokens that claim them."
        actions={
          can(org, "device:manage") && (
            <button type="button" class="button button--primary" onClick={() => setIssuing(true)}>
              New claim token
            </button>
          )
        }
      />
      <FormError error={error} />
      <Card title="Controllers">
        <Loaded resource={devices} what="Devices">
          {(page) =>
            page.items.length === 0 ? (
              <Empty title="No devices claimed yet">
                Issue a claim token and enter it on the cabinet's controller.
              </Empty>
            ) : (
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Serial number</th>
                      <th scope="col">Cabinet</th>
                      <th scope="col">Status</th>
                      <th scope="col">Last seen</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((d) => (
                      <tr key={d.device_id}>
                        <td>
                          <span class="strong mono">{d.serial_number ?? d.device_id}</span>
                          {d.firmware_version && <span class="cell-sub">Firmware {d.firmware_version}</span>}
                        </td>
                        <td>{cabinetName(d.cabinet_id)}</td>
                        <td>
                          <Pill tone={DEVICE_TONE[d.status] ?? "neutral"}>{words(d.status)}</Pill>
                        </td>
                        <td title={formatDateTime(d.last_seen_at)}>{relative(d.last_seen_at)}</td>
                        <td class="actions">
                          {d.status !== "decommissioned" && can(org, "device:manage") && (
                            <>
                              <button
                                type="button"
                                class="button button--small button--secondary"
                                onClick={() =>
                                  void act(
                                    `/devices/${d.device_id}/revoke`,
                                    undefined,
                                    "Revoke this device's credential? It stops syncing until re-claimed.",
                                  )
                                }
                              >
                                Revoke
                              </button>
                              <button
                                type="button"
                                class="button button--small button--danger-ghost"
                                onClick={() =>
                                  void act(
                                    `/devices/${d.device_id}/decommission`,
                                    undefined,
                                    "Decommission this device for good?",
                                  )
                                }
                              >
                                Decommission
                              </button>
                            </>
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
      <Card title="Claim tokens">
        <Loaded resource={tokens} what="Claim tokens">
          {(page) =>
            page.items.length === 0 ? (
              <Empty title="No claim tokens" />
            ) : (
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Cabinet</th>
                      <th scope="col">Issued</th>
                      <th scope="col">Expires</th>
                      <th scope="col">State</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((t) => {
                      const [state, tone] = tokenState(t);
                      return (
                        <tr key={t.token_id}>
                          <td class="strong">{cabinetName(t.cabinet_id)}</td>
                          <td>{formatDateTime(t.created_at)}</td>
                          <td>{relative(t.expires_at)}</td>
                          <td>
                            <Pill tone={tone}>{state}</Pill>
                          </td>
                          <td class="actions">
                            {state === "Waiting" && can(org, "device:manage") && (
                              <button
                                type="button"
                                class="button button--small button--danger-ghost"
                                onClick={() => void act("/claim-tokens/revoke", { token_id: t.token_id })}
                              >
                                Revoke
                              </button>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
      <Dialog
        title="New claim token"
        open={issuing}
        onClose={() => {
          setIssuing(false);
          setIssued(null);
        }}
      >
        {issued ? (
          <div class="form">
            <Secret
              label="Enter this token on the cabinet's controller. It is shown only now."
              value={issued.claim_token}
            />
            <p class="muted">Valid until {formatDateTime(issued.expires_at)}; it works once.</p>
          </div>
        ) : (
          <form class="form" onSubmit={issue}>
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
            <footer class="form__actions">
              <button type="submit" class="button button--primary">
                Issue token
              </button>
            </footer>
          </form>
        )}
      </Dialog>
    </div>
  );
}
