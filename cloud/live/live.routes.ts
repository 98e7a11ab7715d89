// `GET /api/v1/orgs/{org}/live`: a server-sent event stream of what happens at the organization's
// cabinets that the caller may see — presence, door and lock steps, new events and alerts — fed by the
// instance's LiveHub, with a heartbeat that also re-checks the session and ends the stream without it.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { AppError, validationError } from "../../shared/errors.js";
import type { AccountService, Principal } from "../accounts/account.service.js";
import { bearerToken, type CloudEnv, userAuth } from "../api/auth.middleware.js";
import type { LiveHub } from "./live-hub.js";

/** A client this far behind (events written but not yet taken) is cut off; it reconnects and reloads. */
const MAX_PENDING_WRITES = 256;

export const liveRoute = createRoute({
  method: "get",
  path: "/orgs/{org}/live",
  tags: ["live"],
  summary: "Live status by server-sent events",
  description:
    "Events: `ready` (subscribed), `presence` (cabinet online/offline), `cabinet` (door, lock and " +
    "session steps, with `door`/`lock` when the step changes them), `event` (a new event log row), " +
    "`alert` (a new or changed safety alert), `end` (the session ended; the stream closes). A comment " +
    "line is sent every heartbeat. Read it with fetch() and `Authorization: Bearer`.",
  request: {
    params: z.object({ org: z.string().uuid() }),
    query: z.object({ cabinet: z.string().uuid().optional().openapi({ description: "Only this cabinet" }) }),
  },
  responses: {
    200: { description: "the event stream", content: { "text/event-stream": { schema: z.string() } } },
    401: { description: "not signed in" },
    404: { description: "no such organization (or not yours)" },
  },
});

const isMember = (p: Principal | undefined, org: string) => Boolean(p?.memberships.some((m) => m.org_id === org));

export function liveRoutes(deps: { accounts: AccountService; hub: LiveHub; heartbeatMs: number }) {
  const { accounts, hub, heartbeatMs } = deps;
  const app = new OpenAPIHono<CloudEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues);
    },
  });
  app.use(liveRoute.getRoutingPath(), userAuth(accounts));
  app.openapi(liveRoute, async (c) => {
    const { org } = c.req.valid("param");
    const { cabinet } = c.req.valid("query");
    if (!isMember(c.get("principal"), org)) throw new AppError("not_found", `no organization ${org}`);
    const token = bearerToken(c);
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
        maySee: (cabinetId) => !cabinet || cabinetId === cabinet,
        send: (e) => write(e.event, e.data),
        close: end,
      });
      stream.onAbort(end);
      try {
        write("ready", { org, cabinet: cabinet ?? null, heartbeat_ms: heartbeatMs });
        while (open) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, heartbeatMs).unref();
          });
          if (!open) break;
          // A revoked or expired session, or a membership taken away, ends the stream.
          if (!isMember(await accounts.authenticate(token), org)) {
            write("end", { reason: "session_ended" });
            break;
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
