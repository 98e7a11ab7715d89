// Controlled substances (docs/controlled-substances.md): the biennial inventory of the organization's
// DEA-scheduled containers for a period. Organization-wide, so it needs `event:read` there.
import { createRoute, z } from "@hono/zod-openapi";
import type { AccessService } from "../../../authz/access.service.js";
import type { ControlledInventoryService } from "../../../controlled/controlled-inventory.service.js";
import { createApiRouter, ERROR_RESPONSES, json, OrgParams, SECURITY } from "../openapi.js";

const Cell = z.union([z.string(), z.number(), z.null()]);
const InventoryTable = z
  .object({
    title: z.string(),
    columns: z.array(z.object({ key: z.string(), label: z.string() })),
    rows: z.array(z.record(z.string(), Cell)).openapi({
      description:
        "one row per substance: substance, cas_number, dea_schedule, opening, received, checked_out, disposed, closing (containers)",
    }),
  })
  .openapi("ControlledInventory");

/** Whole UTC days, both included; the service checks that `from` is not after `to`. */
const Period = z.object({
  from: z.iso.date().openapi({ description: "first day (YYYY-MM-DD)" }),
  to: z.iso.date().openapi({ description: "last day, included (YYYY-MM-DD)" }),
});

export function controlledRoutes(deps: { access: AccessService; inventory: ControlledInventoryService }) {
  const { access, inventory } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/controlled-substances/inventory",
      tags: ["Controlled substances"],
      summary:
        "Biennial inventory: opening count, receipts, checkouts, disposals and closing count per substance",
      security: SECURITY,
      request: { params: OrgParams, query: Period },
      responses: { 200: json(InventoryTable, "the inventory"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      (await access.forOrg(c.get("caller"), org)).require("event:read");
      return c.json(await inventory.inventory(org, c.req.valid("query")), 200);
    },
  );

  return app;
}
