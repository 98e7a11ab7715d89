// An organization's devices (the cabinets' controllers) and claim tokens over the API, for people and
// API keys alike: every decision is the authorization function's (device:manage where the device's
// cabinet sits; an unassigned device or token needs it organization-wide), every change goes through
// the provisioning and fleet services, the same path the CLI takes. Another organization's ids are
// not found.
import { z } from "zod";
import { AppError } from "../../shared/errors.js";
import type { AckMessage } from "../../shared/mqtt/topics.js";
import { COMMAND_NAMES } from "../../shared/mqtt/topics.js";
import type { Permission } from "../../shared/permissions.js";
import type { OrgAccess } from "../authz/access.service.js";
import type { Resource } from "../authz/authorize.js";
import { actingUserId } from "../authz/caller.middleware.js";
import type { Database, Tx } from "../db/database.js";
import { type CursorValue, decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import type { AwaitingApproval, FleetService } from "../fleet/fleet.service.js";
import { cabinetRepository } from "../orgs/cabinet.repository.js";
import { type ClaimTokenView, claimTokenOrder, claimTokenRepository } from "./claim-token.repository.js";
import { type CabinetFilter, type Device, deviceOrder, deviceRepository } from "./device.repository.js";
import type { ClaimTokenRef, ProvisioningService } from "./provisioning.service.js";

export const CommandInput = z
  .strictObject({
    command: z.enum(COMMAND_NAMES),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((v, ctx) => {
    if (v.command === "unlock" && typeof v.params.user_id !== "string") {
      ctx.addIssue({
        code: "custom",
        path: ["params", "user_id"],
        message: "unlock needs params.user_id: the person the cabinet opens for",
      });
    }
  });

export const CLAIM_TOKEN_STATES = ["issued", "used", "revoked", "expired"] as const;

export interface DeviceView {
  device_id: string;
  serial_number: string;
  thing_name: string;
  device_type: string;
  status: string | null;
  online: boolean;
  cabinet_id: string | null;
  cabinet_name: string | null;
  cabinet_code: string | null;
  hardware_version: string | null;
  firmware_version: string | null;
  last_seen_at: Date | null;
  last_heartbeat_at: Date | null;
  activated_at: Date | null;
  decommissioned_at: Date | null;
  reclaim_approved_until: Date | null;
  created_at: Date | null;
}

export interface ClaimTokenListed extends ClaimTokenView {
  state: (typeof CLAIM_TOKEN_STATES)[number];
  cabinet_name: string | null;
}

const noDevice = () => new AppError("not_found", "no such device in this organization");

export class DeviceAdminService {
  constructor(
    private readonly database: Database,
    private readonly provisioning: ProvisioningService,
    private readonly fleet: FleetService,
  ) {}

  async list(access: OrgAccess, page: PageRequest): Promise<Page<DeviceView>> {
    const p = await this.page(access, page, deviceRepository.list, (d) =>
      deviceOrder.key({ at: d.created_at, id: d.device_id }),
    );
    return { items: await this.views(access, p.items), next_cursor: p.next_cursor };
  }

  async get(access: OrgAccess, deviceId: string): Promise<DeviceView> {
    const d = await this.authorized(access, deviceId);
    return (await this.views(access, [d]))[0]!;
  }

  async claimTokens(access: OrgAccess, page: PageRequest): Promise<Page<ClaimTokenListed>> {
    const p = await this.page(access, page, claimTokenRepository.list, (t) =>
      claimTokenOrder.key({ at: t.created_at, id: t.token_id }),
    );
    const names = await this.cabinetNames(
      access,
      p.items.map((t) => t.cabinet_id),
    );
    const now = Date.now();
    return {
      items: p.items.map((t) => ({
        ...t,
        state: t.used_at
          ? "used"
          : t.revoked_at
            ? "revoked"
            : t.expires_at.getTime() <= now
              ? "expired"
              : "issued",
        cabinet_name: names.get(t.cabinet_id)?.cabinet_name ?? null,
      })),
      next_cursor: p.next_cursor,
    };
  }

  /** A one-time claim token for the cabinet; the token itself is in this answer only. */
  issueClaimToken(access: OrgAccess, cabinetId: string) {
    access.require("device:manage", access.cabinetResource(cabinetId));
    return this.provisioning.createClaimToken(access.org_id, cabinetId, actingUserId(access.caller));
  }

  /** Revokes one unused token (by value or id) or every open token of a cabinet. */
  async revokeClaimTokens(access: OrgAccess, ref: ClaimTokenRef): Promise<{ revoked: number }> {
    if (ref.cabinet_id) {
      access.require("device:manage", access.cabinetResource(ref.cabinet_id));
    } else {
      const token = await this.database.asService((tx) =>
        claimTokenRepository.findInOrganization(
          tx,
          access.org_id,
          ref.claim_token ? { claim_token: ref.claim_token } : { token_id: ref.token_id! },
        ),
      );
      if (!token) throw new AppError("not_found", "no such claim token in this organization");
      access.require("device:manage", cabinetOrOrg(access, token.cabinet_id));
    }
    return this.provisioning.revokeClaimToken(access.org_id, ref, actingUserId(access.caller));
  }

  async revoke(access: OrgAccess, deviceId: string): Promise<void> {
    await this.authorized(access, deviceId);
    await this.provisioning.revoke(deviceId, access.org_id, actingUserId(access.caller));
  }

  async decommission(access: OrgAccess, deviceId: string): Promise<void> {
    await this.authorized(access, deviceId);
    await this.provisioning.decommission(deviceId, access.org_id, actingUserId(access.caller));
  }

  /** A fresh credential (shown once); the old one stops working at once. */
  async rotate(access: OrgAccess, deviceId: string): Promise<{ credential: string }> {
    await this.authorized(access, deviceId);
    return {
      credential: await this.provisioning.rotate(deviceId, access.org_id, actingUserId(access.caller)),
    };
  }

  async approveReclaim(access: OrgAccess, deviceId: string) {
    await this.authorized(access, deviceId);
    return this.provisioning.approveReclaim(
      { device_id: deviceId },
      access.org_id,
      actingUserId(access.caller),
    );
  }

  /** A remote command; an unlock also needs cabinet:open there, as opening it in person would. */
  async command(
    access: OrgAccess,
    deviceId: string,
    input: z.infer<typeof CommandInput>,
  ): Promise<AckMessage | AwaitingApproval> {
    const d = await this.authorized(access, deviceId);
    if (input.command === "unlock") access.require("cabinet:open", resourceOf(access, d));
    return this.fleet.command(
      access.org_id,
      deviceId,
      input.command,
      input.params,
      actingUserId(access.caller),
    );
  }

  /** A page of the rows `list` finds on the cabinets where the caller holds device:manage. */
  private async page<T>(
    access: OrgAccess,
    page: PageRequest,
    list: (tx: Tx, orgId: string, only: CabinetFilter, limit: number, cursor?: CursorValue[]) => Promise<T[]>,
    keyOf: (row: T) => CursorValue[],
  ): Promise<Page<T>> {
    access.requireSomewhere("device:manage");
    const cursor = decodeCursor(page.cursor, 2);
    const only = allowed(access, "device:manage");
    const rows = await this.database.asService((tx) => list(tx, access.org_id, only, page.limit + 1, cursor));
    return pageOf(rows, page.limit, keyOf);
  }

  /** The organization's device, if the caller holds device:manage where it sits; 404 for another's. */
  private async authorized(access: OrgAccess, deviceId: string): Promise<Device> {
    const d = await this.database.asService((tx) =>
      deviceRepository.findInOrganization(tx, access.org_id, deviceId),
    );
    if (!d) throw noDevice();
    access.require("device:manage", resourceOf(access, d));
    return d;
  }

  private cabinetNames(access: OrgAccess, ids: (string | null)[]) {
    const known = [...new Set(ids)].filter((id): id is string => !!id && access.tree.cabinets.has(id));
    return this.database.withTenant(access.org_id, (tx) => cabinetRepository.names(tx, known));
  }

  private async views(access: OrgAccess, devices: Device[]): Promise<DeviceView[]> {
    const names = await this.cabinetNames(
      access,
      devices.map((d) => d.assigned_cabinet_id),
    );
    return devices.map((d) => {
      const cab = d.assigned_cabinet_id ? names.get(d.assigned_cabinet_id) : undefined;
      return {
        device_id: d.device_id,
        serial_number: d.device_serial_number,
        thing_name: d.iot_thing_name,
        device_type: d.device_type,
        status: d.status,
        online: d.status === "active",
        cabinet_id: d.assigned_cabinet_id,
        cabinet_name: cab?.cabinet_name ?? null,
        cabinet_code: cab?.cabinet_code ?? null,
        hardware_version: d.hardware_version,
        firmware_version: d.firmware_version,
        last_seen_at: d.last_seen_at,
        last_heartbeat_at: d.last_heartbeat_at,
        activated_at: d.activated_at,
        decommissioned_at: d.decommissioned_at,
        reclaim_approved_until: d.reclaim_approved_until,
        created_at: d.created_at,
      };
    });
  }
}

/** The cabinets whose rows a list may show: all of them with `permission` organization-wide. */
function allowed(access: OrgAccess, permission: Permission): CabinetFilter {
  return access.can(permission, access.orgResource()) ? "all" : access.cabinetsWhere(permission);
}

/** Where a thing of a cabinet sits: the cabinet, or the organization when it has none (or it is gone). */
function cabinetOrOrg(access: OrgAccess, cabinetId: string | null): Resource {
  return cabinetId && access.tree.cabinets.has(cabinetId)
    ? access.cabinetResource(cabinetId)
    : access.orgResource();
}

const resourceOf = (access: OrgAccess, d: Device): Resource => cabinetOrOrg(access, d.assigned_cabinet_id);
