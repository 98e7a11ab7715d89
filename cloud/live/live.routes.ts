// `GET /api/v1/orgs/{org}/live`: a server-sent event stream of what happens at the organization's
// cabinets that the caller may see — presence, door and lock steps, new events and alerts — fed by the
// instance's LiveHub, with a heartbeat that also re-checks the caller and ends the stream without it.
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import type { Permission } from "../../shared/permissions.js";
import { bearerToken } from "../api/auth.middleware.js";
import { createApiRouter, ERROR_RESPONSES, OrgParams } from "../api/v1/openapi.js";
import type { AccessService, OrgAccess } from "../authz/access.service.js";
import type { Caller } from "../authz/caller.middleware.js";
import type { LiveEvent, LiveHub } from "./live-hub.js";

/** A client this far behind (events written but not yet taken) is cut off; it reconnects and reloads. */
const MAX_PENDING_WRITES = 256;
/** An API key's stream re-checks the key at most this often: each check counts against its hourly limit. */
const API_KEY_RECHECK_MS = 60_000;

/** What a caller needs on a cabinet to see each kind of live event there. */
const PERMISSION_FOR: Record<LiveEvent["event"], Permission> = {
  presence: "event:read",
  cabinet: "event:read",
  event: "event:read",
  alert: "alert:read",
};

export const liveRoute = createRoute({
  method: "get",
  path: "/orgs/{org}/live",
  tags: ["live"],
  summary: "Live status by server-sent events",
  description:
    "Events: `ready` (subscribed), `presence` (a cabinet online/offline), `cabinet` (door, lock and " +
    "session steps, with `door`/`lock` when the step changes them), `event` (a new event log row), " +
    "`alert` (a new or changed safety alert), `end` (the session or key ended; the stream closes). " +
    "Only cabinets where the caller holds `event:read` (`alert:read` for alerts). A comment line comes " +
    "every heartbeat. Browsers: read it with fetch() and `Authorization: Bearer`.",
  security: [{ bearer: [] }],
  request: {
    params: OrgParams,
    query: z.object({
      cabinet: z
        .uuid({ error: "must be a UUID" })
        .optional()
        .openapi({ param: { name: "cabinet", in: "query" }, description: "Only this cabinet" }),
    }),
  },
  responses: {
    200: { description: "the event stream", content: { "text/event-stream": { schema: z.string() } } },
    ...ERROR_RESPONSES,
  },
});

export function liveRoutes(deps: {
  access: AccessService;
  hub: LiveHub;
  heartbeatMs: number;
  /** The caller behind a token now; throws when it is no longer valid. */
  authenticate: (token: string) => Promise<Caller>;
}) {
  const { access, hub, heartbeatMs, authenticate } = deps;
  const app = createApiRouter();
  app.openapi(liveRoute, async (c) => {
    const { org } = c.req.valid("param");
    const { cabinet } = c.req.valid("query");
    const caller = c.get("caller");
    // Another organization (or an unknown cabinet of this one) is not_found, before any stream opens.
    let orgAccess = await access.forOrg(caller, org);
    if (cabinet) orgAccess.cabinetResource(cabinet);
    orgAccess.requireSomewhere("event:read");
    const token = bearerToken(c);
    const recheckMs = caller.kind === "api_key" ? Math.max(heartbeatMs, API_KEY_RECHECK_MS) : heartbeatMs;
    const maySee = (a: OrgAccess, e: LiveEvent) =>
      (!cabinet || e.cabinet_id === cabinet) &&
      (e.cabinet_id && a.tree.cabinets.has(e.cabinet_id)
        ? a.can(PERMISSION_FOR[e.event], a.cabinetResource(e.cabinet_id))
        : a.can(PERMISSION_FOR[e.event], a.orgResource()));

    return streamSSE(c, async (stream) => {
      let open = true;
      let wake = () => {};
      let pending = 0;
      const end = () => {
        open = false;
        wake();
      };
      const write = (event: string, data: unknown) => {
        if (!open) return;
        if (++pending > MAX_PENDING_WRITES) return end();
        void stream
          .writeSSE({ event, data: JSON.stringify(data) })
          .then(() => pending--)
          .catch(end);
      };
      const unsubscribe = hub.subscribe({
        org,
        maySee: (e) => maySee(orgAccess, e),
        send: (e) => write(e.event, e.data),
        close: end,
      });
      stream.onAbort(end);
      try {
        write("ready", { org, cabinet: cabinet ?? null, heartbeat_ms: heartbeatMs });
        let checkedAt = Date.now();
        while (open) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, heartbeatMs).unref();
          });
          if (!open) break;
          if (Date.now() - checkedAt >= recheckMs - 50) {
            checkedAt = Date.now();
            // A revoked or expired session or key, or a membership or grant taken away, ends the stream.
            try {
              orgAccess = await access.forOrg(await authenticate(token), org);
              orgAccess.requireSomewhere("event:read");
            } catch {
              // Awaited: the stream closes right after, and must not close before this is written.
              await stream.writeSSE({ event: "end", data: JSON.stringify({ reason: "credentials_ended" }) });
              break;
            }
          }
          await stream.write(": heartbeat\n\n");
        }
      } finally {
        open = false;
        unsubscribe();
      }
    });
  });
  return app;
}
