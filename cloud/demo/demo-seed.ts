// The demo organization: a department, a lab, a 4-shelf cabinet, a technician with badge and PIN, a
// lab manager with a password, and real chemicals on the shelves. Created once; a second start with
// the same database finds it by its slug and reuses it.
import { eq } from "drizzle-orm";
import { DEMO_CHEMICALS, stockPlacement } from "../../shared/chemicals.js";
import { badgeDigest, hashPin } from "../../shared/credential-hash.js";
import { labelFor } from "../../shared/labels/label-code.js";
import { organizations } from "../../shared/schema/platform.js";
import {
  accessCredentials,
  cabinets,
  chemicalInventory,
  departments,
  laboratories,
  userRoleAssignments,
} from "../../shared/schema/tenant.js";
import { AccountService } from "../accounts/account.service.js";
import { systemRoleId } from "../authz/system-roles.js";
import type { Database } from "../db/database.js";
import { tenantSchemaName } from "../db/names.js";
import { OrganizationService } from "../orgs/organization.service.js";

export const DEMO_SLUG = "lilo-demo";
export const DEMO_SHELVES = [1, 2, 3, 4];

export interface DemoPerson {
  name: string;
  email: string;
  password: string | null;
  badge: string;
  /** Typed at the cabinet's PIN pad before the PIN. */
  user_number: number;
  pin: string;
  role: string;
  user_id: string;
}

export interface DemoOrg {
  org_id: string;
  tenant_schema: string;
  cabinet_id: string;
  created: boolean;
  users: DemoPerson[];
  /** Where each container's label sits on the simulated shelves. */
  placements: { qr_code: string; shelf: number; x: number; y: number }[];
}

const PEOPLE = [
  {
    first: "Tina",
    last: "Technician",
    email: "tina.technician@demo.lilo.example",
    password: null,
    badge: "BADGE-TECH-0001",
    user_number: 1001,
    pin: "471147",
    role: "technician",
    org_role: "member" as const,
  },
  {
    first: "Max",
    last: "Manager",
    email: "max.manager@demo.lilo.example",
    password: "lilo-demo-manager",
    badge: "BADGE-MGR-0002",
    user_number: 1002,
    pin: "246810",
    role: "lab_manager",
    org_role: "manager" as const,
  },
];

const demoPerson = (p: (typeof PEOPLE)[number], user_id: string): DemoPerson => ({
  name: `${p.first} ${p.last}`,
  email: p.email,
  password: p.password,
  badge: p.badge,
  user_number: p.user_number,
  pin: p.pin,
  role: p.role,
  user_id,
});

/** The cloud's form of a person's badge and PIN (`shared/credential-hash.ts`). */
const credentialColumns = async (u: DemoPerson) => ({
  badge_hash: badgeDigest(u.badge),
  pin_hash: await hashPin(u.pin),
  user_number: u.user_number,
});

const PLACEMENTS = DEMO_CHEMICALS.map((_, i) => ({
  qr_code: labelFor(i + 1),
  ...stockPlacement(i, DEMO_SHELVES),
}));

export async function ensureDemoOrg(database: Database): Promise<DemoOrg> {
  const [existing] = await database.asService((tx) =>
    tx.select().from(organizations).where(eq(organizations.org_slug, DEMO_SLUG)),
  );
  const accounts = new AccountService(database);
  if (existing) {
    const org_id = existing.org_id;
    const [cab] = await database.withTenant(org_id, (tx) =>
      tx.select().from(cabinets).where(eq(cabinets.cabinet_code, "DEMO-CAB-1")),
    );
    const people = await database.withTenant(org_id, (tx) => tx.select().from(accessCredentials));
    // A demo database from before per-cabinet keys holds 4-digit PINs under the tenant key: re-enrol.
    for (const p of people.filter((x) => x.user_number === null)) {
      const demo = PEOPLE.find((x) => x.email === p.email);
      if (!demo) continue;
      const columns = await credentialColumns(demoPerson(demo, p.user_id));
      await database.withTenant(org_id, (tx) =>
        tx.update(accessCredentials).set(columns).where(eq(accessCredentials.user_id, p.user_id)),
      );
    }
    return {
      org_id,
      tenant_schema: tenantSchemaName(org_id),
      cabinet_id: cab!.cabinet_id,
      created: false,
      users: PEOPLE.map((p) => demoPerson(p, people.find((x) => x.email === p.email)!.user_id)),
      placements: PLACEMENTS,
    };
  }

  const { org_id } = await new OrganizationService(database).create({
    name: "L.I.L.O. Demo University",
    slug: DEMO_SLUG,
    type: "university",
    tier: "professional",
  });
  const users: DemoPerson[] = [];
  for (const p of PEOPLE) {
    const password = p.password ?? `unused-${crypto.randomUUID()}`;
    const { user_id } = await accounts.create({
      email: p.email,
      password,
      first_name: p.first,
      last_name: p.last,
      org_id,
      org_role: p.org_role,
    });
    users.push(demoPerson(p, user_id));
  }
  const cabinet_id = await database.withTenant(org_id, async (tx) => {
    const [dept] = await tx
      .insert(departments)
      .values({ dept_name: "Department of Chemistry", dept_code: "CHEM", building: "Science Hall" })
      .returning();
    const [lab] = await tx
      .insert(laboratories)
      .values({
        dept_id: dept!.dept_id,
        lab_name: "Organic Synthesis Lab",
        lab_code: "CHEM-301",
        building: "Science Hall",
        floor: "3",
        room_number: "301",
        lab_type: "research",
      })
      .returning();
    const [cab] = await tx
      .insert(cabinets)
      .values({
        lab_id: lab!.lab_id,
        cabinet_name: "Flammables cabinet 1",
        cabinet_code: "DEMO-CAB-1",
        num_shelves: DEMO_SHELVES.length,
        storage_type: "flammable",
        ventilated: true,
        precise_location: "North wall, next to fume hood 2",
      })
      .returning();
    // The system roles exist in every organization (cloud/authz/system-roles.ts).
    const tech = await systemRoleId(tx, "technician");
    const manager = await systemRoleId(tx, "lab_manager");
    for (const u of users) {
      await tx.insert(accessCredentials).values({
        user_id: u.user_id,
        display_name: u.name,
        email: u.email,
        ...(await credentialColumns(u)),
      });
      await tx.insert(userRoleAssignments).values({
        user_id: u.user_id,
        role_id: (u.role === "technician" ? tech : manager)!,
        scope_type: "lab",
        scope_id: lab!.lab_id,
      });
    }
    const today = new Date().toISOString().slice(0, 10);
    await tx.insert(chemicalInventory).values(
      DEMO_CHEMICALS.map((chem, i) => ({
        ...chem,
        cabinet_id: cab!.cabinet_id,
        qr_code: labelFor(i + 1),
        shelf_level: PLACEMENTS[i]!.shelf,
        initial_quantity: chem.quantity,
        supplier: "Sigma-Aldrich",
        status: "in_cabinet",
        date_received: today,
      })),
    );
    return cab!.cabinet_id;
  });
  return {
    org_id,
    tenant_schema: tenantSchemaName(org_id),
    cabinet_id,
    created: true,
    users,
    placements: PLACEMENTS,
  };
}
