// The appliance's own HTTP API (served on loopback for the kiosk): status, access and scans.
import { Hono } from "hono";
import { z } from "zod";
import { parseBody } from "../shared/http/errors.js";
import type { Credential } from "./auth/auth.service.js";
import type { ScanService } from "./scan/scan.service.js";
import type { AccessOutcome } from "./session/session.service.js";

const AccessBody = z.union([
  z.object({ badge: z.string().trim().min(1).max(128) }),
  z.object({ pin: z.string().regex(/^\d{4,8}$/, "pin must be 4 to 8 digits") }),
]);

export interface ApiDeps {
  access: (credential: Credential) => Promise<AccessOutcome>;
  scans: ScanService;
  status: () => Record<string, unknown>;
}

export function apiRoutes({ access, scans, status }: ApiDeps): Hono {
  return new Hono()
    .get("/health", (c) => c.json({ ok: true }))
    .get("/status", (c) => c.json(status()))
    .post("/access", async (c) => c.json(await access(await parseBody(c, AccessBody))))
    .post("/scan", async (c) => {
      const outcome = await scans.scan({ trigger: "manual" });
      const r = outcome.reconciliation;
      return c.json({
        scan_ids: outcome.scan_ids,
        shelves: outcome.shelves.map((s) => ({
          shelf: s.shelf,
          ok: s.ok,
          error: s.error,
          codes: s.codes.map((x) => x.text),
        })),
        missing: r.taken.map((t) => t.container.qr_code),
        returned: r.returned.map((t) => t.container.qr_code),
        moved: r.moved.map((t) => ({ qr_code: t.container.qr_code, from: t.from, to: t.to })),
        unknown: r.unknown.map((u) => u.qr_code),
      });
    });
}
