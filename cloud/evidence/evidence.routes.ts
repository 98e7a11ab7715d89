// Photo evidence over HTTP: a cabinet uploads a shelf image by its SHA-256 (device credential, beside
// the other device routes), and a caller reads one through `GET /api/v1/orgs/{org}/images/{key}`
// (bytes, for callers holding `evidence:read` on a cabinet that uploaded it).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { validationError } from "../../shared/errors.js";
import { limitRequestBody } from "../../shared/http/body-limit.js";
import { type CloudEnv, deviceAuth } from "../api/auth.middleware.js";
import { createApiRouter, ERROR_RESPONSES, ErrorBody, json, OrgParams } from "../api/v1/openapi.js";
import type { AccessService } from "../authz/access.service.js";
import type { ProvisioningService } from "../devices/provisioning.service.js";
import { type EvidenceService, IMAGE_KEY_PATTERN } from "./evidence.service.js";

const Binary = z.string().openapi({ type: "string", format: "binary" });
const imageContent = {
  "image/jpeg": { schema: Binary },
  "image/png": { schema: Binary },
  "image/webp": { schema: Binary },
};

const UploadResult = z
  .object({
    image_key: z.string(),
    size_bytes: z.number().int(),
    content_type: z.string().openapi({ example: "image/jpeg" }),
    created: z.boolean().openapi({ description: "false: this cabinet had uploaded these bytes before" }),
  })
  .openapi("EvidenceUpload");

const deviceError = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});

export const uploadEvidenceRoute = createRoute({
  method: "put",
  path: "/device/evidence/{key}",
  tags: ["device"],
  summary: "Upload a shelf image that a synced row of this cabinet names",
  description:
    "Device credential. The body is the image (any content type; the cloud reads the format from the " +
    "bytes). Its SHA-256 must be the key, and a scan, transaction or alert of the uploading cabinet " +
    "must name the key: rows are uploaded first. Idempotent.",
  request: {
    params: z.object({ key: z.string().regex(IMAGE_KEY_PATTERN, "64 lowercase hex digits") }),
    body: { content: { "application/octet-stream": { schema: Binary } }, required: true },
  },
  responses: {
    201: json(UploadResult, "stored"),
    200: json(UploadResult, "already stored"),
    400: deviceError("not an image, or the body's SHA-256 is not the key"),
    401: deviceError("unknown or revoked device credential"),
    404: deviceError("no row of this cabinet names the image"),
    413: deviceError("larger than LILO_EVIDENCE_MAX_BYTES"),
  },
});

export const getImageRoute = createRoute({
  method: "get",
  path: "/orgs/{org}/images/{key}",
  tags: ["evidence"],
  summary: "A shelf image, for a caller who may see evidence of the cabinet that took it",
  description:
    "The key is a scan's or transaction's `image_s3_key` (the SHA-256 of the bytes). Needs " +
    "`evidence:read` on the cabinet. Content-addressed: cacheable for ever. Browsers: fetch() with " +
    "`Authorization`, then a blob URL.",
  security: [{ bearer: [] }],
  request: { params: OrgParams.extend({ key: z.string().openapi({ param: { name: "key", in: "path" } }) }) },
  responses: {
    200: { description: "the image", content: imageContent },
    ...ERROR_RESPONSES,
  },
});

/** The cabinet's upload route, on the device API (not part of the v1 document's caller routes). */
export function evidenceDeviceRoutes(deps: {
  provisioning: ProvisioningService;
  evidence: EvidenceService;
  maxBytes: number;
}) {
  const { provisioning, evidence, maxBytes } = deps;
  const app = new OpenAPIHono<CloudEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues, "request");
    },
  });
  app.use(uploadEvidenceRoute.getRoutingPath(), deviceAuth(provisioning));
  app.openapi(uploadEvidenceRoute, async (c) => {
    limitRequestBody(c, maxBytes);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const result = await evidence.upload(c.get("device"), c.req.valid("param").key, bytes);
    return result.created ? c.json(result, 201) : c.json(result, 200);
  });
  return app;
}

export function evidenceRoutes(deps: { access: AccessService; evidence: EvidenceService }) {
  const { access, evidence } = deps;
  const app = createApiRouter();
  app.openapi(getImageRoute, async (c) => {
    const { org, key } = c.req.valid("param");
    // Another organization answers not_found, as a key that does not exist.
    const orgAccess = await access.forOrg(c.get("caller"), org);
    const blob = await evidence.image(
      org,
      key,
      (cabinetId) =>
        orgAccess.tree.cabinets.has(cabinetId) &&
        orgAccess.can("evidence:read", orgAccess.cabinetResource(cabinetId)),
    );
    return c.body(blob.bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": blob.contentType,
      // The key is the content's hash: the bytes under it never change.
      "cache-control": "private, max-age=31536000, immutable",
      etag: `"${key}"`,
      "x-content-type-options": "nosniff",
    });
  });
  return app;
}
