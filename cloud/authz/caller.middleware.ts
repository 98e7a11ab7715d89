// Who is calling: a signed-in person (session bearer) or an organization's API key (`Authorization:
// Bearer lilo_key_...`), set on the context as `caller` for the routes and the authorization function.
import type { MiddlewareHandler } from "hono";
import { AppError } from "../../shared/errors.js";
import type { AccountService, Principal } from "../accounts/account.service.js";
import { bearerToken } from "../api/auth.middleware.js";
import { API_KEY_TOKEN_PREFIX, type ApiKeyCaller, type ApiKeyService } from "../apikeys/api-key.service.js";

export interface UserCaller extends Principal {
  kind: "user";
}
export type { ApiKeyCaller };
export type Caller = UserCaller | ApiKeyCaller;

export type CallerEnv = { Variables: { caller: Caller } };

/** The person behind a caller, for audit columns (`created_by`, `granted_by`): an API key's creator. */
export const actingUserId = (caller: Caller): string =>
  caller.kind === "user" ? caller.user_id : caller.created_by;

/** A name for audit rows (`user_name`): the person's email, or the key's name and prefix. */
export const callerLabel = (caller: Caller): string =>
  caller.kind === "user" ? caller.email : `API key ${caller.name}`;

interface CallerDeps {
  accounts: AccountService;
  apiKeys: ApiKeyService;
}

/** The caller behind a bearer token; `unauthorized` for an unknown, expired or revoked one. */
export async function authenticateCaller(deps: CallerDeps, token: string): Promise<Caller> {
  if (token.startsWith(`${API_KEY_TOKEN_PREFIX}_`)) {
    const key = await deps.apiKeys.authenticate(token);
    if (!key) throw new AppError("unauthorized", "unknown, revoked or expired API key");
    return key;
  }
  const principal = await deps.accounts.authenticate(token);
  if (!principal) throw new AppError("unauthorized", "not signed in or session expired");
  return { kind: "user", ...principal };
}

export function callerAuth(deps: CallerDeps): MiddlewareHandler<CallerEnv> {
  return async (c, next) => {
    c.set("caller", await authenticateCaller(deps, bearerToken(c)));
    await next();
  };
}
