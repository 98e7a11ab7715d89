// What happened: transactions (overdue and open first), scans, and the event log with full-text search.
import { createRoute, z } from "@hono/zod-openapi";
import type { AccessService } from "../../../authz/access.service.js";
import {
  EventQuery,
  type HistoryService,
  ScanQuery,
  TransactionQuery,
} from "../../../history/history.service.js";
import {
  createApiRouter,
  ERROR_RESPONSES,
  json,
  OrgParams,
  PageQuery,
  pageSchema,
  SECURITY,
  Timestamp,
  Uuid,
} from "../openapi.js";

const Transaction = z
  .looseObject({
    transaction_id: z.uuid(),
    container_id: z.uuid(),
    transaction_type: z.string(),
    qr_code: z.string(),
    user_id: z.uuid(),
    user_name: z.string().nullable(),
    checkout_timestamp: Timestamp,
    expected_return_timestamp: Timestamp,
    actual_return_timestamp: Timestamp,
    source_cabinet_id: z.uuid().nullable(),
    status: z.string().nullable(),
    overdue: z.boolean(),
  })
  .openapi("Transaction");

const Scan = z
  .looseObject({
    scan_id: z.uuid(),
    cabinet_id: z.uuid(),
    shelf_id: z.number().int(),
    scan_timestamp: Timestamp,
    trigger_type: z.string(),
    image_s3_key: z.string(),
    qr_codes_found: z.array(z.string()).nullable(),
  })
  .openapi("Scan");

export const EventEntry = z
  .looseObject({
    event_id: z.uuid(),
    event_timestamp: Timestamp,
    event_type: z.string(),
    event_category: z.string().nullable(),
    severity: z.string().nullable(),
    cabinet_id: z.uuid().nullable(),
    container_id: z.uuid().nullable(),
    user_name: z.string().nullable(),
    changes_summary: z.string().nullable(),
    event_details: z.unknown(),
  })
  .openapi("Event");

const tags = ["History"];

export function historyRoutes(deps: { access: AccessService; history: HistoryService }) {
  const { access, history } = deps;
  const app = createApiRouter();
  const TxQuery = PageQuery.extend(TransactionQuery.shape);
  const ScQuery = PageQuery.extend(ScanQuery.shape);
  const EvQuery = PageQuery.extend(EventQuery.shape);

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/transactions",
      tags,
      summary:
        "Checkouts, returns and other transactions: overdue first, then open, then closed; newest first in each",
      security: SECURITY,
      request: { params: OrgParams, query: TxQuery },
      responses: {
        200: json(pageSchema(Transaction, "TransactionPage"), "a page of transactions"),
        ...ERROR_RESPONSES,
      },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      const { limit, cursor, ...filter } = c.req.valid("query");
      return c.json((await history.transactions(a, filter, { limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/transactions/{transaction}",
      tags,
      summary: "One transaction",
      security: SECURITY,
      request: { params: OrgParams.extend({ transaction: Uuid("transaction") }) },
      responses: { 200: json(Transaction, "the transaction"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, transaction } = c.req.valid("param");
      return c.json(
        (await history.transaction(await access.forOrg(c.get("caller"), org), transaction)) as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/scans",
      tags,
      summary: "Shelf scans, newest first",
      security: SECURITY,
      request: { params: OrgParams, query: ScQuery },
      responses: { 200: json(pageSchema(Scan, "ScanPage"), "a page of scans"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      const { limit, cursor, ...filter } = c.req.valid("query");
      return c.json((await history.scans(a, filter, { limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/scans/{scan}",
      tags,
      summary: "One scan",
      security: SECURITY,
      request: { params: OrgParams.extend({ scan: Uuid("scan") }) },
      responses: { 200: json(Scan, "the scan"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, scan } = c.req.valid("param");
      return c.json((await history.scan(await access.forOrg(c.get("caller"), org), scan)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/events",
      tags,
      summary: "The event log, newest first; `q` searches it in full text",
      security: SECURITY,
      request: { params: OrgParams, query: EvQuery },
      responses: { 200: json(pageSchema(EventEntry, "EventPage"), "a page of events"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const a = await access.forOrg(c.get("caller"), c.req.valid("param").org);
      const { limit, cursor, ...filter } = c.req.valid("query");
      return c.json((await history.events(a, filter, { limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/events/{event}",
      tags,
      summary: "One event",
      security: SECURITY,
      request: { params: OrgParams.extend({ event: Uuid("event") }) },
      responses: { 200: json(EventEntry, "the event"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org, event } = c.req.valid("param");
      return c.json((await history.event(await access.forOrg(c.get("caller"), org), event)) as never, 200);
    },
  );

  return app;
}
