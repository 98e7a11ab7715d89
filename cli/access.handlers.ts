// What `lilo cloud user create` and `lilo cloud apikey create` run (declared in cloud.commands.ts): a
// person with a role in an organization, and an organization's API key, from the shell.
import { text } from "node:stream/consumers";
import { AccountService } from "../cloud/accounts/account.service.js";
import { ApiKeyService } from "../cloud/apikeys/api-key.service.js";
import { systemRoleId } from "../cloud/authz/system-roles.js";
import { RateLimitRepository } from "../cloud/security/rate-limit.repository.js";
import { RateLimitService } from "../cloud/security/rate-limit.service.js";
import { ORG_ROLES } from "../shared/enums.js";
import { AppError } from "../shared/errors.js";
import { SYSTEM_ROLES } from "../shared/permissions.js";
import { userRoleAssignments } from "../shared/schema/tenant.js";
import { withDatabase } from "./cloud.handlers.js";

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

export interface CreateUserOptions {
  org: string;
  email: string;
  role: string;
  firstName?: string;
  lastName?: string;
}

const ROLE_CHOICES: readonly string[] = [...SYSTEM_ROLES.map((r) => r.slug), ...ORG_ROLES];

/**
 * `--role` is a system role (technician, lab_manager, safety_officer, auditor, org_admin: granted
 * organization-wide) or an organization role (owner, admin, manager, member). The password is read
 * from standard input.
 */
export async function createUser(o: CreateUserOptions): Promise<void> {
  if (!ROLE_CHOICES.includes(o.role)) {
    throw new AppError("validation_failed", `invalid role: one of ${ROLE_CHOICES.join(", ")}`, {
      role: "unknown role",
    });
  }
  const password = (await text(process.stdin)).replace(/\r?\n$/, "");
  await withDatabase(async (db) => {
    const orgRole = (ORG_ROLES as readonly string[]).includes(o.role)
      ? (o.role as (typeof ORG_ROLES)[number])
      : o.role === "org_admin"
        ? "admin"
        : "member";
    const { user_id } = await new AccountService(db).create({
      email: o.email,
      password,
      first_name: o.firstName,
      last_name: o.lastName,
      org_id: o.org,
      org_role: orgRole,
    });
    if (SYSTEM_ROLES.some((r) => r.slug === o.role)) {
      await db.withTenant(o.org, async (tx) => {
        await tx.insert(userRoleAssignments).values({
          user_id,
          role_id: (await systemRoleId(tx, o.role))!,
          scope_type: "organization",
          scope_id: o.org,
        });
      });
    }
    print({ user_id });
  });
}

export async function createApiKey(o: {
  org: string;
  name: string;
  scopes: string;
  rateLimit?: string;
}): Promise<void> {
  await withDatabase(async (db) => {
    const keys = new ApiKeyService(db, new RateLimitService(new RateLimitRepository(db)));
    const created = await keys.createByOperator(o.org, {
      name: o.name,
      scopes: o.scopes
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      ...(o.rateLimit ? { rate_limit_per_hour: Number(o.rateLimit) } : {}),
    });
    print({ key_id: created.key_id, key: created.key, prefix: created.prefix });
  });
}
