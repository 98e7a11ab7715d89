// Electronic signatures, 21 CFR Part 11 style: the signer re-enters their password and states what the
// signature means; the signature (who, when, meaning, the record's hash) is recorded with an audit
// event in one transaction, and is valid only while the record still hashes as it did when signed.
import { createHash } from "node:crypto";
import { z } from "zod";
import { eventRecordHash } from "../../shared/audit/audit-hash.js";
import { canonicalJson } from "../../shared/canonical-json.js";
import {
  SIGNATURE_MEANINGS,
  SIGNED_RECORD_TYPES,
  type SignatureMeaning,
  type SignedRecordType,
} from "../../shared/enums.js";
import { AppError, parseInput } from "../../shared/errors.js";
import type { AccountService } from "../accounts/account.service.js";
import { recordAuditEvent } from "../audit/audit-event.js";
import type { Database } from "../db/database.js";
import { type SignatureRow, signatureRepository } from "./signature.repository.js";

export const SignInput = z.object({
  record_type: z.enum(SIGNED_RECORD_TYPES),
  record_id: z.uuid(),
  meaning: z.enum(SIGNATURE_MEANINGS),
  /** The signer's password, entered again for this signature. */
  password: z.string().min(1).max(1024),
  reason: z.string().trim().max(2000).optional(),
});
export type SignInput = z.infer<typeof SignInput>;

export interface Signer {
  user_id: string;
  email: string;
}

export interface SignatureView {
  signature_id: string;
  record_type: SignedRecordType;
  record_id: string;
  signer_user_id: string;
  signer_name: string;
  meaning: SignatureMeaning;
  reason: string | null;
  signed_at: string;
  record_hash: string;
  /** False once the record has changed since it was signed. */
  valid: boolean;
}

/**
 * The hash a signature binds: the record's whole row in canonical JSON; for an event signed at a
 * cabinet, its audited content (shared/audit/audit-hash.ts), which the cabinet hashed from its own copy.
 */
export const recordHash = (row: Record<string, unknown>, type?: SignedRecordType): string =>
  type === "controlled_substance_access"
    ? eventRecordHash(row)
    : createHash("sha256").update(canonicalJson(row)).digest("hex");

/** What must hold of a record before it can be signed as this type. */
const READY: Record<SignedRecordType, (row: Record<string, unknown>) => string | undefined> = {
  controlled_substance_disposal: (r) =>
    r.transaction_type === "dispose" ? undefined : "only a disposal transaction can be signed as a disposal",
  spill_resolution: (r) =>
    r.status === "resolved" ? undefined : "only a resolved alert can be signed as a resolution",
  audit_review: () => undefined,
  inventory_count: () => undefined,
  controlled_substance_access: (r) =>
    (r.event_details as { action?: unknown } | null)?.action === "controlled_access"
      ? undefined
      : "only a controlled-substance access event can be signed as one",
};

export class SignatureService {
  constructor(
    private readonly database: Database,
    private readonly accounts: Pick<AccountService, "confirmPassword">,
  ) {}

  async sign(orgId: string, signer: Signer, input: unknown): Promise<SignatureView> {
    const s = parseInput(SignInput, input);
    if (!(await this.accounts.confirmPassword(signer.email, s.password))) {
      throw new AppError("validation_failed", "the password does not match: nothing was signed", {
        password: "does not match",
      });
    }
    return this.database.withTenant(orgId, async (tx) => {
      const record = await signatureRepository.findRecord(tx, s.record_type, s.record_id);
      if (!record) throw new AppError("not_found", `no ${s.record_type} record ${s.record_id}`);
      const notReady = READY[s.record_type](record);
      if (notReady) throw new AppError("conflict", notReady);
      const hash = recordHash(record, s.record_type);
      const event = await recordAuditEvent(tx, {
        action: "electronic_signature",
        type: "manual",
        category: "user_action",
        summary: `${signer.email} signed ${s.record_type} ${s.record_id} as ${s.meaning}`,
        actor: { user_id: signer.user_id, name: signer.email },
        reason: s.reason,
        details: {
          record_type: s.record_type,
          record_id: s.record_id,
          meaning: s.meaning,
          record_hash: hash,
        },
        audit_category: "electronic_signature",
      });
      const row = await signatureRepository.insert(tx, {
        record_type: s.record_type,
        record_id: s.record_id,
        signer_user_id: signer.user_id,
        signer_name: signer.email,
        meaning: s.meaning,
        reason: s.reason,
        record_hash: hash,
        event_id: event.event_id,
      });
      return view(row, hash);
    });
  }

  /** A record's signatures, each valid only if the record still hashes as when it was signed. */
  list(orgId: string, recordType: SignedRecordType, recordId: string): Promise<SignatureView[]> {
    return this.database.withTenant(orgId, async (tx) => {
      const record = await signatureRepository.findRecord(tx, recordType, recordId);
      if (!record) throw new AppError("not_found", `no ${recordType} record ${recordId}`);
      const current = recordHash(record, recordType);
      return (await signatureRepository.ofRecord(tx, recordType, recordId)).map((r) => view(r, current));
    });
  }
}

function view(row: SignatureRow, currentHash: string): SignatureView {
  return {
    signature_id: row.signature_id,
    record_type: row.record_type,
    record_id: row.record_id,
    signer_user_id: row.signer_user_id,
    signer_name: row.signer_name,
    meaning: row.meaning,
    reason: row.reason,
    signed_at: row.signed_at.toISOString(),
    record_hash: row.record_hash,
    valid: row.record_hash === currentHash,
  };
}
