// The biennial controlled-substance inventory through the HTTP API, on PGlite and PostgreSQL: a known
// sequence of receipts, checkouts and disposals gives known counts per substance; the period's bounds
// are whole days, both included; another organization's caller sees 404 and a bad period changes nothing.
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorHandler } from "../../../../shared/http/errors.js";
import { silentLogger } from "../../../../shared/logger.js";
import { chemicalInventory, containerTransactions } from "../../../../shared/schema/tenant.js";
import { seedCabinet } from "../../../../test/support/cabinet-rows.js";
import { backends } from "../../../../test/support/databases.js";
import { AccountService } from "../../../accounts/account.service.js";
import { PasswordHasher } from "../../../accounts/password.js";
import { ApiKeyService } from "../../../apikeys/api-key.service.js";
import { AccessService } from "../../../authz/access.service.js";
import { callerAuth } from "../../../authz/caller.middleware.js";
import { ControlledInventoryService } from "../../../controlled/controlled-inventory.service.js";
import type { Database } from "../../../db/database.js";
import { migrateAll } from "../../../db/migrator.js";
import { HistoryService } from "../../../history/history.service.js";
import { ContainerService } from "../../../inventory/container.service.js";
import { LabelService } from "../../../labels/label.service.js";
import { OrganizationService } from "../../../orgs/organization.service.js";
import { RateLimitRepository } from "../../../security/rate-limit.repository.js";
import { RateLimitService } from "../../../security/rate-limit.service.js";
import { SignatureService } from "../../../signatures/signature.service.js";
import { containerRoutes } from "../containers/containers.routes.js";
import { signatureRoutes } from "../signatures/signatures.routes.js";
import { createV1App } from "../v1.app.js";
import { controlledRoutes } from "./controlled.routes.js";

const PASSWORD = "a-long-enough-password";
const MORPHINE = { chemical_name: "Morphine sulfate", cas_number: "64-31-3", dea_schedule: "II" as const };
const DIAZEPAM = { chemical_name: "Diazepam", cas_number: "439-14-5", dea_schedule: "IV" as const };

describe.each(backends)("controlled-substance inventory on $name", (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let app: Hono;
  let org: string;
  let morphineB = "";
  const tokens: Record<string, string> = {};

  const get = (who: string, query: string, orgId = org) =>
    app.request(`/api/v1/orgs/${orgId}/controlled-substances/inventory?${query}`, {
      headers: { authorization: `Bearer ${tokens[who]}` },
    });

  beforeAll(async () => {
    ({ database, dispose } = await backend.create());
    await migrateAll(database);
    const limits = new RateLimitService(new RateLimitRepository(database));
    const accounts = new AccountService(database, {
      hasher: new PasswordHasher({ params: { N: 1024, r: 8, p: 1 } }),
      limits,
    });
    const orgs = new OrganizationService(database);
    org = (await orgs.create({ name: "Pharmacy", slug: "pharmacy", type: "pharma" })).org_id;
    const other = (await orgs.create({ name: "Elsewhere", slug: "elsewhere", type: "pharma" })).org_id;
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
    await database.withTenant(org, async (tx) => {
      const cabinetId = await seedCabinet(tx, "CAB-DEA");
      let n = 0;
      const container = async (
        substance: typeof MORPHINE | typeof DIAZEPAM | { chemical_name: string; cas_number: string },
        date_received: string,
        disposal_date?: string,
      ) => {
        const [row] = await tx
          .insert(chemicalInventory)
          .values({
            ...substance,
            cabinet_id: cabinetId,
            qr_code: `LILO:C:9${String(++n).padStart(5, "0")}`,
            shelf_level: 1,
            quantity: "10",
            unit: "mL",
            date_received,
            disposal_date,
            status: disposal_date ? "disposed" : "in_cabinet",
          })
          .returning();
        return row!;
      };
      // Period 2025-01-01 .. 2026-12-31. Morphine: A before (stays), B received in it, C before and
      // disposed in it, D received and disposed before it, E received after it.
      const a = await container(MORPHINE, "2024-12-01");
      const b = await container(MORPHINE, "2025-03-01");
      morphineB = b.container_id;
      await container(MORPHINE, "2024-06-01", "2025-06-15");
      await container(MORPHINE, "2024-01-01", "2024-10-01");
      await container(MORPHINE, "2027-01-05");
      // Diazepam received on the period's last day; acetone is not controlled.
      await container(DIAZEPAM, "2026-12-31");
      await container({ chemical_name: "Acetone", cas_number: "67-64-1" }, "2025-02-02");
      const checkout = (c: typeof a, at: string) => ({
        container_id: c.container_id,
        transaction_type: "checkout" as const,
        qr_code: c.qr_code,
        user_id: randomUUID(),
        source_cabinet_id: cabinetId,
        checkout_timestamp: new Date(at),
        status: "returned" as const,
      });
      await tx.insert(containerTransactions).values([
        checkout(a, "2024-12-31T23:59:59Z"), // before
        checkout(a, "2025-02-01T10:00:00Z"),
        checkout(a, "2026-12-31T23:30:00Z"), // the last day counts
        checkout(b, "2027-01-01T00:00:00Z"), // after
      ]);
    });
    app = new Hono();
    app.onError(errorHandler(silentLogger));
    app.route(
      "/",
      createV1App({
        caller: callerAuth({ accounts, apiKeys: new ApiKeyService(database, limits) }),
        routers: [
          controlledRoutes({
            access: new AccessService(database),
            inventory: new ControlledInventoryService(database),
          }),
          containerRoutes({
            access: new AccessService(database),
            containers: new ContainerService(database, new LabelService(database)),
            history: new HistoryService(database),
          }),
          signatureRoutes({
            access: new AccessService(database),
            signatures: new SignatureService(database, accounts),
          }),
        ],
      }),
    );
  });
  afterAll(() => dispose?.());

  it("counts opening, receipts, checkouts, disposals and closing per substance", async () => {
    const res = await get("manager", "from=2025-01-01&to=2026-12-31");
    expect(res.status).toBe(200);
    const table = (await res.json()) as { title: string; columns: { key: string }[]; rows: unknown[] };
    expect(table.title).toBe("Controlled substances inventory 2025-01-01 to 2026-12-31");
    expect(table.columns.map((c) => c.key)).toEqual([
      "substance",
      "cas_number",
      "dea_schedule",
      "opening",
      "received",
      "checked_out",
      "disposed",
      "closing",
    ]);
    expect(table.rows).toEqual([
      {
        substance: "Diazepam",
        cas_number: "439-14-5",
        dea_schedule: "IV",
        opening: 0,
        received: 1,
        checked_out: 0,
        disposed: 0,
        closing: 1,
      },
      {
        substance: "Morphine sulfate",
        cas_number: "64-31-3",
        dea_schedule: "II",
        opening: 2,
        received: 1,
        checked_out: 2,
        disposed: 1,
        closing: 2,
      },
    ]);
    // The next period opens with the last one's closing count.
    const next = (await (await get("manager", "from=2027-01-01&to=2028-12-31")).json()) as {
      rows: Record<string, unknown>[];
    };
    expect(next.rows.find((r) => r.substance === "Morphine sulfate")).toMatchObject({
      opening: 2,
      received: 1,
      checked_out: 1,
      closing: 3,
    });
  });

  it("another organization's caller sees 404; a member without event:read 403; a bad period 400", async () => {
    const foreign = await get("outsider", "from=2025-01-01&to=2026-12-31");
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(await foreign.json())).not.toContain("Morphine");
    expect((await get("member", "from=2025-01-01&to=2026-12-31")).status).toBe(403);
    const reversed = await get("manager", "from=2026-12-31&to=2025-01-01");
    expect(reversed.status).toBe(400);
    expect(await reversed.json()).toMatchObject({ error: { code: "validation_failed" } });
    expect((await get("manager", "from=yesterday&to=2025-01-01")).status).toBe(400);
  });

  it("disposing of a controlled container files a disposal its disposer signs with their password", async () => {
    const headers = { authorization: `Bearer ${tokens.manager}`, "content-type": "application/json" };
    const disposed = await app.request(`/api/v1/orgs/${org}/containers/${morphineB}/dispose`, {
      method: "POST",
      headers,
      body: JSON.stringify({ disposal_method: "reverse distributor", disposal_date: "2027-02-01" }),
    });
    expect(disposed.status).toBe(200);
    const transactionId = await database.withTenant(org, async (tx) => {
      const rows = await tx.select().from(containerTransactions);
      return rows.find((t) => t.container_id === morphineB && t.transaction_type === "dispose")!
        .transaction_id;
    });
    const signed = await app.request(`/api/v1/orgs/${org}/signatures`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        record_type: "controlled_substance_disposal",
        record_id: transactionId,
        meaning: "performed",
        password: PASSWORD,
      }),
    });
    expect(signed.status).toBe(201);
    expect(await signed.json()).toMatchObject({ meaning: "performed", valid: true });
    const next = (await (await get("manager", "from=2027-01-01&to=2028-12-31")).json()) as {
      rows: Record<string, unknown>[];
    };
    expect(next.rows.find((r) => r.substance === "Morphine sulfate")).toMatchObject({
      disposed: 1,
      closing: 2,
    });
  });
});
