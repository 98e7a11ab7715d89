// Fills a simulated cabinet's local database and shelves for a standalone run or a test: the cabinet,
// roles, people with badge and PIN, and real chemicals with printed labels. On a provisioned cabinet the
// same tables are filled by the cloud's downlink instead.
import { randomUUID } from "node:crypto";
import { DEMO_CHEMICALS, stockPlacement } from "../../shared/chemicals.js";
import { cabinetPinHash, hashPinSync, swipedBadgeHash } from "../../shared/credential-hash.js";
import { MANAGER_PERMISSIONS, TECHNICIAN_PERMISSIONS } from "../../shared/permissions.js";
import type { CabinetScope } from "../auth/auth.service.js";
import type { LocalDatabase } from "../db/local-database.js";
import { cabinets, chemicalInventory, localUsers, roles, userRoleAssignments } from "../db/schema.js";
import type { SimCabinet } from "../hardware/sim-cabinet.js";

export interface SeedPerson {
  user_id: string;
  display_name: string;
  email: string;
  badge: string;
  /** Typed before the PIN; a person without one has no usable PIN (the PIN is not stored). */
  user_number?: number;
  pin: string;
  role: "technician" | "lab_manager";
}

export interface SeedOptions {
  scope: CabinetScope;
  /** This cabinet's own key (`credentialSecret`). */
  secret: string;
  shelves: number[];
  people: SeedPerson[];
  /** How many of DEMO_CHEMICALS to place, spread over the shelves. */
  containers?: number;
  requiresDualApproval?: boolean;
}

export { labelFor } from "../../shared/labels/label-code.js";

import { labelFor } from "../../shared/labels/label-code.js";

export function seedLocalCabinet(local: LocalDatabase, sim: SimCabinet, opts: SeedOptions) {
  const { scope, secret } = opts;
  const now = new Date();
  return local.transaction((db) => {
    if (db.select().from(cabinets).all().length > 0) return { seeded: false };
    db.insert(cabinets)
      .values({
        cabinet_id: scope.cabinet_id,
        lab_id: scope.lab_id,
        cabinet_name: "Flammables cabinet A",
        cabinet_code: "CAB-A",
        num_shelves: opts.shelves.length,
        storage_type: "flammable",
        requires_dual_approval: opts.requiresDualApproval ?? false,
      })
      .run();
    const roleIds: Record<SeedPerson["role"], string> = {
      technician: randomUUID(),
      lab_manager: randomUUID(),
    };
    db.insert(roles)
      .values([
        {
          role_id: roleIds.technician,
          role_name: "Technician",
          role_slug: "technician",
          is_system_role: true,
          permissions: TECHNICIAN_PERMISSIONS,
        },
        {
          role_id: roleIds.lab_manager,
          role_name: "Lab manager",
          role_slug: "lab_manager",
          is_system_role: true,
          permissions: MANAGER_PERMISSIONS,
        },
      ])
      .run();
    for (const p of opts.people) {
      db.insert(localUsers)
        .values({
          user_id: p.user_id,
          display_name: p.display_name,
          email: p.email,
          badge_hash: swipedBadgeHash(secret, p.badge),
          pin_hash: p.user_number === undefined ? null : (cabinetPinHash(secret, hashPinSync(p.pin)) ?? null),
          user_number: p.user_number,
          status: "active",
          updated_at: now.toISOString(),
        })
        .run();
      db.insert(userRoleAssignments)
        .values({ user_id: p.user_id, role_id: roleIds[p.role], scope_type: "lab", scope_id: scope.lab_id })
        .run();
    }
    const count = Math.min(opts.containers ?? DEMO_CHEMICALS.length, DEMO_CHEMICALS.length);
    for (let i = 0; i < count; i++) {
      const chem = DEMO_CHEMICALS[i]!;
      const { shelf, x, y } = stockPlacement(i, opts.shelves);
      const qr_code = labelFor(i + 1);
      db.insert(chemicalInventory)
        .values({
          ...chem,
          cabinet_id: scope.cabinet_id,
          qr_code,
          shelf_level: shelf,
          initial_quantity: chem.quantity,
          status: "in_cabinet",
          date_received: now.toISOString().slice(0, 10),
        })
        .run();
      sim.addContainer(shelf, { qr_code, x, y });
    }
    return { seeded: true };
  });
}
