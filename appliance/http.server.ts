// The appliance's HTTP server: the kiosk API under /api and, in simulator mode, the simulator's control
// API under /sim. Each start issues a new kiosk key (`<dataDir>/kiosk-key`); stopping discards it.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { bodyLimit, MAX_FORM_BODY_BYTES } from "../shared/http/body-limit.js";
import { errorHandler } from "../shared/http/errors.js";
import type { Logger } from "../shared/logger.js";
import { type ApiDeps, apiRoutes } from "./api.routes.js";
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
      sim?: SimRouteDeps;
    },
  ) {}

  async start(): Promise<void> {
    const { host, port, dataDir, logger, api, sim } = this.deps;
    const app = new Hono();
    app.onError(errorHandler(logger.child({ component: "http" })));
    // Every body the kiosk and simulator APIs take is form-sized; nothing larger is read.
    app.use("*", bodyLimit(MAX_FORM_BODY_BYTES));
    const kioskKey = issueKioskKey(dataDir);
    this.kioskKey = kioskKey;
    app.route(
      "/api",
      apiRoutes({ ...api, kiosk: { port: () => Number(new URL(this.url).port), key: () => kioskKey.value } }),
    );
    if (sim) app.route("/sim", simRoutes(sim));
    await new Promise<void>((resolve) => {
      this.server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
        this.url = `http://${host}:${info.port}`;
        logger.info({ url: this.url, sim: Boolean(sim) }, "appliance listening");
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.kioskKey?.discard();
  }
}
