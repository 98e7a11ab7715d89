// Electronic signatures through the HTTP API, on PGlite and PostgreSQL: a manager signs a resolved
// spill with their password; a wrong password, an unresolved alert, a technician or another
// organization's caller signs nothing; a later edit of the alert shows the signature as no longer valid.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorHandler } from "../../../../shared/http/errors.js";
import { silentLogger } from "../../../../shared/logger.js";
import { electronicSignatures, safetyAlerts, unifiedEventLog } from "../../../../shared/schema/tenant.js";
import { seedCabinet } from "../../../../test/support/cabinet-rows.js";
import { backends } from "../../../../test/support/databases.js";
import { AccountService } from "../../../accounts/account.service.js";
import { PasswordHasher } from "../../../accounts/password.js";
import { ApiKeyService } from "../../../apikeys/api-key.service.js";
import { AccessService } from "../../../authz/access.service.js";
import { callerAuth } from "../../../authz/caller.middleware.js";
import type { Database } from "../../../db/database.js";
import { migrateAll } from "../../../db/migrator.js";
import { OrganizationService } from "../../../orgs/organization.service.js";
import { RateLimitRepository } from "../../../security/rate-limit.repository.js";
import { RateLimitService } from "../../../security/rate-limit.service.js";
import { SignatureService } from "../../../signatures/signature.service.js";
import { createV1App } from "../v1.app.js";
import { signatureRoutes } from "./signatures.routes.js";

const PASSWORD = "a-long-enough-password";

describe.each(backends)("electronic signatures on $name", (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let app: Hono;
  let org: string;
  let alertId = "";
  let openAlertId = "";
  const tokens: Record<string, string> = {};

  const call = (who: string, method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const signaturesOf = async (id: string) =>
    (await (
      await call(
        "manager",
        "GET",
        `/api/v1/orgs/${org}/signatures?record_type=spill_resolution&record_id=${id}`,
      )
    ).json()) as {
      items: { valid: boolean; meaning: string; signer_name: string; record_hash: string }[];
    };

  beforeAll(async () => {
    ({ database, dispose } = await backend.create());
    await migrateAll(database);
    const limits = new RateLimitService(new RateLimitRepository(database));
    const accounts = new AccountService(database, {
      hasher: new PasswordHasher({ params: { N: 1024, r: 8, p: 1 } }),
      limits,
    });
    const orgs = new OrganizationService(database);
    org = (await orgs.create({ name: "Signers", slug: "signers", type: "pharma" })).org_id;
    const other = (await orgs.create({ name: "Others", slug: "others", type: "pharma" })).org_id;
    for (const [who, orgId, role] of [
      ["manager", org, "manager"],
      ["member", org, "member"],
      ["outsider", other, "owner"],
    ] as const) {
      await accounts.create({
        email: `${who}@example.org`,
        password: PASSWORD,
        org_id: orgId,
        org_role: role,
      });
      tokens[who] = (await accounts.login(`${who}@example.org`, PASSWORD)).token;
    }
    const cabinetId = await database.withTenant(org, (tx) => seedCabinet(tx, "CAB-SIGN"));
    [alertId, openAlertId] = await database.withTenant(org, async (tx) => {
      const rows = await tx
        .insert(safetyAlerts)
        .values([
          {
            cabinet_id: cabinetId,
            alert_type: "spill" as const,
            severity: "high" as const,
            title: "Spill on shelf 2",
            status: "resolved",
            resolution_notes: "absorbed, bagged",
          },
          {
            cabinet_id: cabinetId,
            alert_type: "spill" as const,
            severity: "high" as const,
            title: "Spill on shelf 3",
            status: "open",
          },
        ])
        .returning();
      return [rows[0]!.alert_id, rows[1]!.alert_id];
    });
    app = new Hono();
    app.onError(errorHandler(silentLogger));
    app.route(
      "/",
      createV1App({
        caller: callerAuth({ accounts, apiKeys: new ApiKeyService(database, limits) }),
        routers: [
          signatureRoutes({
            access: new AccessService(database),
            signatures: new SignatureService(database, accounts),
          }),
        ],
      }),
    );
  });
  afterAll(() => dispose?.());

  const sign = (who: string, record_id: string, password = PASSWORD) =>
    call(who, "POST", `/api/v1/orgs/${org}/signatures`, {
      record_type: "spill_resolution",
      record_id,
      meaning: "approved",
      password,
      reason: "clean-up checked on site",
    });

  it("refuses a wrong password, an unresolved alert, a member without alert:resolve and another organization, signing nothing", async () => {
    const wrong = await sign("manager", alertId, "not-my-password");
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      error: { code: "validation_failed", fields: { password: "does not match" } },
    });
    expect((await sign("manager", openAlertId)).status).toBe(409);
    expect((await sign("member", alertId)).status).toBe(403);
    expect((await sign("outsider", alertId)).status).toBe(404);
    expect((await sign("manager", randomUUID())).status).toBe(404);
    const bad = await call("manager", "POST", `/api/v1/orgs/${org}/signatures`, {
      record_type: "spill_resolution",
      record_id: alertId,
      meaning: "liked",
      password: PASSWORD,
    });
    expect(bad.status).toBe(400);
    expect(await database.withTenant(org, (tx) => tx.select().from(electronicSignatures))).toEqual([]);
  });

  it("binds the signature to the record, records it in the audit trail, and shows it invalid after a later edit", async () => {
    const signed = await sign("manager", alertId);
    expect(signed.status).toBe(201);
    const signature = (await signed.json()) as { signature_id: string; valid: boolean; record_hash: string };
    expect(signature).toMatchObject({ valid: true, meaning: "approved", signer_name: "manager@example.org" });
    const [event] = await database.withTenant(org, (tx) =>
      tx
        .select()
        .from(unifiedEventLog)
        .where(
          eq(
            unifiedEventLog.changes_summary,
            `manager@example.org signed spill_resolution ${alertId} as approved`,
          ),
        ),
    );
    expect(event?.event_details).toMatchObject({
      action: "electronic_signature",
      record_hash: signature.record_hash,
    });
    expect((await signaturesOf(alertId)).items.map((s) => s.valid)).toEqual([true]);

    await database.withTenant(org, (tx) =>
      tx.update(safetyAlerts).set({ resolution_notes: "absorbed" }).where(eq(safetyAlerts.alert_id, alertId)),
    );
    expect((await signaturesOf(alertId)).items).toMatchObject([
      { valid: false, record_hash: signature.record_hash },
    ]);
    // Changing it back restores exactly what was signed.
    await database.withTenant(org, (tx) =>
      tx
        .update(safetyAlerts)
        .set({ resolution_notes: "absorbed, bagged" })
        .where(eq(safetyAlerts.alert_id, alertId)),
    );
    expect((await signaturesOf(alertId)).items.map((s) => s.valid)).toEqual([true]);
  });
});
