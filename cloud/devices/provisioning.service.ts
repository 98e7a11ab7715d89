// Provisioning: an org admin issues a one-time claim token for a cabinet; the cabinet claims itself
// with it and receives its own credential. Credentials can be revoked and rotated.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { cabinetKey } from "../../shared/credential-hash.js";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { AppError, parseInput } from "../../shared/errors.js";
import { newToken } from "../../shared/tokens.js";
import { type Database, type Tx, withinTenant } from "../db/database.js";
import type { CommandKeyService } from "../fleet/command-key.service.js";
import { cabinetRepository, type PlacedCabinet } from "../orgs/cabinet.repository.js";
import { tenantSettingRepository } from "../orgs/tenant-setting.repository.js";
import { systemEventRepository } from "../security/system-event.repository.js";
import { type ClaimToken, claimTokenRepository } from "./claim-token.repository.js";
import { type Device, deviceRepository } from "./device.repository.js";

export const CLAIM_TOKEN_TTL_MS = 7 * 24 * 3600_000;
/** How long an administrator's re-claim approval stays usable. */
export const RECLAIM_APPROVAL_TTL_MS = 3600_000;
/** How far back sweepRevocations() looks for credentials revoked by other processes. */
const SWEEP_LOOKBACK_S = 60;

export const ClaimRequest = z.object({
  claim_token: z.string().min(10).max(200),
  serial_number: z.string().trim().min(1).max(100),
  hardware_version: z.string().max(50).optional(),
  firmware_version: z.string().max(50).optional(),
  /** The controller's current credential, when it re-claims itself: proves it is the registered board. */
  device_credential: z.string().min(10).max(200).optional(),
});
export type ClaimRequest = z.infer<typeof ClaimRequest>;

export interface ClaimResponse extends DeviceIdentity {
  credential: string;
  /** The organization's command public key: the cabinet refuses commands it did not sign. */
  command_key?: string;
  /** The cloud's clock, which the cabinet (no real-time clock) checks command issue times against. */
  cloud_time: string;
  mqtt_url: string;
  lab_id: string;
  dept_id: string;
  credential_secret: string;
}

/** Hooks into the broker, so that a new credential also works for MQTT (Mosquitto dynsec, ...). */
export interface CredentialListener {
  added(identity: DeviceIdentity, token: string): Promise<void>;
  /** The device's credentials are gone: the broker must refuse it and close its live sessions. */
  revoked(identity: DeviceIdentity): Promise<void>;
  /**
   * Another process replaced the device's credential: close live sessions made with the old one. Brokers
   * with their own store (Mosquitto) already did, when that process updated them.
   */
  disconnect?(identity: DeviceIdentity): Promise<void>;
}

export const ClaimTokenRef = z
  .object({
    claim_token: z.string().min(10).max(200).optional(),
    token_id: z.uuid().optional(),
    cabinet_id: z.uuid().optional(),
  })
  .refine((r) => [r.claim_token, r.token_id, r.cabinet_id].filter(Boolean).length === 1, {
    message: "name exactly one of claim_token, token_id, cabinet_id",
  });
export type ClaimTokenRef = z.infer<typeof ClaimTokenRef>;

const REGISTERED_SERIAL = (serial: string) =>
  `serial number ${serial} is already registered: re-claiming it needs the controller's current credential ` +
  "or an administrator's approval (lilo cloud device approve-reclaim)";

export class ProvisioningService {
  /** Revoked credential ids whose sessions this process already closed, with when: sweepRevocations skips them. */
  private readonly announced = new Map<string, number>();

  constructor(
    private readonly database: Database,
    private readonly listener?: CredentialListener,
    /** The broker URL cabinets should use, once the live channel knows it. */
    private readonly mqttUrl: () => string = () => "",
    private readonly commandKeys?: CommandKeyService,
  ) {}

  async createClaimToken(
    orgId: string,
    cabinetId: string,
    createdBy?: string,
  ): Promise<{ claim_token: string; token_id: string; expires_at: Date }> {
    // An organization without a tenant role fails to open its transaction: that is a missing cabinet too.
    const exists = await this.database
      .withTenant(orgId, (tx) => cabinetRepository.exists(tx, cabinetId))
      .catch(() => false);
    if (!exists) throw new AppError("not_found", `no cabinet ${cabinetId} in organization ${orgId}`);
    const claim_token = newToken("lilo_claim", 24);
    const expires_at = new Date(Date.now() + CLAIM_TOKEN_TTL_MS);
    const token_id = await this.database.asService((tx) =>
      claimTokenRepository.insert(tx, {
        org_id: orgId,
        cabinet_id: cabinetId,
        claim_token,
        created_by: createdBy,
        expires_at,
      }),
    );
    return { claim_token, token_id, expires_at };
  }

  /** The cabinet's side: trade a claim token for a device identity and credential. */
  async claim(input: unknown): Promise<ClaimResponse> {
    const req = parseInput(ClaimRequest, input);
    const token = newToken("lilo_dev");
    // Platform rows and the tenant's cabinet binding change together or not at all; an unauthenticated
    // caller gets lilo_service (and the claimed tenant's role below), never the owner.
    const result = await this.database.asService(async (tx) => {
      const claim = await openClaim(tx, req.claim_token);
      const cab = await withinTenant(tx, claim.org_id, (t) =>
        cabinetRepository.findPlaced(t, claim.cabinet_id),
      );
      if (!cab) throw new AppError("not_found", "the cabinet of this claim token no longer exists");
      const known = await deviceRepository.lockBySerial(tx, req.serial_number);
      const { deviceId, thing, revokedIds } = await register(tx, req, token, claim.org_id, cab, known);
      await deviceRepository.addCredential(tx, { device_id: deviceId, org_id: claim.org_id }, token);
      await claimTokenRepository.markUsed(tx, claim.token_id, deviceId);
      const retired = await retireReplaced(tx, cab, deviceId);
      revokedIds.push(...retired.revokedIds);
      const secret = await withinTenant(tx, claim.org_id, async (t) => {
        await cabinetRepository.bindDevice(t, cab.cabinet_id, deviceId);
        // The cabinet's own key, never the tenant's master key (shared/credential-hash.ts).
        return cabinetKey(await credentialSecret(t), cab.cabinet_id);
      });
      return {
        previous: known ? identityOf(known) : undefined,
        retired: retired.identity,
        revokedIds,
        device_id: deviceId,
        org_id: claim.org_id,
        thing_name: thing,
        cabinet_id: cab.cabinet_id,
        lab_id: cab.lab_id,
        dept_id: cab.dept_id,
        credential: token,
        credential_secret: secret,
        mqtt_url: this.mqttUrl(),
      };
    });
    const { previous, retired, revokedIds, ...response } = result;
    // Sessions opened with the replaced credentials end before the new one is announced.
    this.announce(revokedIds);
    if (previous) await this.listener?.revoked(previous);
    if (retired) await this.listener?.revoked(retired);
    await this.listener?.added(response, token);
    const command_key = await this.commandKeys?.publicKey(response.org_id);
    return { ...response, ...(command_key ? { command_key } : {}), cloud_time: new Date().toISOString() };
  }

  /** Who a bearer token belongs to, or undefined for unknown, revoked or decommissioned. */
  async authenticate(token: string): Promise<DeviceIdentity | undefined> {
    const row = await this.database.asService((tx) => deviceRepository.findByCredential(tx, token));
    if (row?.credential_status !== "active" || row.status === "decommissioned" || !row.cabinet_id)
      return undefined;
    return {
      device_id: row.device_id,
      org_id: row.org_id,
      thing_name: row.thing_name,
      cabinet_id: row.cabinet_id,
    };
  }

  /**
   * Revokes the device's credentials; its live MQTT sessions are closed.
   * @param orgId when given, the device must belong to it (an admin acts within their organization)
   */
  async revoke(deviceId: string, orgId?: string, by?: string): Promise<void> {
    const identity = await this.identity(deviceId, orgId);
    const revoked = await this.database.asService(async (tx) => {
      const ids = await deviceRepository.revokeCredentials(tx, deviceId);
      await audit(tx, identity.org_id, by, "device_credential_revoked", { device_id: deviceId });
      return ids;
    });
    this.announce(revoked);
    await this.listener?.revoked(identity);
  }

  /**
   * Retires a device for good: its credentials are revoked, it is refused on every route and topic, and
   * only an administrator's re-claim approval brings the board back.
   */
  async decommission(deviceId: string, orgId?: string, by?: string): Promise<void> {
    const identity = await this.identity(deviceId, orgId);
    const revoked = await this.database.asService(async (tx) => {
      await deviceRepository.update(tx, deviceId, {
        status: "decommissioned",
        decommissioned_at: new Date(),
        reclaim_approved_until: null,
        reclaim_approved_by: null,
        updated_at: new Date(),
      });
      const ids = await deviceRepository.revokeCredentials(tx, deviceId);
      await audit(tx, identity.org_id, by, "device_decommissioned", { device_id: deviceId });
      return ids;
    });
    this.announce(revoked);
    await this.listener?.revoked(identity);
  }

  /**
   * Lets the next claim with this device's serial number take it over without its credential (a board
   * that lost its identity file), for `ttlMs`. Recorded as a security event.
   */
  async approveReclaim(
    ref: { device_id?: string; serial_number?: string },
    orgId?: string,
    by?: string,
    ttlMs = RECLAIM_APPROVAL_TTL_MS,
  ): Promise<{ device_id: string; serial_number: string; reclaim_approved_until: Date }> {
    const byId = ref.device_id !== undefined;
    const d =
      byId && !z.uuid().safeParse(ref.device_id).success
        ? undefined
        : await this.database.asService((tx) =>
            byId
              ? deviceRepository.findById(tx, ref.device_id!)
              : deviceRepository.findBySerial(tx, ref.serial_number ?? ""),
          );
    const what = byId ? `device ${ref.device_id}` : `serial number ${ref.serial_number}`;
    if (!d || (orgId && d.org_id !== orgId))
      throw new AppError("not_found", orgId ? `no ${what} in organization ${orgId}` : `no ${what}`);
    const until = new Date(Date.now() + ttlMs);
    await this.database.asService(async (tx) => {
      await deviceRepository.update(tx, d.device_id, {
        reclaim_approved_until: until,
        reclaim_approved_by: by ?? null,
      });
      await audit(tx, d.org_id, by, "device_reclaim_approved", {
        device_id: d.device_id,
        serial_number: d.device_serial_number,
        until: until.toISOString(),
      });
    });
    return { device_id: d.device_id, serial_number: d.device_serial_number, reclaim_approved_until: until };
  }

  /** Makes unused claim tokens unusable: one by value or id, or every open one of a cabinet. */
  async revokeClaimToken(orgId: string, input: unknown, by?: string): Promise<{ revoked: number }> {
    const ref = parseInput(ClaimTokenRef, input);
    return this.database.asService(async (tx) => {
      const rows = await claimTokenRepository.lockInOrganization(
        tx,
        orgId,
        ref.claim_token
          ? { claim_token: ref.claim_token }
          : ref.token_id
            ? { token_id: ref.token_id }
            : { cabinet_id: ref.cabinet_id! },
      );
      if (!ref.cabinet_id) {
        if (!rows[0]) throw new AppError("not_found", `no such claim token in organization ${orgId}`);
        if (rows[0].used_at)
          throw new AppError(
            "conflict",
            "claim token already used: revoke or decommission the device instead",
          );
      }
      const open = rows.filter((r) => !r.used_at && !r.revoked_at).map((r) => r.token_id);
      if (open.length === 0) return { revoked: 0 };
      await claimTokenRepository.revoke(tx, open, by ?? null);
      await audit(tx, orgId, by, "claim_token_revoked", { token_ids: open, cabinet_id: rows[0]!.cabinet_id });
      return { revoked: open.length };
    });
  }

  /**
   * Closes live sessions of devices whose credential another process (the `lilo` CLI, another cloud
   * instance) revoked or replaced in the last minute: the embedded broker hears of it only this way.
   * Run every few seconds; changes made through this instance were announced already and are skipped.
   */
  async sweepRevocations(): Promise<number> {
    if (!this.listener) return 0;
    const rows = await this.database.asService((tx) => deviceRepository.revokedWithin(tx, SWEEP_LOOKBACK_S));
    const now = Date.now();
    for (const [id, at] of this.announced) {
      if (now - at > 2 * SWEEP_LOOKBACK_S * 1000) this.announced.delete(id);
    }
    const devices = new Map<string, { identity: DeviceIdentity; replaced: boolean }>();
    for (const r of rows) {
      if (this.announced.has(r.credential_id)) continue;
      this.announced.set(r.credential_id, now);
      const replaced = Boolean(r.has_active) && r.device.status !== "decommissioned";
      devices.set(r.device.device_id, { identity: identityOf(r.device), replaced });
    }
    for (const { identity, replaced } of devices.values()) {
      if (replaced) await this.listener.disconnect?.(identity);
      else await this.listener.revoked(identity);
    }
    return devices.size;
  }

  /** A fresh credential for the device; the old one stops working at once, its live sessions are closed. */
  async rotate(deviceId: string, orgId?: string, by?: string): Promise<string> {
    const identity = await this.identity(deviceId, orgId);
    const token = newToken("lilo_dev");
    const revoked = await this.database.asService(async (tx) => {
      const d = await deviceRepository.lockById(tx, deviceId);
      if (d?.status === "decommissioned")
        throw new AppError("conflict", `device ${deviceId} is decommissioned: re-claim it instead`);
      const ids = await deviceRepository.revokeCredentials(tx, deviceId);
      await deviceRepository.addCredential(tx, { device_id: deviceId, org_id: identity.org_id }, token);
      await audit(tx, identity.org_id, by, "device_credential_rotated", { device_id: deviceId });
      return ids;
    });
    this.announce(revoked);
    await this.listener?.revoked(identity);
    await this.listener?.added(identity, token);
    return token;
  }

  private async identity(deviceId: string, orgId?: string): Promise<DeviceIdentity> {
    const d = z.uuid().safeParse(deviceId).success
      ? await this.database.asService((tx) => deviceRepository.findById(tx, deviceId))
      : undefined;
    // Another organization's device answers exactly like a missing one.
    if (!d || (orgId && d.org_id !== orgId))
      throw new AppError(
        "not_found",
        orgId ? `no device ${deviceId} in organization ${orgId}` : `no device ${deviceId}`,
      );
    return identityOf(d);
  }

  private announce(credentialIds: string[]): void {
    const now = Date.now();
    for (const id of credentialIds) this.announced.set(id, now);
  }
}

/** The claim token, locked for this claim, if it can still be used. */
async function openClaim(tx: Tx, claimToken: string): Promise<ClaimToken> {
  const claim = await claimTokenRepository.lockByValue(tx, claimToken);
  if (!claim) throw new AppError("unauthorized", "unknown claim token");
  if (claim.used_at)
    throw new AppError("conflict", "claim token already used: ask your administrator for a new one");
  if (claim.revoked_at)
    throw new AppError("unauthorized", "claim token revoked: ask your administrator for a new one");
  if (claim.expires_at.getTime() < Date.now())
    throw new AppError("unauthorized", "claim token expired: ask your administrator for a new one");
  return claim;
}

/**
 * How a claim may take over a registered serial number. A serial number is only a claim, not a proof:
 * it needs the device's current credential or an admin's approval, and never crosses organizations.
 */
async function reclaimProof(
  tx: Tx,
  known: Device,
  orgId: string,
  req: ClaimRequest,
): Promise<"credential" | "approval"> {
  if (known.org_id !== orgId) throw new AppError("conflict", REGISTERED_SERIAL(req.serial_number));
  const proven =
    req.device_credential !== undefined &&
    (await deviceRepository.hasActiveCredential(tx, known.device_id, req.device_credential));
  if (proven && known.status !== "decommissioned") return "credential";
  if ((known.reclaim_approved_until?.getTime() ?? 0) > Date.now()) return "approval";
  throw new AppError("conflict", REGISTERED_SERIAL(req.serial_number));
}

/**
 * The claiming device's row: a new one, or the registered one of this serial number taken over (its
 * credentials revoked). A controller claimed before (re-flashed, lost its identity file) keeps its device
 * id, and with it its upload position.
 */
async function register(
  tx: Tx,
  req: ClaimRequest,
  token: string,
  orgId: string,
  cab: PlacedCabinet,
  known: Device | undefined,
): Promise<{ deviceId: string; thing: string; revokedIds: string[] }> {
  const device = {
    hardware_version: req.hardware_version,
    firmware_version: req.firmware_version,
    iot_certificate_id: token.slice(0, 16),
    status: "active" as const,
    assigned_cabinet_id: cab.cabinet_id,
    activated_at: new Date(),
    updated_at: new Date(),
  };
  if (!known) {
    const deviceId = randomUUID();
    const thing = `lilo-${deviceId.slice(0, 8)}`;
    await deviceRepository.insert(tx, {
      ...device,
      device_id: deviceId,
      org_id: orgId,
      device_serial_number: req.serial_number,
      iot_thing_name: thing,
    });
    return { deviceId, thing, revokedIds: [] };
  }
  const provenBy = await reclaimProof(tx, known, orgId, req);
  await deviceRepository.update(tx, known.device_id, {
    ...device,
    reclaim_approved_until: null,
    reclaim_approved_by: null,
    decommissioned_at: null,
  });
  const revokedIds = await deviceRepository.revokeCredentials(tx, known.device_id);
  await audit(tx, orgId, undefined, "device_reclaimed", {
    device_id: known.device_id,
    serial_number: req.serial_number,
    cabinet_id: cab.cabinet_id,
    previous_cabinet_id: known.assigned_cabinet_id,
    proven_by: provenBy,
  });
  return { deviceId: known.device_id, thing: known.iot_thing_name, revokedIds };
}

/** A cabinet has one device: a claim by another one (a replacement controller) retires the old one. */
async function retireReplaced(
  tx: Tx,
  cab: PlacedCabinet,
  deviceId: string,
): Promise<{ identity?: DeviceIdentity; revokedIds: string[] }> {
  if (!cab.device_id || cab.device_id === deviceId) return { revokedIds: [] };
  const old = await deviceRepository.update(tx, cab.device_id, {
    status: "decommissioned",
    decommissioned_at: new Date(),
    updated_at: new Date(),
  });
  const revokedIds = await deviceRepository.revokeCredentials(tx, cab.device_id);
  return { identity: old ? identityOf(old) : undefined, revokedIds };
}

function identityOf(d: Device): DeviceIdentity {
  return {
    device_id: d.device_id,
    org_id: d.org_id,
    thing_name: d.iot_thing_name,
    cabinet_id: d.assigned_cabinet_id ?? "",
  };
}

/** A credential lifecycle step in the platform's security log. */
function audit(
  tx: Tx,
  orgId: string,
  userId: string | undefined,
  type: string,
  data: Record<string, unknown>,
): Promise<void> {
  return systemEventRepository.record(tx, {
    org_id: orgId,
    user_id: userId ?? null,
    event_type: type,
    event_category: "security",
    severity: "warning",
    event_data: data,
  });
}

/**
 * The tenant's master key for badge/PIN hashes, created on first use; it never leaves the cloud, each
 * cabinet gets `cabinetKey(master, cabinet_id)`. Runs in the caller's tenant transaction.
 */
export async function credentialSecret(tx: Tx): Promise<string> {
  const existing = await tenantSettingRepository.get(tx, "credential_secret");
  if (existing !== undefined) return existing;
  await tenantSettingRepository.insertIfAbsent(tx, "credential_secret", newToken("lilo_key", 24));
  // A concurrent first use may have won the insert: its key is the one.
  return (await tenantSettingRepository.get(tx, "credential_secret"))!;
}
