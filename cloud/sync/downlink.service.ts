// Builds the snapshot a cabinet needs: its configuration, the people allowed there (keyed hashes of
// badge and PIN only), their roles, and its containers.
import { createHash } from "node:crypto";
import { and, eq, inArray, or } from "drizzle-orm";
import { canonicalJson } from "../../shared/canonical-json.js";
import { cabinetBadgeHash, cabinetKey, cabinetPinHash } from "../../shared/credential-hash.js";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { AppError } from "../../shared/errors.js";
import {
  accessCredentials,
  cabinets,
  chemicalInventory,
  laboratories,
  roles,
  userRoleAssignments,
} from "../../shared/schema/tenant.js";
import type { DownlinkSnapshot } from "../../shared/sync/downlink.js";
import type { Database } from "../db/database.js";
import { credentialSecret } from "../devices/provisioning.service.js";
import type { CommandKeyService } from "../fleet/command-key.service.js";

export class DownlinkService {
  constructor(
    private readonly database: Database,
    private readonly commandKeys?: CommandKeyService,
  ) {}

  async snapshot(device: DeviceIdentity): Promise<DownlinkSnapshot> {
    // Outside the tenant transaction: the key lives in the platform schema (and may be created now).
    const commandKey = await this.commandKeys?.publicKey(device.org_id);
    return this.database.withTenant(device.org_id, async (tx) => {
      const [cabinet] = await tx.select().from(cabinets).where(eq(cabinets.cabinet_id, device.cabinet_id));
      if (!cabinet) throw new AppError("not_found", "this device's cabinet no longer exists");
      const [lab] = await tx.select().from(laboratories).where(eq(laboratories.lab_id, cabinet.lab_id));
      const scope = {
        org_id: device.org_id,
        dept_id: lab!.dept_id,
        lab_id: cabinet.lab_id,
        cabinet_id: cabinet.cabinet_id,
      };
      const assignments = await tx
        .select()
        .from(userRoleAssignments)
        .where(
          and(
            eq(userRoleAssignments.is_active, true),
            or(
              and(
                eq(userRoleAssignments.scope_type, "organization"),
                eq(userRoleAssignments.scope_id, scope.org_id),
              ),
              and(
                eq(userRoleAssignments.scope_type, "department"),
                eq(userRoleAssignments.scope_id, scope.dept_id),
              ),
              and(eq(userRoleAssignments.scope_type, "lab"), eq(userRoleAssignments.scope_id, scope.lab_id)),
              and(
                eq(userRoleAssignments.scope_type, "cabinet"),
                eq(userRoleAssignments.scope_id, scope.cabinet_id),
              ),
            ),
          ),
        );
      const userIds = [...new Set(assignments.map((a) => a.user_id))];
      const people = userIds.length
        ? await tx.select().from(accessCredentials).where(inArray(accessCredentials.user_id, userIds))
        : [];
      // The cabinet gets its own key and only values keyed with it; the tenant's master key stays here.
      const key = cabinetKey(await credentialSecret(tx), cabinet.cabinet_id);
      const body = {
        scope,
        credential_secret: key,
        ...(commandKey ? { command_key: commandKey } : {}),
        cabinet: { ...cabinet },
        roles: await tx.select().from(roles),
        assignments,
        people: people.map((p) => ({
          user_id: p.user_id,
          display_name: p.display_name,
          email: p.email,
          badge_hash: p.badge_hash && cabinetBadgeHash(key, p.badge_hash),
          pin_hash: (p.pin_hash && cabinetPinHash(key, p.pin_hash)) ?? null,
          user_number: p.user_number,
          status: p.status,
        })),
        containers: (
          await tx
            .select()
            .from(chemicalInventory)
            .where(eq(chemicalInventory.cabinet_id, cabinet.cabinet_id))
        ).map(({ tsv: _, ...c }) => c),
      };
      const json = JSON.parse(canonicalJson(body)) as Omit<DownlinkSnapshot, "version">;
      return {
        version: createHash("sha256").update(canonicalJson(json)).digest("hex").slice(0, 32),
        ...json,
      };
    });
  }
}
