// Org administration over the API (a signed-in owner, admin or manager): claim tokens and devices.
import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../shared/errors.js";
import { parseBody } from "../../shared/http/errors.js";
import { COMMAND_NAMES } from "../../shared/mqtt/topics.js";
import type { AccountService } from "../accounts/account.service.js";
import { ClaimTokenRef, type ProvisioningService } from "../devices/provisioning.service.js";
import type { FleetService } from "../fleet/fleet.service.js";
import { type CabinetService, CreateCabinetInput } from "../orgs/cabinet.service.js";
import { type CloudEnv, orgAdminAuth } from "./auth.middleware.js";

const Command = z.object({
  command: z.enum(COMMAND_NAMES),
  params: z.record(z.string(), z.unknown()).default({}),
});

export function orgRoutes(deps: {
  accounts: AccountService;
  provisioning: ProvisioningService;
  fleet: FleetService;
  cabinets: CabinetService;
}) {
  const { accounts, provisioning, fleet, cabinets } = deps;
  const admin = orgAdminAuth(accounts);
  return (
    new Hono<CloudEnv>()
      // Signs a member out everywhere at once: every session of theirs is refused from the next request.
      .post("/orgs/:org/users/:user/sessions/revoke", admin, async (c) =>
        c.json(
          await accounts.revokeMemberSessions(c.get("principal"), c.req.param("org"), c.req.param("user")),
        ),
      )
      .post("/orgs/:org/cabinets", admin, async (c) =>
        c.json(
          await cabinets.create(c.req.param("org"), await parseBody(c, CreateCabinetInput), {
            user_id: c.get("principal").user_id,
            name: c.get("principal").email,
          }),
          201,
        ),
      )
      .post("/orgs/:org/cabinets/:cabinet/claim-tokens", admin, async (c) =>
        c.json(
          await provisioning.createClaimToken(
            c.req.param("org"),
            c.req.param("cabinet"),
            c.get("principal").user_id,
          ),
          201,
        ),
      )
      .post("/orgs/:org/devices/:device/rotate", admin, async (c) =>
        c.json({
          credential: await provisioning.rotate(
            c.req.param("device"),
            c.req.param("org"),
            c.get("principal").user_id,
          ),
        }),
      )
      .post("/orgs/:org/devices/:device/commands", admin, async (c) => {
        const { command, params } = await parseBody(c, Command);
        if (command === "unlock" && typeof params.user_id !== "string") {
          throw new AppError(
            "validation_failed",
            "unlock needs params.user_id: the person the cabinet opens for",
            { "params.user_id": "required" },
          );
        }
        const outcome = await fleet.command(
          c.req.param("org"),
          c.req.param("device"),
          command,
          params,
          c.get("principal").user_id,
        );
        // 202: a dual-approval cabinet's unlock waits for a second, different person; nothing was sent.
        return c.json(outcome, outcome.status === "awaiting_second_approval" ? 202 : 200);
      })
      .post("/orgs/:org/devices/:device/revoke", admin, async (c) => {
        await provisioning.revoke(c.req.param("device"), c.req.param("org"), c.get("principal").user_id);
        return c.body(null, 204);
      })
      .post("/orgs/:org/devices/:device/decommission", admin, async (c) => {
        await provisioning.decommission(
          c.req.param("device"),
          c.req.param("org"),
          c.get("principal").user_id,
        );
        return c.body(null, 204);
      })
      .post("/orgs/:org/devices/:device/approve-reclaim", admin, async (c) =>
        c.json(
          await provisioning.approveReclaim(
            { device_id: c.req.param("device") },
            c.req.param("org"),
            c.get("principal").user_id,
          ),
        ),
      )
      .post("/orgs/:org/claim-tokens/revoke", admin, async (c) =>
        c.json(
          await provisioning.revokeClaimToken(
            c.req.param("org"),
            await parseBody(c, ClaimTokenRef),
            c.get("principal").user_id,
          ),
        ),
      )
  );
}
