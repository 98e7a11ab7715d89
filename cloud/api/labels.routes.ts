// Printing a container's label over the API (a signed-in owner, admin or manager of the organization).
// POST, not GET: every print is an audited event, so it is not safe to repeat or prefetch.
import { Hono } from "hono";
import type { AccountService } from "../accounts/account.service.js";
import { type LabelService, parseLabelOptions } from "../labels/label.service.js";
import { type CloudEnv, orgAdminAuth } from "./auth.middleware.js";
import { clientAddress } from "./client-address.js";
import { readJsonBody } from "./request-body.js";

const MAX_OPTIONS_BYTES = 16 * 1024;

/** `LILO:C:000001`, bottle, pdf → `label-LILO-C-000001-bottle.pdf`: safe on every file system. */
const fileName = (code: string, size: string, format: string) =>
  `label-${code.replace(/[^A-Za-z0-9._-]+/g, "-")}-${size}.${format}`;

export function labelRoutes(deps: { accounts: AccountService; labels: LabelService }) {
  const { accounts, labels } = deps;
  return new Hono<CloudEnv>().post(
    "/orgs/:org/containers/:container/label",
    orgAdminAuth(accounts),
    async (c) => {
      const org = c.req.param("org");
      const principal = c.get("principal");
      // No body at all means the defaults; a body must be a JSON object of options.
      const hasBody =
        Number(c.req.header("content-length") ?? 0) > 0 || c.req.header("transfer-encoding") !== undefined;
      const options = parseLabelOptions(hasBody ? await readJsonBody(c, MAX_OPTIONS_BYTES) : {});
      const label = await labels.print(
        org,
        { ...options, container: c.req.param("container") },
        {
          actor: {
            user_id: principal.user_id,
            user_name: principal.email,
            user_role: principal.memberships.find((m) => m.org_id === org)?.org_role,
            api_endpoint: `POST ${c.req.path}`.slice(0, 255),
            user_agent: c.req.header("user-agent"),
            ip_address: clientAddress(c),
          },
        },
      );
      return c.body(new Uint8Array(label.bytes), 200, {
        "content-type": label.media_type,
        "content-disposition": `attachment; filename="${fileName(label.qr_code, label.size, label.format)}"`,
        "cache-control": "no-store",
        "x-lilo-label-action": label.action,
        "x-lilo-event-id": label.event_id,
      });
    },
  );
}
