// Provisioning: an org admin issues a one-time claim token for a cabinet; the cabinet claims itself
// with it and receives its own credential. Credentials can be revoked and rotated.
import { randomUUID } from "node:crypto";
import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { cabinetKey } from "../../shared/credential-hash.js";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { AppError, validationError } from "../../shared/errors.js";
import { systemEvents } from "../../shared/schema/partitioned.js";
import { claimTokens, deviceCredentials, iotDevices } from "../../shared/schema/platform.js";
import { cabinets, laboratories, tenantSettings } from "../../shared/schema/tenant.js";
import { newToken, sha256 } from "../../shared/tokens.js";
import { type Database, type Tx, withinTenant } from "../db/database.js";
import type { CommandKeyService } from "../fleet/command-key.service.js";

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
    const exists = await this.database
      .withTenant(orgId, (tx) =>
        tx.select({ id: cabinets.cabinet_id }).from(cabinets).where(eq(cabinets.cabinet_id, cabinetId)),
      )
      .catch(() => []);
    if (exists.length === 0)
      throw new AppError("not_found", `no cabinet ${cabinetId} in organization ${orgId}`);
    const token = newToken("lilo_claim", 24);
    const expires_at = new Date(Date.now() + CLAIM_TOKEN_TTL_MS);
    const [row] = await this.database.asService((tx) =>
      tx
        .insert(claimTokens)
        .values({
          org_id: orgId,
          cabinet_id: cabinetId,
          token_hash: sha256(token),
          created_by: createdBy,
          expires_at,
        })
        .returning({ token_id: claimTokens.token_id }),
    );
    return { claim_token: token, token_id: row!.token_id, expires_at };
  }

  /** The cabinet's side: trade a claim token for a device identity and credential. */
  async claim(input: unknown): Promise<ClaimResponse> {
    const parsed = ClaimRequest.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error.issues);
    const req = parsed.data;
    const token = newToken("lilo_dev");
    // Platform rows and the tenant's cabinet binding change together or not at all; an unauthenticated
    // caller gets lilo_service (and the claimed tenant's role below), never the owner.
    const result = await this.database.asService(async (tx) => {
      const [claim] = await tx
        .select()
        .from(claimTokens)
        .where(eq(claimTokens.token_hash, sha256(req.claim_token)))
        .for("update");
      if (!claim) throw new AppError("unauthorized", "unknown claim token");
      if (claim.used_at)
        throw new AppError("conflict", "claim token already used: ask your administrator for a new one");
      if (claim.revoked_at)
        throw new AppError("unauthorized", "claim token revoked: ask your administrator for a new one");
      if (claim.expires_at.getTime() < Date.now())
        throw new AppError("unauthorized", "claim token expired: ask your administrator for a new one");
      const [cab] = await withinTenant(tx, claim.org_id, (t) =>
        t
          .select({
            cabinet_id: cabinets.cabinet_id,
            lab_id: cabinets.lab_id,
            dept_id: laboratories.dept_id,
            device_id: cabinets.device_id,
          })
          .from(cabinets)
          .innerJoin(laboratories, eq(laboratories.lab_id, cabinets.lab_id))
          .where(eq(cabinets.cabinet_id, claim.cabinet_id)),
      );
      if (!cab) throw new AppError("not_found", "the cabinet of this claim token no longer exists");
      // A controller that was claimed before (re-flashed, lost its identity file) keeps its device id,
      // and with it its upload position. A serial number is only a claim, not a proof: taking a registered
      // device over needs its current credential or an admin's approval, and never crosses organizations.
      const [known] = await tx
        .select()
        .from(iotDevices)
        .where(eq(iotDevices.device_serial_number, req.serial_number))
        .for("update");
      let reclaimedBy: "credential" | "approval" | undefined;
      if (known) {
        if (known.org_id !== claim.org_id)
          throw new AppError("conflict", REGISTERED_SERIAL(req.serial_number));
        const [proof] = req.device_credential
          ? await tx
              .select({ id: deviceCredentials.credential_id })
              .from(deviceCredentials)
              .where(
                and(
                  eq(deviceCredentials.device_id, known.device_id),
                  eq(deviceCredentials.token_hash, sha256(req.device_credential)),
                  eq(deviceCredentials.status, "active"),
                ),
              )
          : [];
        if (proof && known.status !== "decommissioned") reclaimedBy = "credential";
        else if ((known.reclaim_approved_until?.getTime() ?? 0) > Date.now()) reclaimedBy = "approval";
        else throw new AppError("conflict", REGISTERED_SERIAL(req.serial_number));
      }
      const revokedIds: string[] = [];
      const deviceId = known?.device_id ?? randomUUID();
      const thing = known?.iot_thing_name ?? `lilo-${deviceId.slice(0, 8)}`;
      const device = {
        hardware_version: req.hardware_version,
        firmware_version: req.firmware_version,
        iot_certificate_id: token.slice(0, 16),
        status: "active" as const,
        assigned_cabinet_id: cab.cabinet_id,
        activated_at: new Date(),
        updated_at: new Date(),
      };
      if (known) {
        await tx
          .update(iotDevices)
          .set({
            ...device,
            reclaim_approved_until: null,
            reclaim_approved_by: null,
            decommissioned_at: null,
          })
          .where(eq(iotDevices.device_id, deviceId));
        revokedIds.push(...(await revokeCredentials(tx, deviceId)));
        await audit(tx, claim.org_id, undefined, "device_reclaimed", {
          device_id: deviceId,
          serial_number: req.serial_number,
          cabinet_id: cab.cabinet_id,
          previous_cabinet_id: known.assigned_cabinet_id,
          proven_by: reclaimedBy,
        });
      } else {
        await tx.insert(iotDevices).values({
          ...device,
          device_id: deviceId,
          org_id: claim.org_id,
          device_serial_number: req.serial_number,
          iot_thing_name: thing,
        });
      }
      await tx.insert(deviceCredentials).values({
        device_id: deviceId,
        org_id: claim.org_id,
        token_hash: sha256(token),
        token_prefix: token.slice(0, 12),
      });
      await tx
        .update(claimTokens)
        .set({ used_at: new Date(), used_by_device_id: deviceId })
        .where(and(eq(claimTokens.token_id, claim.token_id), isNull(claimTokens.used_at)));
      // A cabinet has one device: a re-claim (replacement controller) retires the old one.
      let retired: DeviceIdentity | undefined;
      if (cab.device_id && cab.device_id !== deviceId) {
        const [old] = await tx
          .update(iotDevices)
          .set({ status: "decommissioned", decommissioned_at: new Date(), updated_at: new Date() })
          .where(eq(iotDevices.device_id, cab.device_id))
          .returning();
        revokedIds.push(...(await revokeCredentials(tx, cab.device_id)));
        if (old) retired = identityOf(old);
      }
      const secret = await withinTenant(tx, claim.org_id, async (t) => {
        await t
          .update(cabinets)
          .set({ device_id: deviceId, updated_at: new Date() })
          .where(eq(cabinets.cabinet_id, cab.cabinet_id));
        // The cabinet's own key, never the tenant's master key (shared/credential-hash.ts).
        return cabinetKey(await credentialSecret(t), cab.cabinet_id);
      });
      const previous = known ? identityOf(known) : undefined;
      return {
        previous,
        retired,
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
    const [row] = await this.database.asService((tx) =>
      tx
        .select({
          device_id: iotDevices.device_id,
          org_id: iotDevices.org_id,
          thing_name: iotDevices.iot_thing_name,
          cabinet_id: iotDevices.assigned_cabinet_id,
          status: iotDevices.status,
          cred: deviceCredentials.status,
        })
        .from(deviceCredentials)
        .innerJoin(iotDevices, eq(iotDevices.device_id, deviceCredentials.device_id))
        .where(eq(deviceCredentials.token_hash, sha256(token))),
    );
    if (row?.cred !== "active" || row.status === "decommissioned" || !row.cabinet_id) return undefined;
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
      const ids = await revokeCredentials(tx, deviceId);
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
      await tx
        .update(iotDevices)
        .set({
          status: "decommissioned",
          decommissioned_at: new Date(),
          reclaim_approved_until: null,
          reclaim_approved_by: null,
          updated_at: new Date(),
        })
        .where(eq(iotDevices.device_id, deviceId));
      const ids = await revokeCredentials(tx, deviceId);
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
    const [d] =
      byId && !z.uuid().safeParse(ref.device_id).success
        ? []
        : await this.database.asService((tx) =>
            tx
              .select()
              .from(iotDevices)
              .where(
                byId
                  ? eq(iotDevices.device_id, ref.device_id!)
                  : eq(iotDevices.device_serial_number, ref.serial_number ?? ""),
              ),
          );
    const what = byId ? `device ${ref.device_id}` : `serial number ${ref.serial_number}`;
    if (!d || (orgId && d.org_id !== orgId))
      throw new AppError("not_found", orgId ? `no ${what} in organization ${orgId}` : `no ${what}`);
    const until = new Date(Date.now() + ttlMs);
    await this.database.asService(async (tx) => {
      await tx
        .update(iotDevices)
        .set({ reclaim_approved_until: until, reclaim_approved_by: by ?? null })
        .where(eq(iotDevices.device_id, d.device_id));
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
    const parsed = ClaimTokenRef.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error.issues);
    const ref = parsed.data;
    return this.database.asService(async (tx) => {
      const match = ref.claim_token
        ? eq(claimTokens.token_hash, sha256(ref.claim_token))
        : ref.token_id
          ? eq(claimTokens.token_id, ref.token_id)
          : eq(claimTokens.cabinet_id, ref.cabinet_id!);
      const rows = await tx
        .select()
        .from(claimTokens)
        .where(and(match, eq(claimTokens.org_id, orgId)))
        .for("update");
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
      await tx
        .update(claimTokens)
        .set({ revoked_at: new Date(), revoked_by: by ?? null })
        .where(inArray(claimTokens.token_id, open));
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
    const rows = await this.database.asService((tx) =>
      tx
        .select({
          credential_id: deviceCredentials.credential_id,
          device: iotDevices,
          has_active: sql<boolean>`exists (select 1 from ${deviceCredentials} a where a.device_id = ${iotDevices.device_id} and a.status = 'active')`,
        })
        .from(deviceCredentials)
        .innerJoin(iotDevices, eq(iotDevices.device_id, deviceCredentials.device_id))
        .where(
          and(
            eq(deviceCredentials.status, "revoked"),
            gt(deviceCredentials.revoked_at, sql`now() - make_interval(secs => ${SWEEP_LOOKBACK_S})`),
          ),
        ),
    );
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
      const [d] = await tx
        .select({ status: iotDevices.status })
        .from(iotDevices)
        .where(eq(iotDevices.device_id, deviceId))
        .for("update");
      if (d?.status === "decommissioned")
        throw new AppError("conflict", `device ${deviceId} is decommissioned: re-claim it instead`);
      const ids = await revokeCredentials(tx, deviceId);
      await tx.insert(deviceCredentials).values({
        device_id: deviceId,
        org_id: identity.org_id,
        token_hash: sha256(token),
        token_prefix: token.slice(0, 12),
      });
      await audit(tx, identity.org_id, by, "device_credential_rotated", { device_id: deviceId });
      return ids;
    });
    this.announce(revoked);
    await this.listener?.revoked(identity);
    await this.listener?.added(identity, token);
    return token;
  }

  private async identity(deviceId: string, orgId?: string): Promise<DeviceIdentity> {
    const [d] = z.uuid().safeParse(deviceId).success
      ? await this.database.asService((tx) =>
          tx.select().from(iotDevices).where(eq(iotDevices.device_id, deviceId)),
        )
      : [];
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

function identityOf(d: typeof iotDevices.$inferSelect): DeviceIdentity {
  return {
    device_id: d.device_id,
    org_id: d.org_id,
    thing_name: d.iot_thing_name,
    cabinet_id: d.assigned_cabinet_id ?? "",
  };
}

/** Revokes the device's active credentials; returns their ids. revoked_at is the database's clock. */
async function revokeCredentials(tx: Tx, deviceId: string): Promise<string[]> {
  const rows = await tx
    .update(deviceCredentials)
    .set({ status: "revoked", revoked_at: sql`now()` })
    .where(and(eq(deviceCredentials.device_id, deviceId), eq(deviceCredentials.status, "active")))
    .returning({ id: deviceCredentials.credential_id });
  return rows.map((r) => r.id);
}

/** A credential lifecycle step in the platform's security log. */
async function audit(
  tx: Tx,
  orgId: string,
  userId: string | undefined,
  type: string,
  data: Record<string, unknown>,
): Promise<void> {
  await tx.insert(systemEvents).values({
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
 * cabinet gets `cabinetKey(master, cabinet_id)`. Runs with search_path on the tenant.
 */
async function credentialSecret(tx: Parameters<Parameters<Database["asOwner"]>[0]>[0]): Promise<string> {
  const [row] = await tx.select().from(tenantSettings).where(eq(tenantSettings.key, "credential_secret"));
  if (row) return row.value;
  const value = newToken("lilo_key", 24);
  await tx.insert(tenantSettings).values({ key: "credential_secret", value }).onConflictDoNothing();
  const [again] = await tx.select().from(tenantSettings).where(eq(tenantSettings.key, "credential_secret"));
  return again!.value;
}

export { credentialSecret };
