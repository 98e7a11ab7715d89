// The appliance's own HTTP API (served on loopback for the kiosk): status, access and scans. Only the
// kiosk gets in (kiosk-guard.middleware.ts); health stays open for supervisors.
import { Hono } from "hono";
import { z } from "zod";
import { parseBody } from "../shared/http/errors.js";
import type { Credential } from "./auth/auth.service.js";
import { kioskGuard } from "./kiosk-guard.middleware.js";
import type { ScanService } from "./scan/scan.service.js";
import type { AccessOutcome } from "./session/session.service.js";

const badge = z.string().trim().min(1).max(128);
// Any length a PIN pad takes is a try (and counts towards the lockout); shorter PINs are refused later.
const pin = z.string().regex(/^\d{4,12}$/, "pin must be 4 to 12 digits");
const user = z.union([
  z.number().int().min(0).max(999_999_999),
  z
    .string()
    .regex(/^\d{1,9}$/, "user must be the user number")
    .transform(Number),
]);
/** A badge; a badge and its PIN; a user number and PIN; or a PIN for the badge swiped just before. */
const AccessBody = z.union([
  z.strictObject({ badge }),
  z.strictObject({ badge, pin }),
  z.strictObject({ user, pin }),
  z.strictObject({ pin }),
]);

export interface ApiDeps {
  access: (credential: Credential) => Promise<AccessOutcome>;
  scans: ScanService;
  status: () => Record<string, unknown>;
  /** The port this server listens on and the kiosk key of this start. */
  kiosk: { port: () => number; key: () => string };
}

export function apiRoutes({ access, scans, status, kiosk }: ApiDeps): Hono {
  return new Hono()
    .get("/health", (c) => c.json({ ok: true }))
    .use("/status", kioskGuard({ port: kiosk.port }))
    .use("/access", kioskGuard(kiosk))
    .use("/scan", kioskGuard(kiosk))
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
