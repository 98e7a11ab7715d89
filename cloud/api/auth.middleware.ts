// Bearer authentication for the two kinds of callers: cabinets (device credential) and people (session),
// and the one gate for org administration.
import type { Context, MiddlewareHandler } from "hono";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { AppError } from "../../shared/errors.js";
import { type AccountService, canAdminister, type Principal } from "../accounts/account.service.js";
import type { ProvisioningService } from "../devices/provisioning.service.js";

export type CloudEnv = { Variables: { device: DeviceIdentity; principal: Principal } };

export function bearerToken(c: Context): string {
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (!m) throw new AppError("unauthorized", "missing bearer token");
  return m[1]!;
}

export function deviceAuth(provisioning: ProvisioningService): MiddlewareHandler<CloudEnv> {
  return async (c, next) => {
    const device = await provisioning.authenticate(bearerToken(c));
    if (!device) throw new AppError("unauthorized", "unknown or revoked device credential");
    c.set("device", device);
    await next();
  };
}

export function userAuth(accounts: AccountService): MiddlewareHandler<CloudEnv> {
  return async (c, next) => {
    const principal = await accounts.authenticate(bearerToken(c));
    if (!principal) throw new AppError("unauthorized", "not signed in or session expired");
    c.set("principal", principal);
    await next();
  };
}

/**
 * A signed-in owner, admin or manager of the route's `:org` (canAdminister). Put on each admin route
 * itself, so that no route relies on middleware of a router mounted before it.
 */
export function orgAdminAuth(accounts: AccountService): MiddlewareHandler<CloudEnv> {
  const authenticate = userAuth(accounts);
  return (c, next) =>
    authenticate(c, async () => {
      if (!canAdminister(c.get("principal"), c.req.param("org") ?? "")) {
        throw new AppError("forbidden", "you do not administer this organization");
      }
      await next();
    });
}
