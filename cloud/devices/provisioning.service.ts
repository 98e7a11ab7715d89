// Provisioning: an org admin issues a one-time claim token for a cabinet; the cabinet claims itself
// with it and receives its own credential. Credentials can be revoked and rotated.
import { randomUUID } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { cabinetKey } from "../../shared/credential-hash.js";
import { AppError, validationError } from "../../shared/errors.js";
import { claimTokens, deviceCredentials, iotDevices } from "../../shared/schema/platform.js";
import { cabinets, laboratories, tenantSettings } from "../../shared/schema/tenant.js";
import { newToken, sha256 } from "../../shared/tokens.js";
import { type Database, quoteIdent } from "../db/database.js";
import { tenantSchemaName } from "../db/names.js";
import type { CommandKeyService } from "../fleet/command-key.service.js";

export const CLAIM_TOKEN_TTL_MS = 7 * 24 * 3600_000;

export interface DeviceIdentity {
  device_id: string;
  org_id: string;
  thing_name: string;
  cabinet_id: string;
}

export const ClaimRequest = z.object({
  claim_token: z.string().min(10).max(200),
  serial_number: z.string().trim().min(1).max(100),
  hardware_version: z.string().max(50).optional(),
  firmware_version: z.string().max(50).optional(),
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
  revoked(identity: DeviceIdentity): Promise<void>;
}

export class ProvisioningService {
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
  ): Promise<{ claim_token: string; expires_at: Date }> {
    const exists = await this.database
      .withTenant(orgId, (tx) =>
        tx.select({ id: cabinets.cabinet_id }).from(cabinets).where(eq(cabinets.cabinet_id, cabinetId)),
      )
      .catch(() => []);
    if (exists.length === 0)
      throw new AppError("not_found", `no cabinet ${cabinetId} in organization ${orgId}`);
    const token = newToken("lilo_claim", 24);
    const expires_at = new Date(Date.now() + CLAIM_TOKEN_TTL_MS);
    await this.database.asService((tx) =>
      tx.insert(claimTokens).values({
        org_id: orgId,
        cabinet_id: cabinetId,
        token_hash: sha256(token),
        created_by: createdBy,
        expires_at,
      }),
    );
    return { claim_token: token, expires_at };
  }

  /** The cabinet's side: trade a claim token for a device identity and credential. */
  async claim(input: unknown): Promise<ClaimResponse> {
    const parsed = ClaimRequest.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error.issues);
    const req = parsed.data;
    const token = newToken("lilo_dev");
    // Platform rows and the tenant's cabinet binding change together or not at all.
    const result = await this.database.asOwner(async (tx) => {
      const [claim] = await tx
        .select()
        .from(claimTokens)
        .where(eq(claimTokens.token_hash, sha256(req.claim_token)))
        .for("update");
      if (!claim) throw new AppError("unauthorized", "unknown claim token");
      if (claim.used_at)
        throw new AppError("conflict", "claim token already used: ask your administrator for a new one");
      if (claim.expires_at.getTime() < Date.now())
        throw new AppError("unauthorized", "claim token expired: ask your administrator for a new one");
      const schema = quoteIdent(tenantSchemaName(claim.org_id));
      await tx.execute(sql.raw(`SET LOCAL search_path TO ${schema}, lilo_platform`));
      const [cab] = await tx
        .select({
          cabinet_id: cabinets.cabinet_id,
          lab_id: cabinets.lab_id,
          dept_id: laboratories.dept_id,
          device_id: cabinets.device_id,
        })
        .from(cabinets)
        .innerJoin(laboratories, eq(laboratories.lab_id, cabinets.lab_id))
        .where(eq(cabinets.cabinet_id, claim.cabinet_id));
      if (!cab) throw new AppError("not_found", "the cabinet of this claim token no longer exists");
      // A controller that was claimed before (re-flashed, lost its identity file) keeps its device id,
      // and with it its upload position; one registered to another organization is refused.
      const [known] = await tx
        .select()
        .from(iotDevices)
        .where(eq(iotDevices.device_serial_number, req.serial_number));
      if (known && known.org_id !== claim.org_id) {
        throw new AppError(
          "conflict",
          `a device with serial number ${req.serial_number} is registered to another organization`,
        );
      }
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
        await tx.update(iotDevices).set(device).where(eq(iotDevices.device_id, deviceId));
        await tx
          .update(deviceCredentials)
          .set({ status: "revoked", revoked_at: new Date() })
          .where(and(eq(deviceCredentials.device_id, deviceId), eq(deviceCredentials.status, "active")));
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
      if (cab.device_id && cab.device_id !== deviceId) {
        await tx
          .update(iotDevices)
          .set({ status: "decommissioned", updated_at: new Date() })
          .where(eq(iotDevices.device_id, cab.device_id));
        await tx
          .update(deviceCredentials)
          .set({ status: "revoked", revoked_at: new Date() })
          .where(eq(deviceCredentials.device_id, cab.device_id));
      }
      await tx
        .update(cabinets)
        .set({ device_id: deviceId, updated_at: new Date() })
        .where(eq(cabinets.cabinet_id, cab.cabinet_id));
      // The cabinet's own key, never the tenant's master key (shared/credential-hash.ts).
      const secret = cabinetKey(await credentialSecret(tx), cab.cabinet_id);
      return {
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
    await this.listener?.added(result, token);
    const command_key = await this.commandKeys?.publicKey(result.org_id);
    return { ...result, ...(command_key ? { command_key } : {}), cloud_time: new Date().toISOString() };
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

  /** @param orgId when given, the device must belong to it (an admin acts within their organization) */
  async revoke(deviceId: string, orgId?: string): Promise<void> {
    const identity = await this.identity(deviceId);
    if (orgId && identity.org_id !== orgId)
      throw new AppError("not_found", `no device ${deviceId} in organization ${orgId}`);
    await this.database.asService((tx) =>
      tx
        .update(deviceCredentials)
        .set({ status: "revoked", revoked_at: new Date() })
        .where(and(eq(deviceCredentials.device_id, deviceId), eq(deviceCredentials.status, "active"))),
    );
    await this.listener?.revoked(identity);
  }

  /** A fresh credential for the device; the old one stops working at once. */
  async rotate(deviceId: string, orgId?: string): Promise<string> {
    const identity = await this.identity(deviceId);
    if (orgId && identity.org_id !== orgId)
      throw new AppError("not_found", `no device ${deviceId} in organization ${orgId}`);
    const token = newToken("lilo_dev");
    await this.database.asService(async (tx) => {
      await tx
        .update(deviceCredentials)
        .set({ status: "revoked", revoked_at: new Date() })
        .where(and(eq(deviceCredentials.device_id, deviceId), eq(deviceCredentials.status, "active")));
      await tx.insert(deviceCredentials).values({
        device_id: deviceId,
        org_id: identity.org_id,
        token_hash: sha256(token),
        token_prefix: token.slice(0, 12),
      });
    });
    await this.listener?.added(identity, token);
    return token;
  }

  private async identity(deviceId: string): Promise<DeviceIdentity> {
    const [d] = await this.database.asService((tx) =>
      tx.select().from(iotDevices).where(eq(iotDevices.device_id, deviceId)),
    );
    if (!d) throw new AppError("not_found", `no device ${deviceId}`);
    return {
      device_id: d.device_id,
      org_id: d.org_id,
      thing_name: d.iot_thing_name,
      cabinet_id: d.assigned_cabinet_id ?? "",
    };
  }
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
