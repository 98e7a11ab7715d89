// The cabinet-facing API: claim, sync upload, sync state, downlink, credential rotation.
import { Hono } from "hono";
import { KIB } from "../../shared/http/body-limit.js";
import { CLOUD_TIME_HEADER } from "../../shared/sync/downlink.js";
import type { ProvisioningService } from "../devices/provisioning.service.js";
import type { RateLimitService, RateRules } from "../security/rate-limit.service.js";
import type { DownlinkService } from "../sync/downlink.service.js";
import type { IngestService } from "../sync/ingest.service.js";
import { type CloudEnv, deviceAuth } from "./auth.middleware.js";
import { limitByAddress, limitClaim } from "./rate-limit.middleware.js";
import { readJsonBody } from "./request-body.js";

/** A claim token, a serial number and two version strings. */
const CLAIM_BODY_BYTES = 16 * KIB;

export function deviceRoutes(deps: {
  limits: RateLimitService;
  rules: RateRules;
  provisioning: ProvisioningService;
  ingest: IngestService;
  downlink: DownlinkService;
}) {
  const { limits, rules, provisioning, ingest, downlink } = deps;
  const device = new Hono<CloudEnv>()
    .use(deviceAuth(provisioning))
    .get("/sync/state", async (c) => c.json(await ingest.state(c.get("device"))))
    .post("/sync/changes", async (c) => c.json(await ingest.ingest(c.get("device"), await readJsonBody(c))))
    .get("/downlink", async (c) => {
      const snapshot = await downlink.snapshot(c.get("device"));
      // The cabinet has no real-time clock: every downlink, unchanged or not, tells it the cloud's time,
      // which it checks command issue times against.
      const cloudTime = { [CLOUD_TIME_HEADER]: new Date().toISOString() };
      if (c.req.header("if-none-match") === snapshot.version) return c.body(null, 304, cloudTime);
      return c.json(snapshot, 200, { etag: snapshot.version, ...cloudTime });
    })
    .post("/credential/rotate", async (c) =>
      c.json({ credential: await provisioning.rotate(c.get("device").device_id) }),
    );

  return new Hono<CloudEnv>()
    .post("/devices/claim", limitByAddress(limits, rules.claimPerIp), async (c) => {
      const body = await readJsonBody(c, CLAIM_BODY_BYTES);
      await limitClaim(limits, rules, body);
      return c.json(await provisioning.claim(body), 201);
    })
    .route("/device", device);
}
