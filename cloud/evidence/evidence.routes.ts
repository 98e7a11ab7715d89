// Photo evidence over HTTP: a cabinet uploads a shelf image by its SHA-256 (device credential), and a
// person reads one through `GET /api/v1/orgs/{org}/images/{key}` (bytes, scope-checked).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError, validationError } from "../../shared/errors.js";
import { limitRequestBody } from "../../shared/http/body-limit.js";
import type { AccountService } from "../accounts/account.service.js";
import { type CloudEnv, deviceAuth, userAuth } from "../api/auth.middleware.js";
import type { ProvisioningService } from "../devices/provisioning.service.js";
import { type EvidenceService, IMAGE_KEY_PATTERN } from "./evidence.service.js";

const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional(),
    }),
  })
  .openapi("Error");
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: "error", content: { "application/json": { schema: ErrorBody } } }]),
  );

const ImageKey = z
  .string()
  .regex(IMAGE_KEY_PATTERN, "64 lowercase hex digits")
  .openapi({ description: "The hex SHA-256 of the image's bytes", example: "9f86d08…" });
const Binary = z.string().openapi({ type: "string", format: "binary" });
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
const imageContent = Object.fromEntries(IMAGE_TYPES.map((t) => [t, { schema: Binary }]));

const UploadResult = z
  .object({
    image_key: z.string(),
    size_bytes: z.number().int(),
    content_type: z.string().openapi({ example: "image/jpeg" }),
    created: z.boolean(),
  })
  .openapi("EvidenceUpload");

export const uploadEvidenceRoute = createRoute({
  method: "put",
  path: "/device/evidence/{key}",
  tags: ["device"],
  summary: "Upload a shelf image that a synced row of this cabinet names",
  description:
    "Device credential. The body is the image; its SHA-256 must be the key, and a scan, transaction or " +
    "alert of the uploading cabinet must name the key (rows are uploaded first). Idempotent.",
  request: { params: z.object({ key: ImageKey }), body: { content: imageContent, required: true } },
  responses: {
    201: { description: "stored", content: { "application/json": { schema: UploadResult } } },
    200: { description: "already stored", content: { "application/json": { schema: UploadResult } } },
    ...errors(400, 401, 404, 413),
  },
});

export const getImageRoute = createRoute({
  method: "get",
  path: "/orgs/{org}/images/{key}",
  tags: ["evidence"],
  summary: "A shelf image, for a caller who may see the cabinet that took it",
  request: { params: z.object({ org: z.string().uuid(), key: z.string() }) },
  responses: {
    200: { description: "the image", content: imageContent },
    ...errors(401, 404),
  },
});

export function evidenceRoutes(deps: {
  accounts: AccountService;
  provisioning: ProvisioningService;
  evidence: EvidenceService;
  maxBytes: number;
}) {
  const { accounts, provisioning, evidence, maxBytes } = deps;
  const app = new OpenAPIHono<CloudEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues);
    },
  });
  app.use(uploadEvidenceRoute.getRoutingPath(), deviceAuth(provisioning));
  app.use(getImageRoute.getRoutingPath(), userAuth(accounts));

  app.openapi(uploadEvidenceRoute, async (c) => {
    limitRequestBody(c, maxBytes);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const result = await evidence.upload(c.get("device"), c.req.valid("param").key, bytes);
    return result.created ? c.json(result, 201) : c.json(result, 200);
  });

  app.openapi(getImageRoute, async (c) => {
    const { org, key } = c.req.valid("param");
    // Another organization's images answer exactly as a key that does not exist.
    if (!c.get("principal").memberships.some((m) => m.org_id === org))
      throw new AppError("not_found", "no such image");
    const blob = await evidence.image(org, key, () => true);
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
