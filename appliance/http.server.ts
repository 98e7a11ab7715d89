// The appliance's HTTP server: the kiosk API under /api (the touchscreen's own under /api/kiosk), the
// touchscreen's page under /kiosk/ and, in simulator mode, the simulator's control API under /sim.
// Each start issues a new kiosk key (`<dataDir>/kiosk-key`); stopping discards it.
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { bodyLimit, MAX_FORM_BODY_BYTES } from "../shared/http/body-limit.js";
import { errorHandler } from "../shared/http/errors.js";
import type { Logger } from "../shared/logger.js";
import { type ApiDeps, apiRoutes } from "./api.routes.js";
import { type KioskRouteDeps, kioskApiRoutes, kioskPageRoutes } from "./kiosk-api/kiosk.routes.js";
import { issueKioskKey, type KioskKey } from "./kiosk-guard.middleware.js";
import { type SimRouteDeps, simRoutes } from "./sim/sim.routes.js";

export class HttpServer {
  private server?: ReturnType<typeof serve>;
  private kioskKey?: KioskKey;
  /** Set once listening. */
  url = "";

  constructor(
    private readonly deps: {
      host: string;
      port: number;
      dataDir: string;
      logger: Logger;
      api: Omit<ApiDeps, "kiosk">;
      /** The touchscreen: its routes, and the folder its built page is served from. */
      kiosk: Omit<KioskRouteDeps, "guard"> & { pageDir: string };
      sim?: Omit<SimRouteDeps, "kioskKey">;
    },
  ) {}

  async start(): Promise<void> {
    const { host, port, dataDir, logger, api, kiosk, sim } = this.deps;
    const app = new Hono();
    app.onError(errorHandler(logger.child({ component: "http" })));
    // Every body the kiosk and simulator APIs take is form-sized; nothing larger is read.
    app.use("*", bodyLimit(MAX_FORM_BODY_BYTES));
    const kioskKey = issueKioskKey(dataDir);
    this.kioskKey = kioskKey;
    const guard = { port: () => Number(new URL(this.url).port), key: () => kioskKey.value };
    app.route("/api/kiosk", kioskApiRoutes({ ...kiosk, guard }));
    app.route("/api", apiRoutes({ ...api, kiosk: guard }));
    app.get("/kiosk", (c) => c.redirect("/kiosk/"));
    app.route("/kiosk", kioskPageRoutes(kiosk.pageDir));
    if (sim) app.route("/sim", simRoutes({ ...sim, kioskKey: guard.key }));
    await new Promise<void>((resolve) => {
      this.server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
        this.url = `http://${host}:${info.port}`;
        logger.info({ url: this.url, sim: Boolean(sim) }, "appliance listening");
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server as Server | undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    // The kiosk's live streams never end by themselves.
    server?.closeAllConnections();
    await closed;
    this.kioskKey?.discard();
  }
}
