// Signing in and out: a session token for a person, ended by logout or by revoking every session.
import { Hono } from "hono";
import { z } from "zod";
import { KIB } from "../../shared/http/body-limit.js";
import { parseBody } from "../../shared/http/errors.js";
import type { AccountService } from "../accounts/account.service.js";
import type { RateLimitService, RateRules } from "../security/rate-limit.service.js";
import { bearerToken, type CloudEnv, userAuth } from "./auth.middleware.js";
import { clientAddress } from "./client-address.js";
import { limitByAddress } from "./rate-limit.middleware.js";

const Login = z.object({ email: z.email(), password: z.string().min(1).max(200) });
/** An email and a password: anything bigger is not a sign-in. */
export const LOGIN_BODY_BYTES = 16 * KIB;

export function authRoutes(deps: { accounts: AccountService; limits: RateLimitService; rules: RateRules }) {
  const { accounts, limits, rules } = deps;
  return (
    new Hono<CloudEnv>()
      .post("/auth/login", limitByAddress(limits, rules.loginPerIp), async (c) => {
        const { email, password } = await parseBody(c, Login, LOGIN_BODY_BYTES);
        return c.json(
          await accounts.login(email, password, {
            ip: clientAddress(c),
            user_agent: c.req.header("user-agent"),
          }),
        );
      })
      .post("/auth/logout", userAuth(accounts), async (c) => {
        await accounts.logout(bearerToken(c));
        return c.body(null, 204);
      })
      // Sign out everywhere: every session of the signed-in person, this one included.
      .post("/auth/sessions/revoke", userAuth(accounts), async (c) =>
        c.json(await accounts.revokeSessions([c.get("principal").user_id])),
      )
  );
}
