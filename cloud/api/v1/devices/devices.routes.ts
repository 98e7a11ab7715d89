// Devices (the cabinets' controllers) and claim tokens: list and read them, issue a claim token for a
// cabinet (shown once), revoke tokens, and revoke, rotate, decommission, command or approve the re-claim
// of a device. Each needs device:manage where the device's cabinet sits (an unlock also cabinet:open).
import { createRoute, z } from "@hono/zod-openapi";
import { ACK_STATUSES } from "../../../../shared/mqtt/topics.js";
import type { AccessService } from "../../../authz/access.service.js";
import {
  CLAIM_TOKEN_STATES,
  CommandInput,
  type DeviceAdminService,
} from "../../../devices/device-admin.service.js";
import { ClaimTokenRef } from "../../../devices/provisioning.service.js";
import {
  CONFLICT_RESPONSE,
  createApiRouter,
  ERROR_RESPONSES,
  json,
  jsonBody,
  OrgParams,
  PageQuery,
  pageSchema,
  RevokedCount,
  SECURITY,
  Timestamp,
  Uuid,
} from "../openapi.js";

const Device = z
  .object({
    device_id: z.uuid(),
    serial_number: z.string(),
    thing_name: z.string(),
    device_type: z.string(),
    status: z.string().nullable().openapi({ description: "provisioned, active, offline or decommissioned" }),
    online: z.boolean().openapi({ description: "connected to the broker now" }),
    cabinet_id: z.uuid().nullable(),
    cabinet_name: z.string().nullable(),
    cabinet_code: z.string().nullable(),
    hardware_version: z.string().nullable(),
    firmware_version: z.string().nullable().openapi({
      description:
        "the image version (LILO_IMAGE_VERSION) on a cabinet running the built image, else the appliance's",
    }),
    last_seen_at: Timestamp.openapi({ description: "last contact: presence or telemetry" }),
    last_heartbeat_at: Timestamp,
    activated_at: Timestamp,
    decommissioned_at: Timestamp,
    reclaim_approved_until: Timestamp,
    created_at: Timestamp,
  })
  .openapi("Device");

const ClaimToken = z
  .object({
    token_id: z.uuid(),
    org_id: z.uuid(),
    cabinet_id: z.uuid(),
    cabinet_name: z.string().nullable(),
    state: z.enum(CLAIM_TOKEN_STATES),
    created_by: z.uuid().nullable(),
    created_at: Timestamp,
    expires_at: Timestamp,
    used_at: Timestamp,
    used_by_device_id: z.uuid().nullable(),
    revoked_at: Timestamp,
    revoked_by: z.uuid().nullable(),
  })
  .openapi("ClaimToken");

const IssuedClaimToken = z
  .object({
    token_id: z.uuid(),
    claim_token: z.string().openapi({ description: "the token itself: shown in this answer only" }),
    expires_at: Timestamp,
  })
  .openapi("IssuedClaimToken");

const CommandOutcome = z
  .object({
    status: z.enum([...ACK_STATUSES, "awaiting_second_approval"]),
    id: z.uuid().optional(),
    detail: z.string().optional(),
    at: z.string().optional(),
    approved_by: z.array(z.uuid()).optional(),
    expires_at: z.string().optional(),
  })
  .openapi("CommandOutcome");

const DeviceParams = OrgParams.extend({ device: Uuid("device") });
const CabinetParams = OrgParams.extend({ cabinet: Uuid("cabinet") });
const tags = ["Devices and claim tokens"];
const NO_CONTENT = { 204: { description: "done" } } as const;

export function deviceRoutes(deps: { access: AccessService; devices: DeviceAdminService }) {
  const { access, devices } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/devices",
      tags,
      summary: "Devices with their status, last contact, cabinet and image version, newest first",
      security: SECURITY,
      request: { params: OrgParams, query: PageQuery },
      responses: { 200: json(pageSchema(Device, "DevicePage"), "a page of devices"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await devices.list(a, c.req.valid("query"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/devices/{device}",
      tags,
      summary: "One device",
      security: SECURITY,
      request: { params: DeviceParams },
      responses: { 200: json(Device, "the device"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, device } = c.req.valid("param");
      return c.json((await devices.get(await access.forOrg(c.get("caller"), org), device)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/claim-tokens",
      tags,
      summary: "Claim tokens (never the tokens themselves) with their state: issued, used, revoked, expired",
      security: SECURITY,
      request: { params: OrgParams, query: PageQuery },
      responses: {
        200: json(pageSchema(ClaimToken, "ClaimTokenPage"), "a page of claim tokens"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await devices.claimTokens(a, c.req.valid("query"))) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/cabinets/{cabinet}/claim-tokens",
      tags,
      summary: "Issue a one-time claim token for a cabinet (valid 7 days); the answer shows it once",
      security: SECURITY,
      request: { params: CabinetParams },
      responses: { 201: json(IssuedClaimToken, "the token"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, cabinet } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await devices.issueClaimToken(a, cabinet)) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/claim-tokens/revoke",
      tags,
      summary: "Revoke an unused claim token (by token_id or value), or every open token of a cabinet",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(ClaimTokenRef) },
      responses: {
        200: json(RevokedCount, "how many were revoked"),
        ...ERROR_RESPONSES,
        ...CONFLICT_RESPONSE,
      },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      return c.json((await devices.revokeClaimTokens(a, c.req.valid("json"))) as never, 200);
    },
  );

  const deviceAction = (action: "revoke" | "decommission", summary: string) =>
    app.openapi(
      createRoute({
        method: "post",
        path: `/orgs/{org}/devices/{device}/${action}`,
        tags,
        summary,
        security: SECURITY,
        request: { params: DeviceParams },
        responses: { ...NO_CONTENT, ...ERROR_RESPONSES },
      }),
      async (c) => {
        const { org, device } = c.req.valid("param");
        await devices[action](await access.forOrg(c.get("caller"), org), device);
        return c.body(null, 204);
      },
    );
  deviceAction("revoke", "Revoke the device's credentials; its live sessions close at once");
  deviceAction("decommission", "Retire the device for good: refused everywhere until an approved re-claim");

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/devices/{device}/rotate",
      tags,
      summary: "A fresh credential for the device (shown once); the old one stops working at once",
      security: SECURITY,
      request: { params: DeviceParams },
      responses: {
        200: json(z.object({ credential: z.string() }).openapi("RotatedCredential"), "the new credential"),
        ...ERROR_RESPONSES,
        ...CONFLICT_RESPONSE,
      },
    }),
    async (c) => {
      const { org, device } = c.req.valid("param");
      return c.json((await devices.rotate(await access.forOrg(c.get("caller"), org), device)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/devices/{device}/approve-reclaim",
      tags,
      summary: "Let the next claim with this device's serial number take it over (for an hour)",
      security: SECURITY,
      request: { params: DeviceParams },
      responses: {
        200: json(
          z
            .object({ device_id: z.uuid(), serial_number: z.string(), reclaim_approved_until: Timestamp })
            .openapi("ReclaimApproval"),
          "the approval",
        ),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org, device } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      return c.json((await devices.approveReclaim(a, device)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/devices/{device}/commands",
      tags,
      summary:
        "Send a signed command (scan_now, sync_now, unlock with params.user_id) and wait for the cabinet's answer",
      security: SECURITY,
      request: { params: DeviceParams, body: jsonBody(CommandInput) },
      responses: {
        200: json(CommandOutcome, "the cabinet's answer"),
        202: json(CommandOutcome, "a dual-approval unlock waits for a second, different person"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const { org, device } = c.req.valid("param");
      const a = await access.forOrg(c.get("caller"), org);
      const outcome = await devices.command(a, device, c.req.valid("json"));
      return c.json(outcome as never, outcome.status === "awaiting_second_approval" ? 202 : 200);
    },
  );

  return app;
}
