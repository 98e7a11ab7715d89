// Photo evidence in the cloud: a cabinet uploads the shelf images its synced rows name, each checked
// against its SHA-256 and stored once per organization and hash; a person reads an image only through
// a cabinet they may see.
import { createHash } from "node:crypto";
import type { DeviceIdentity } from "../../shared/device-identity.js";
import { AppError } from "../../shared/errors.js";
import type { Blob, BlobStore } from "../blobs/blob-store.js";
import type { Database } from "../db/database.js";
import { evidenceRepository } from "./evidence.repository.js";

/** An image key is the lowercase hex SHA-256 of the image's bytes. */
export const IMAGE_KEY_PATTERN = /^[0-9a-f]{64}$/;

export interface UploadResult {
  image_key: string;
  size_bytes: number;
  content_type: string;
  /** False when this cabinet had uploaded these bytes before (a resent upload). */
  created: boolean;
}

/** The image formats a camera produces, told by their first bytes, never by what the client claims. */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP")
    return "image/webp";
  return undefined;
}

const blobKey = (orgId: string, key: string) => `${orgId}/${key}`;

export class EvidenceService {
  constructor(
    private readonly database: Database,
    private readonly blobs: BlobStore,
  ) {}

  async upload(device: DeviceIdentity, key: string, bytes: Uint8Array): Promise<UploadResult> {
    if (!IMAGE_KEY_PATTERN.test(key))
      throw new AppError("validation_failed", "an image key is the hex SHA-256 of its bytes", {
        key: "64 lowercase hex digits",
      });
    if (createHash("sha256").update(bytes).digest("hex") !== key)
      throw new AppError("validation_failed", "the body's SHA-256 is not the image key", {
        key: "does not match the SHA-256 of the body",
      });
    const contentType = sniffImageType(bytes);
    if (!contentType)
      throw new AppError("validation_failed", "the body is not a JPEG, PNG or WebP image", {
        body: "not an image",
      });
    const { org_id, cabinet_id } = device;
    // Rows first: only an image that a synced row of this cabinet names is accepted from it.
    const named = await this.database.withTenant(org_id, (tx) =>
      evidenceRepository.namedByCabinet(tx, cabinet_id, key),
    );
    if (!named)
      throw new AppError("not_found", "no scan, transaction or alert of this cabinet names this image");
    const target = blobKey(org_id, key);
    if (!(await this.blobs.has(target))) await this.blobs.put(target, bytes, contentType);
    const created = await this.database.withTenant(org_id, (tx) =>
      evidenceRepository.record(tx, {
        image_key: key,
        cabinet_id,
        content_type: contentType,
        size_bytes: bytes.byteLength,
      }),
    );
    return { image_key: key, size_bytes: bytes.byteLength, content_type: contentType, created };
  }

  /**
   * The image's bytes for a caller who may see one of the cabinets that uploaded it. Anything else —
   * a malformed key, an image of a cabinet out of the caller's scope, one never uploaded — is the same
   * not_found, so that nothing is learnt about images one may not see.
   */
  async image(
    orgId: string,
    key: string,
    maySee: (cabinetId: string) => boolean | Promise<boolean>,
  ): Promise<Blob> {
    const missing = new AppError("not_found", "no such image");
    if (!IMAGE_KEY_PATTERN.test(key)) throw missing;
    const uploads = await this.database.withTenant(orgId, (tx) => evidenceRepository.cabinetsOf(tx, key));
    let visible = false;
    for (const u of uploads) if (await maySee(u.cabinet_id)) visible = true;
    if (!visible) throw missing;
    const blob = await this.blobs.get(blobKey(orgId, key));
    if (!blob) throw missing;
    return blob;
  }
}
