// Cloud accounts: people with a password who sign in to the dashboard and the API. Sessions live in
// the partitioned user_sessions table (24 h), so any cloud instance can check any session.
import { randomUUID } from "node:crypto";
import { and, eq, gt } from "drizzle-orm";
import { z } from "zod";
import { ORG_ROLES } from "../../shared/enums.js";
import { AppError, validationError } from "../../shared/errors.js";
import { userSessions } from "../../shared/schema/partitioned.js";
import { userOrgMemberships, userPasswords, users } from "../../shared/schema/platform.js";
import { newToken, sha256 } from "../../shared/tokens.js";
import type { Database } from "../db/database.js";
import { hashPassword, verifyPassword } from "./password.js";

export const SESSION_TTL_MS = 24 * 3600_000;

/** A session's id is derived from its token, so lookups use the primary key and the token is never stored. */
function sessionIdFor(token: string): string {
  const h = sha256(token);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const CreateAccountInput = z.object({
  email: z.email(),
  password: z.string().min(10, "password must be at least 10 characters").max(200),
  first_name: z.string().max(100).optional(),
  last_name: z.string().max(100).optional(),
  org_id: z.uuid(),
  org_role: z.enum(ORG_ROLES).default("member"),
});

export interface Principal {
  user_id: string;
  email: string;
  memberships: { org_id: string; org_role: (typeof ORG_ROLES)[number] }[];
}

export class AccountService {
  constructor(private readonly database: Database) {}

  async create(input: z.input<typeof CreateAccountInput>): Promise<{ user_id: string }> {
    const parsed = CreateAccountInput.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error.issues);
    const a = parsed.data;
    const password_hash = await hashPassword(a.password);
    return this.database.asService(async (tx) => {
      const [existing] = await tx.select().from(users).where(eq(users.email, a.email));
      if (existing)
        throw new AppError("conflict", `an account for ${a.email} already exists`, { email: "taken" });
      const user_id = randomUUID();
      await tx.insert(users).values({
        user_id,
        cognito_user_id: `local:${user_id}`,
        email: a.email,
        email_verified: true,
        first_name: a.first_name,
        last_name: a.last_name,
        display_name: [a.first_name, a.last_name].filter(Boolean).join(" ") || a.email,
      });
      await tx.insert(userPasswords).values({ user_id, password_hash });
      await tx
        .insert(userOrgMemberships)
        .values({ user_id, org_id: a.org_id, org_role: a.org_role, status: "active", joined_at: new Date() });
      return { user_id };
    });
  }

  /** Returns a bearer session token; wrong email and wrong password are indistinguishable. */
  async login(
    email: string,
    password: string,
    meta: { ip?: string; user_agent?: string } = {},
  ): Promise<{ token: string; expires_at: Date }> {
    const [row] = await this.database.asService((tx) =>
      tx
        .select({ user_id: users.user_id, status: users.status, hash: userPasswords.password_hash })
        .from(users)
        .innerJoin(userPasswords, eq(userPasswords.user_id, users.user_id))
        .where(eq(users.email, email)),
    );
    if (row?.status !== "active" || !(await verifyPassword(password, row.hash))) {
      throw new AppError("unauthorized", "wrong email or password");
    }
    const token = newToken("lilo_sess");
    const expires_at = new Date(Date.now() + SESSION_TTL_MS);
    await this.database.asService(async (tx) => {
      await tx.insert(userSessions).values({
        session_id: sessionIdFor(token),
        user_id: row.user_id,
        expires_at,
        ip_address: meta.ip,
        user_agent: meta.user_agent,
      });
      await tx.update(users).set({ last_login_at: new Date() }).where(eq(users.user_id, row.user_id));
    });
    return { token, expires_at };
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    return this.database.asService(async (tx) => {
      const [session] = await tx
        .select({ user_id: userSessions.user_id })
        .from(userSessions)
        .where(
          and(eq(userSessions.session_id, sessionIdFor(token)), gt(userSessions.expires_at, new Date())),
        );
      if (!session) return undefined;
      const [user] = await tx.select().from(users).where(eq(users.user_id, session.user_id));
      if (user?.status !== "active") return undefined;
      const memberships = await tx
        .select({ org_id: userOrgMemberships.org_id, org_role: userOrgMemberships.org_role })
        .from(userOrgMemberships)
        .where(and(eq(userOrgMemberships.user_id, user.user_id), eq(userOrgMemberships.status, "active")));
      return { user_id: user.user_id, email: user.email, memberships };
    });
  }
}

/** The one authorization rule for org-level administration (devices, cabinets): owner, admin, manager. */
export function canAdminister(principal: Principal, orgId: string): boolean {
  return principal.memberships.some(
    (m) => m.org_id === orgId && ["owner", "admin", "manager"].includes(m.org_role),
  );
}
