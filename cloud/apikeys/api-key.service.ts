// API keys: an organization's integrations sign requests with `Authorization: Bearer lilo_key_...`. The
// key is shown once at creation; only its SHA-256 and an 8-character prefix are kept. Scopes are
// permissions (shared/permissions.ts) or `all`; each key has its own hourly rate limit, counted in the
// shared rate-limit table, and a revoked or expired key is refused from its next request on.
import { z } from "zod";
import { AppError, parseInput } from "../../shared/errors.js";
import { PERMISSIONS } from "../../shared/permissions.js";
import { newToken, sha256 } from "../../shared/tokens.js";
import { API_KEY_ALL } from "../authz/authorize.js";
import type { Database } from "../db/database.js";
import { decodeCursor, type Page, type PageRequest, pageOf } from "../db/pagination.js";
import type { RateLimitService } from "../security/rate-limit.service.js";
import { systemEventRepository } from "../security/system-event.repository.js";
import { type ApiKeyView, apiKeyRepository, keyOrder } from "./api-key.repository.js";

export const API_KEY_TOKEN_PREFIX = "lilo_key";
const HOUR_MS = 3600_000;

export const API_KEY_SCOPES = [API_KEY_ALL, ...PERMISSIONS] as const;

export const CreateApiKeyInput = z.strictObject({
  name: z.string().trim().min(1, "required").max(100),
  scopes: z
    .array(z.enum(API_KEY_SCOPES, { error: `each scope is one of: ${API_KEY_SCOPES.join(", ")}` }))
    .min(1, "at least one scope")
    .max(API_KEY_SCOPES.length),
  rate_limit_per_hour: z.number().int().min(1).max(1_000_000).default(1000),
  expires_at: z.coerce.date().optional(),
});
export type CreateApiKeyInput = z.input<typeof CreateApiKeyInput>;

export const RevokeApiKeyInput = z.strictObject({ reason: z.string().trim().max(500).optional() });

export interface CreatedApiKey {
  key_id: string;
  /** The key itself: shown now and never again. */
  key: string;
  prefix: string;
  api_key: ApiKeyView;
}

/** An authenticated API key, as the authorization function sees it. */
export interface ApiKeyCaller {
  kind: "api_key";
  api_key_id: string;
  org_id: string;
  name: string;
  scopes: string[];
  created_by: string;
}

export class ApiKeyService {
  constructor(
    private readonly database: Database,
    private readonly limits: RateLimitService,
  ) {}

  async create(orgId: string, input: CreateApiKeyInput, createdBy: string): Promise<CreatedApiKey> {
    const a = parseInput(CreateApiKeyInput, input, "API key");
    if (a.expires_at && a.expires_at.getTime() <= Date.now()) {
      throw new AppError("validation_failed", "invalid API key: expires_at: must be in the future", {
        expires_at: "must be in the future",
      });
    }
    const key = newToken(API_KEY_TOKEN_PREFIX);
    const prefix = key.slice(API_KEY_TOKEN_PREFIX.length + 1, API_KEY_TOKEN_PREFIX.length + 9);
    const api_key = await this.database.asService(async (tx) => {
      const row = await apiKeyRepository.insert(tx, {
        org_id: orgId,
        created_by: createdBy,
        key_name: a.name,
        key_hash: sha256(key),
        key_prefix: prefix,
        scopes: [...new Set(a.scopes)],
        rate_limit_per_hour: a.rate_limit_per_hour,
        expires_at: a.expires_at,
      });
      await systemEventRepository.record(tx, {
        org_id: orgId,
        user_id: createdBy,
        event_type: "api_key_created",
        event_category: "security",
        event_data: { api_key_id: row.api_key_id, name: a.name, prefix, scopes: row.scopes },
      });
      return row;
    });
    return { key_id: api_key.api_key_id, key, prefix, api_key };
  }

  /** The caller this key stands for, or undefined (unknown, revoked, expired); 429 past its hourly limit. */
  async authenticate(key: string): Promise<ApiKeyCaller | undefined> {
    if (!key.startsWith(`${API_KEY_TOKEN_PREFIX}_`)) return undefined;
    const row = await this.database.asService((tx) => apiKeyRepository.findByHash(tx, sha256(key)));
    if (row?.status !== "active") return undefined;
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) return undefined;
    await this.limits.consume(
      {
        name: "api_key",
        limit: row.rate_limit_per_hour ?? 1000,
        windowMs: HOUR_MS,
        what: "requests with this API key",
      },
      row.api_key_id,
    );
    await this.database.asService((tx) => apiKeyRepository.recordUse(tx, row.api_key_id));
    return {
      kind: "api_key",
      api_key_id: row.api_key_id,
      org_id: row.org_id,
      name: row.key_name,
      scopes: Array.isArray(row.scopes) ? (row.scopes as string[]) : [],
      created_by: row.created_by,
    };
  }

  list(orgId: string, page: PageRequest): Promise<Page<ApiKeyView>> {
    const cursor = decodeCursor(page.cursor, 2);
    return this.database.asService(async (tx) =>
      pageOf(await apiKeyRepository.list(tx, orgId, page.limit + 1, cursor), page.limit, (k) =>
        keyOrder.key({ at: k.created_at, id: k.api_key_id }),
      ),
    );
  }

  async get(orgId: string, keyId: string): Promise<ApiKeyView> {
    const row = await this.database.asService((tx) => apiKeyRepository.find(tx, orgId, keyId));
    if (!row) throw new AppError("not_found", `no API key ${keyId} in organization ${orgId}`);
    return row;
  }

  /** Refused from the next request on; revoking twice is a conflict, another org's key is not found. */
  async revoke(orgId: string, keyId: string, revokedBy: string | null, reason?: string): Promise<ApiKeyView> {
    return this.database.asService(async (tx) => {
      const existing = await apiKeyRepository.find(tx, orgId, keyId);
      if (!existing) throw new AppError("not_found", `no API key ${keyId} in organization ${orgId}`);
      const row = await apiKeyRepository.revoke(tx, orgId, keyId, {
        revoked_by: revokedBy,
        revocation_reason: reason ?? null,
      });
      if (!row) throw new AppError("conflict", `API key ${keyId} is already ${existing.status}`);
      await systemEventRepository.record(tx, {
        org_id: orgId,
        user_id: revokedBy,
        event_type: "api_key_revoked",
        event_category: "security",
        event_data: { api_key_id: keyId, reason: reason ?? null },
      });
      return row;
    });
  }
}
