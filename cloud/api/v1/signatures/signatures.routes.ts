// Electronic signatures of an organization's records (docs/audit.md): a signed-in person signs with
// their password and a stated meaning; anyone who may read events sees a record's signatures and
// whether each still holds.
import { createRoute, z } from "@hono/zod-openapi";
import { SIGNATURE_MEANINGS, SIGNED_RECORD_TYPES, type SignedRecordType } from "../../../../shared/enums.js";
import { AppError } from "../../../../shared/errors.js";
import type { Permission } from "../../../../shared/permissions.js";
import type { AccessService } from "../../../authz/access.service.js";
import { type SignatureService, SignInput } from "../../../signatures/signature.service.js";
import {
  createApiRouter,
  ERROR_RESPONSES,
  json,
  jsonBody,
  OrgParams,
  SECURITY,
  Timestamp,
} from "../openapi.js";

const Signature = z
  .object({
    signature_id: z.uuid(),
    record_type: z.enum(SIGNED_RECORD_TYPES),
    record_id: z.uuid(),
    signer_user_id: z.uuid(),
    signer_name: z.string(),
    meaning: z.enum(SIGNATURE_MEANINGS),
    reason: z.string().nullable(),
    signed_at: Timestamp,
    record_hash: z.string().openapi({ description: "SHA-256 of the record's content when signed" }),
    valid: z.boolean().openapi({ description: "false once the record has changed since it was signed" }),
  })
  .openapi("Signature");

const RecordQuery = z.object({ record_type: z.enum(SIGNED_RECORD_TYPES), record_id: z.uuid() });

/** Who may sign what: the permission that governs the record itself. */
const SIGNING_PERMISSION: Record<SignedRecordType, Permission> = {
  controlled_substance_disposal: "container:write",
  spill_resolution: "alert:resolve",
  audit_review: "event:read",
  inventory_count: "inventory:read",
  controlled_substance_access: "event:read",
};

const tags = ["Signatures"];

export function signatureRoutes(deps: { access: AccessService; signatures: SignatureService }) {
  const { access, signatures } = deps;
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: "post",
      path: "/orgs/{org}/signatures",
      tags,
      summary: "Sign a record: the signer's password again, and what the signature means",
      security: SECURITY,
      request: { params: OrgParams, body: jsonBody(SignInput) },
      responses: { 201: json(Signature, "the signature"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      const caller = c.get("caller");
      const input = c.req.valid("json");
      (await access.forOrg(caller, org)).require(SIGNING_PERMISSION[input.record_type]);
      if (caller.kind !== "user") throw new AppError("forbidden", "only a person can sign, not an API key");
      return c.json(await signatures.sign(org, caller, input), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orgs/{org}/signatures",
      tags,
      summary: "A record's signatures, each with whether it still holds",
      security: SECURITY,
      request: { params: OrgParams, query: RecordQuery },
      responses: { 200: json(z.object({ items: z.array(Signature) }), "the signatures"), ...ERROR_RESPONSES },
    }),
    async (c) => {
      const { org } = c.req.valid("param");
      const { record_type, record_id } = c.req.valid("query");
      (await access.forOrg(c.get("caller"), org)).require("event:read");
      return c.json({ items: await signatures.list(org, record_type, record_id) }, 200);
    },
  );

  return app;
}
