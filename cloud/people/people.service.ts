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
import { type AuditedAction, recordAuditEvent } from "../audit/audit-event.js";
import type { OrgAccess } from "../authz/access.service.js";
import { effectivePermissions, type Resource, type RoleDef } from "../authz/authorize.js";
import { actingUserId, callerLabel } from "../authz/caller.middleware.js";
import { type Database, pgErrorCode, type Tx, withinTenant } from "../db/database.js";
import { decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import {
  type CredentialRow,
  type GrantRow,
  grantOrder,
  type Member,
  peopleRepository,
  type Role,
} from "./people.repository.js";

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

export const MemberQuery = z.object({
  /** Members removed from the organization are left out unless asked for. */
  include_removed: z
    .enum(["true", "false"], { error: "true or false" })
    .optional()
    .transform((v) => v === "true"),
});

export const UpdateMemberInput = z.strictObject({ org_role: z.enum(ORG_ROLES) });

/** Roles that administer the organization: only an administrator gives or takes them. */
const ADMIN_ROLES: readonly string[] = ["owner", "admin"] satisfies (typeof ORG_ROLES)[number][];

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

export type MemberWithCredentials = Member & { credentials: CredentialSummary | null };

const notFound = (what: string) => new AppError("not_found", `no such ${what} in this organization`);

/** What the cabinets hold for a person, without the hashes. */
function summary(c: CredentialRow): CredentialSummary {
  return {
    user_id: c.user_id,
    has_badge: !!c.badge_hash,
    has_pin: !!c.pin_hash,
    user_number: c.user_number,
    status: c.status,
  };
}

/** A change to who may do what, in the tenant's audit trail (access_control), by the caller. */
function auditAccessChange(
  tx: Tx,
  access: OrgAccess,
  change: Pick<AuditedAction, "action" | "summary" | "old_values" | "new_values">,
) {
  return recordAuditEvent(tx, {
    ...change,
    type: "manual",
    category: "user_action",
    actor: { user_id: actingUserId(access.caller), name: callerLabel(access.caller) },
    audit_category: "access_control",
  });
}

export class PeopleService {
  constructor(
    private readonly database: Database,
    private readonly accounts: AccountService,
  ) {}

  /** Members by email, each with what the cabinets hold for them (badge, PIN, user number). */
  async members(
    access: OrgAccess,
    q: z.infer<typeof MemberQuery>,
    page: PageRequest,
  ): Promise<Page<MemberWithCredentials>> {
    access.requireSomewhere("user:manage");
    const cursor = decodeCursor(page.cursor, 2);
    const p = await this.database.asService(async (tx) =>
      pageOf(
        await peopleRepository.members(tx, access.org_id, q.include_removed, page.limit + 1, cursor),
        page.limit,
        (m) => [m.email, m.user_id],
      ),
    );
    return { items: await this.withCredentials(access, p.items), next_cursor: p.next_cursor };
  }

  async member(access: OrgAccess, userId: string): Promise<MemberWithCredentials> {
    access.requireSomewhere("user:manage");
    const m = await this.database.asService((tx) => peopleRepository.member(tx, access.org_id, userId));
    if (!m) throw notFound("member");
    return (await this.withCredentials(access, [m]))[0]!;
  }

  /** The cabinet credentials (tenant) of platform members, read in one query. */
  private async withCredentials(access: OrgAccess, members: Member[]): Promise<MemberWithCredentials[]> {
    const creds = await this.database.withTenant(access.org_id, (tx) =>
      peopleRepository.credentialsOf(
        tx,
        members.map((m) => m.user_id),
      ),
    );
    return members.map((m) => {
      const c = creds.get(m.user_id);
      return { ...m, credentials: c ? summary(c) : null };
    });
  }

  /**
   * Changes a member's organization role. Making someone owner or admin, or changing an owner's or
   * admin's role, takes an organization admin; the last owner or admin cannot be demoted. Audited.
   */
  async updateMember(
    access: OrgAccess,
    userId: string,
    input: z.infer<typeof UpdateMemberInput>,
  ): Promise<MemberWithCredentials> {
    access.require("user:manage");
    await this.database.asService(async (tx) => {
      const { target, admins } = await this.lockedMember(tx, access, userId);
      if (ADMIN_ROLES.includes(target.org_role) || ADMIN_ROLES.includes(input.org_role)) {
        access.requireOrgAdmin("make someone owner or admin, or change an owner's or admin's role");
      }
      if (target.org_role === input.org_role) return;
      if (ADMIN_ROLES.includes(target.org_role) && !ADMIN_ROLES.includes(input.org_role) && admins === 1) {
        throw new AppError("conflict", "the organization's last owner or admin keeps that role", {
          org_role: "last owner or admin",
        });
      }
      await peopleRepository.updateMembership(tx, access.org_id, userId, { org_role: input.org_role });
      await withinTenant(tx, access.org_id, (t) =>
        auditAccessChange(t, access, {
          action: "member_role_changed",
          summary: `organization role of ${userId} changed from ${target.org_role} to ${input.org_role}`,
          old_values: { user_id: userId, org_role: target.org_role },
          new_values: { user_id: userId, org_role: input.org_role },
        }),
      );
    });
    return this.member(access, userId);
  }

  /**
   * Removes a member: the membership is kept as `removed` (their sign-ins no longer reach the
   * organization), their grants are revoked and their cabinet credentials deactivated, so cabinets drop
   * them with their next downlink. Removing an owner or admin takes an admin; the last one stays.
   */
  async removeMember(access: OrgAccess, userId: string): Promise<MemberWithCredentials> {
    access.require("user:manage");
    const by = actingUserId(access.caller);
    await this.database.asService(async (tx) => {
      const { target, admins } = await this.lockedMember(tx, access, userId);
      if (ADMIN_ROLES.includes(target.org_role)) {
        access.requireOrgAdmin("remove an owner or admin");
        if (admins === 1)
          throw new AppError("conflict", "the organization's last owner or admin cannot be removed");
      }
      await peopleRepository.updateMembership(tx, access.org_id, userId, { status: "removed" });
      await withinTenant(tx, access.org_id, async (t) => {
        const grants = await peopleRepository.revokeGrantsOf(t, userId, by);
        await peopleRepository.setCredentialStatus(t, userId, "inactive");
        await auditAccessChange(t, access, {
          action: "member_removed",
          summary: `${userId} removed from the organization (${grants} grants revoked)`,
          old_values: { user_id: userId, org_role: target.org_role, status: target.status },
          new_values: { user_id: userId, status: "removed", grants_revoked: grants },
        });
      });
    });
    return this.member(access, userId);
  }

  /** Signs a member out everywhere at once (an organization admin's step). */
  async revokeSessions(access: OrgAccess, userId: string): Promise<{ revoked: number }> {
    access.requireOrgAdmin("revoke its members' sessions");
    const m = await this.database.asService((tx) => peopleRepository.member(tx, access.org_id, userId));
    if (!m) throw notFound("member");
    const result = await this.accounts.revokeSessions([userId]);
    await this.database.withTenant(access.org_id, (t) =>
      auditAccessChange(t, access, {
        action: "member_sessions_revoked",
        summary: `every session of ${userId} revoked`,
        new_values: { user_id: userId, sessions_revoked: result.revoked },
      }),
    );
    return result;
  }

  /** The member, locked with every membership of the organization, and how many active admins there are. */
  private async lockedMember(tx: Tx, access: OrgAccess, userId: string) {
    const all = await peopleRepository.lockMemberships(tx, access.org_id);
    const target = all.find((m) => m.user_id === userId && m.status !== "removed");
    if (!target) throw notFound("member");
    const admins = all.filter((m) => m.status === "active" && ADMIN_ROLES.includes(m.org_role)).length;
    return { target, admins };
  }

  /** Creates the account, or adds an existing account to the organization (an invitation). */
  async createMember(
    access: OrgAccess,
    input: z.infer<typeof CreateMemberInput>,
  ): Promise<{ user_id: string }> {
    access.require("user:manage");
    if (ADMIN_ROLES.includes(input.org_role)) access.requireOrgAdmin("make someone owner or admin");
    const existing = await this.database.asService((tx) => accountRepository.findByEmail(tx, input.email));
    if (!existing) {
      return this.accounts.create({
        ...input,
        password: input.password ?? `cabinet-only-${crypto.randomUUID()}`,
        org_id: access.org_id,
      });
    }
    const membership = {
      org_role: input.org_role,
      status: "active" as const,
      invited_by: actingUserId(access.caller),
      invited_at: new Date(),
      joined_at: new Date(),
    };
    await this.database
      .asService(async (tx) => {
        const before = await peopleRepository.member(tx, access.org_id, existing.user_id);
        // A removed member comes back through a new invitation; their old grants stay revoked.
        if (before?.membership_status === "removed") {
          await peopleRepository.updateMembership(tx, access.org_id, existing.user_id, membership);
        } else {
          await accountRepository.addMembership(tx, {
            ...membership,
            user_id: existing.user_id,
            org_id: access.org_id,
          });
        }
      })
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
        const row = await peopleRepository.insertGrant(tx, {
          ...input,
          expires_at: input.expires_at ? new Date(input.expires_at) : null,
          granted_by: actingUserId(access.caller),
        });
        await auditAccessChange(tx, access, {
          action: "role_granted",
          summary: `role ${input.role_id} granted to ${input.user_id} at ${input.scope_type} ${input.scope_id}`,
          new_values: { ...input },
        });
        return row;
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
      if (!row) throw new AppError("conflict", "this grant is already revoked");
      await auditAccessChange(tx, access, {
        action: "role_revoked",
        summary: `grant ${grantId} of ${g.user_id} revoked`,
        old_values: { assignment_id: grantId, is_active: true },
        new_values: { assignment_id: grantId, is_active: false },
      });
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
        return summary((await peopleRepository.credentials(tx, userId))!);
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
