// People and access over the API: members (created or invited with an organization role), the tenant's
// roles, scoped grants (temporary ones expire; a revocation records who and when) and cabinet
// credentials (badge, PIN, user number), which reach a cabinet with its next downlink. Nobody grants
// what they do not hold themselves at that scope.
import { z } from "zod";
import { badgeDigest, hashPin, MAX_PIN_DIGITS, MIN_PIN_DIGITS } from "../../shared/credential-hash.js";
import { ORG_ROLES, SCOPE_TYPES } from "../../shared/enums.js";
import { AppError } from "../../shared/errors.js";
import { PERMISSIONS } from "../../shared/permissions.js";
import { accountRepository } from "../accounts/account.repository.js";
import type { AccountService } from "../accounts/account.service.js";
import type { OrgAccess } from "../authz/access.service.js";
import { effectivePermissions, type Resource, type RoleDef } from "../authz/authorize.js";
import { actingUserId } from "../authz/caller.middleware.js";
import { type Database, pgErrorCode } from "../db/database.js";
import { decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import { type GrantRow, grantOrder, type Member, peopleRepository, type Role } from "./people.repository.js";

export const CreateMemberInput = z.strictObject({
  email: z.email(),
  /** Absent: a person who uses cabinets (badge, PIN) but does not sign in to the cloud. */
  password: z.string().min(10, "password must be at least 10 characters").max(200).optional(),
  first_name: z.string().trim().max(100).optional(),
  last_name: z.string().trim().max(100).optional(),
  org_role: z.enum(ORG_ROLES).default("member"),
});

export const CreateRoleInput = z.strictObject({
  role_name: z.string().trim().min(1).max(100),
  role_slug: z.string().regex(/^[a-z][a-z0-9_]{1,49}$/, "lowercase letters, digits and _"),
  description: z.string().max(2000).optional(),
  permissions: z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length),
  inherits_from: z.uuid().optional(),
});

export const CreateGrantInput = z.strictObject({
  user_id: z.uuid(),
  role_id: z.uuid(),
  scope_type: z.enum(SCOPE_TYPES),
  scope_id: z.uuid(),
  /** A temporary grant: it counts until then. */
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

export const GrantQuery = z.object({ user_id: z.uuid().optional() });

export const CredentialsInput = z
  .strictObject({
    badge: z.string().trim().min(4).max(128).optional(),
    pin: z
      .string()
      .regex(
        new RegExp(`^\\d{${MIN_PIN_DIGITS},${MAX_PIN_DIGITS}}$`),
        `${MIN_PIN_DIGITS}-${MAX_PIN_DIGITS} digits`,
      )
      .optional(),
    user_number: z.number().int().min(1).max(99_999_999).optional(),
  })
  .refine((v) => v.badge || v.pin || v.user_number, { message: "give a badge, a PIN or a user number" });

export interface CredentialSummary {
  user_id: string;
  has_badge: boolean;
  has_pin: boolean;
  user_number: number | null;
  status: string;
}

const notFound = (what: string) => new AppError("not_found", `no such ${what} in this organization`);

export class PeopleService {
  constructor(
    private readonly database: Database,
    private readonly accounts: AccountService,
  ) {}

  members(access: OrgAccess, page: PageRequest): Promise<Page<Member>> {
    access.requireSomewhere("user:manage");
    const cursor = decodeCursor(page.cursor, 2);
    return this.database.asService(async (tx) =>
      pageOf(await peopleRepository.members(tx, access.org_id, page.limit + 1, cursor), page.limit, (m) => [
        m.email,
        m.user_id,
      ]),
    );
  }

  async member(
    access: OrgAccess,
    userId: string,
  ): Promise<Member & { credentials: CredentialSummary | null }> {
    access.requireSomewhere("user:manage");
    const m = await this.database.asService((tx) => peopleRepository.member(tx, access.org_id, userId));
    if (!m) throw notFound("member");
    const c = await this.database.withTenant(access.org_id, (tx) => peopleRepository.credentials(tx, userId));
    return {
      ...m,
      credentials: c
        ? {
            user_id: c.user_id,
            has_badge: !!c.badge_hash,
            has_pin: !!c.pin_hash,
            user_number: c.user_number,
            status: c.status,
          }
        : null,
    };
  }

  /** Creates the account, or adds an existing account to the organization (an invitation). */
  async createMember(
    access: OrgAccess,
    input: z.infer<typeof CreateMemberInput>,
  ): Promise<{ user_id: string }> {
    access.require("user:manage");
    if (
      (input.org_role === "owner" || input.org_role === "admin") &&
      !access.can("apikey:manage", access.orgResource())
    ) {
      throw new AppError("forbidden", "only an organization admin can make someone owner or admin");
    }
    const existing = await this.database.asService((tx) => accountRepository.findByEmail(tx, input.email));
    if (!existing) {
      return this.accounts.create({
        ...input,
        password: input.password ?? `cabinet-only-${crypto.randomUUID()}`,
        org_id: access.org_id,
      });
    }
    await this.database
      .asService((tx) =>
        accountRepository.addMembership(tx, {
          user_id: existing.user_id,
          org_id: access.org_id,
          org_role: input.org_role,
          status: "active",
          invited_by: actingUserId(access.caller),
          invited_at: new Date(),
          joined_at: new Date(),
        }),
      )
      .catch((err: unknown) => {
        if (pgErrorCode(err) === "23505")
          throw new AppError("conflict", `${input.email} is already a member`, { email: "already a member" });
        throw err;
      });
    return { user_id: existing.user_id };
  }

  roles(access: OrgAccess): Promise<{ items: Role[]; next_cursor: null }> {
    access.requireSomewhere("org:read");
    return this.database.withTenant(access.org_id, async (tx) => ({
      items: await peopleRepository.roles(tx),
      next_cursor: null,
    }));
  }

  async createRole(access: OrgAccess, input: z.infer<typeof CreateRoleInput>): Promise<Role> {
    access.require("user:manage");
    return this.database
      .withTenant(access.org_id, async (tx) => {
        if (
          input.inherits_from &&
          !(await peopleRepository.roles(tx)).some((r) => r.role_id === input.inherits_from)
        ) {
          throw new AppError("validation_failed", "invalid request: inherits_from: no such role", {
            inherits_from: "no such role",
          });
        }
        return peopleRepository.insertRole(tx, {
          ...input,
          is_system_role: false,
          created_by: actingUserId(access.caller),
        });
      })
      .catch((err: unknown) => {
        if (pgErrorCode(err) === "23505")
          throw new AppError("conflict", "a role with this name or slug exists", { role_slug: "taken" });
        throw err;
      });
  }

  grants(access: OrgAccess, q: z.infer<typeof GrantQuery>, page: PageRequest): Promise<Page<GrantRow>> {
    access.requireSomewhere("user:manage");
    const cursor = decodeCursor(page.cursor, 2);
    return this.database.withTenant(access.org_id, async (tx) =>
      pageOf(await peopleRepository.grants(tx, q.user_id, page.limit + 1, cursor), page.limit, (g) =>
        grantOrder.key({ at: g.granted_at, id: g.assignment_id }),
      ),
    );
  }

  private scopeResource(access: OrgAccess, type: (typeof SCOPE_TYPES)[number], id: string): Resource {
    switch (type) {
      case "organization":
        if (id !== access.org_id) throw notFound("organization");
        return access.orgResource();
      case "department":
        return access.deptResource(id);
      case "lab":
        return access.labResource(id);
      case "cabinet":
        return access.cabinetResource(id);
    }
  }

  async grant(access: OrgAccess, input: z.infer<typeof CreateGrantInput>): Promise<GrantRow> {
    const scope = this.scopeResource(access, input.scope_type, input.scope_id);
    access.require("user:manage", scope);
    if (input.expires_at && new Date(input.expires_at).getTime() <= Date.now()) {
      throw new AppError("validation_failed", "invalid request: expires_at: must be in the future", {
        expires_at: "must be in the future",
      });
    }
    const member = await this.database.asService((tx) =>
      peopleRepository.member(tx, access.org_id, input.user_id),
    );
    if (!member) throw notFound("member");
    return this.database
      .withTenant(access.org_id, async (tx) => {
        const all = await peopleRepository.roles(tx);
        if (!all.some((r) => r.role_id === input.role_id)) throw notFound("role");
        const defs = new Map<string, RoleDef>(
          all.map((r) => [
            r.role_id,
            {
              role_id: r.role_id,
              permissions: (r.permissions as string[]) ?? [],
              inherits_from: r.inherits_from,
            },
          ]),
        );
        // No escalation: every permission the role carries must be the granter's own at that scope.
        const missing = [...effectivePermissions(input.role_id, defs)].filter(
          (p) =>
            (PERMISSIONS as readonly string[]).includes(p) &&
            !access.can(p as (typeof PERMISSIONS)[number], scope),
        );
        if (missing.length) {
          throw new AppError(
            "forbidden",
            `you cannot grant permissions you do not hold here: ${missing.join(", ")}`,
          );
        }
        return peopleRepository.insertGrant(tx, {
          ...input,
          expires_at: input.expires_at ? new Date(input.expires_at) : null,
          granted_by: actingUserId(access.caller),
        });
      })
      .catch((err: unknown) => {
        if (pgErrorCode(err) === "23505")
          throw new AppError("conflict", "this person already holds this role at this scope", {
            role_id: "granted",
          });
        throw err;
      });
  }

  async revokeGrant(access: OrgAccess, grantId: string): Promise<GrantRow> {
    return this.database.withTenant(access.org_id, async (tx) => {
      const g = await peopleRepository.grant(tx, grantId);
      if (!g) throw notFound("grant");
      access.require("user:manage", this.scopeResource(access, g.scope_type, g.scope_id));
      const row = await peopleRepository.revokeGrant(tx, grantId, actingUserId(access.caller));
      if (!row) throw new AppError("conflict", `grant ${grantId} is already revoked`);
      return row;
    });
  }

  /** Enrols a badge, a PIN or a user number; cabinets learn them with their next downlink. */
  async enrol(
    access: OrgAccess,
    userId: string,
    input: z.infer<typeof CredentialsInput>,
  ): Promise<CredentialSummary> {
    access.requireSomewhere("user:manage");
    const m = await this.database.asService((tx) => peopleRepository.member(tx, access.org_id, userId));
    if (!m) throw notFound("member");
    const pin_hash = input.pin ? await hashPin(input.pin) : undefined;
    return this.database
      .withTenant(access.org_id, async (tx) => {
        const before = await peopleRepository.credentials(tx, userId);
        await peopleRepository.upsertCredentials(tx, {
          user_id: userId,
          display_name: (m.display_name ?? m.email).slice(0, 200),
          email: m.email,
          badge_hash: input.badge ? badgeDigest(input.badge) : before?.badge_hash,
          pin_hash: pin_hash ?? before?.pin_hash,
          user_number: input.user_number ?? before?.user_number,
          status: "active",
        });
        const c = (await peopleRepository.credentials(tx, userId))!;
        return {
          user_id: userId,
          has_badge: !!c.badge_hash,
          has_pin: !!c.pin_hash,
          user_number: c.user_number,
          status: c.status,
        };
      })
      .catch((err: unknown) => {
        if (pgErrorCode(err) === "23505")
          throw new AppError("conflict", "this badge or user number belongs to someone else", {
            badge: "taken",
          });
        throw err;
      });
  }
}
