// Creating an organization: its platform row, its tenant schema and role, and an audit event, all in
// one transaction, so that a failure anywhere leaves nothing behind.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ORG_TYPES, SUBSCRIPTION_TIERS } from "../../shared/enums.js";
import { AppError, parseInput } from "../../shared/errors.js";
import { type Database, pgErrorCode } from "../db/database.js";
import { migrateTenant } from "../db/migrator.js";
import { tenantSchemaName } from "../db/names.js";
import { cursorString, decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import { systemEventRepository } from "../security/system-event.repository.js";
import { type Organization, organizationRepository } from "./organization.repository.js";

export const CreateOrganizationInput = z.object({
  name: z.string().trim().min(1, "name is required").max(255),
  slug: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/,
      "slug must be 1-100 lowercase letters, digits or inner hyphens",
    ),
  type: z.enum(ORG_TYPES, { message: `type must be one of: ${ORG_TYPES.join(", ")}` }),
  tier: z
    .enum(SUBSCRIPTION_TIERS, { message: `tier must be one of: ${SUBSCRIPTION_TIERS.join(", ")}` })
    .default("starter"),
});
export type CreateOrganizationInput = z.input<typeof CreateOrganizationInput>;

export interface CreatedOrganization {
  org_id: string;
  schema: string;
}

export class OrganizationService {
  constructor(private readonly database: Database) {}

  async create(input: CreateOrganizationInput): Promise<CreatedOrganization> {
    const { name, slug, type, tier } = parseInput(CreateOrganizationInput, input);
    const orgId = randomUUID();
    const schema = tenantSchemaName(orgId);
    // Owner role: creating a schema and a role is DDL that lilo_service must not be able to do.
    return this.database.asOwner(async (tx) => {
      if (await organizationRepository.findBySlug(tx, slug)) {
        throw slugTaken(slug);
      }
      await organizationRepository
        .insert(tx, {
          org_id: orgId,
          org_name: name,
          org_slug: slug,
          org_type: type,
          subscription_tier: tier,
          database_schema_name: schema,
        })
        .catch((err: unknown) => {
          // A concurrent create of the same slug loses here rather than at the pre-check.
          if (pgErrorCode(err) === "23505") throw slugTaken(slug);
          throw err;
        });
      await migrateTenant(tx, orgId, this.database.serviceLogin.name);
      await systemEventRepository.record(tx, {
        org_id: orgId,
        event_type: "org_created",
        event_category: "organization",
        event_data: { slug, type, tier, schema },
      });
      return { org_id: orgId, schema };
    });
  }
}

export type OrganizationView = Pick<
  Organization,
  "org_id" | "org_name" | "org_slug" | "org_type" | "subscription_tier" | "status" | "timezone" | "created_at"
>;

const view = (o: Organization): OrganizationView => ({
  org_id: o.org_id,
  org_name: o.org_name,
  org_slug: o.org_slug,
  org_type: o.org_type,
  subscription_tier: o.subscription_tier,
  status: o.status,
  timezone: o.timezone,
  created_at: o.created_at,
});

/** Reads of organizations for the API: one through its own tenant role, a caller's several as the service. */
export class OrganizationReader {
  constructor(private readonly database: Database) {}

  async get(orgId: string): Promise<OrganizationView> {
    // The tenant role sees its own organization's row only (row-level security).
    const row = await this.database.withTenant(orgId, (tx) => organizationRepository.find(tx, orgId));
    if (!row) throw new AppError("not_found", "no such organization");
    return view(row);
  }

  async many(orgIds: string[]): Promise<OrganizationView[]> {
    return (await this.database.asService((tx) => organizationRepository.findMany(tx, orgIds))).map(view);
  }

  /** A page of these organizations by name (a caller's own: a person's memberships, an API key's org). */
  async page(orgIds: string[], page: PageRequest): Promise<Page<OrganizationView>> {
    const cursor = decodeCursor(page.cursor, 2);
    const key = (o: OrganizationView) => `${o.org_name}\u0000${o.org_id}`;
    const after = cursor && `${cursorString(cursor[0])}\u0000${cursorString(cursor[1])}`;
    const sorted = (await this.many(orgIds))
      .sort((a, b) => (key(a) < key(b) ? -1 : 1))
      .filter((o) => !after || key(o) > after);
    return pageOf(sorted.slice(0, page.limit + 1), page.limit, (o) => [o.org_name, o.org_id]);
  }
}

const slugTaken = (slug: string) =>
  new AppError("conflict", `an organization with slug "${slug}" already exists`, { slug: "taken" });
