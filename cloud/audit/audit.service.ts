// Verifies an organization's audit trail chain by chain, and exports its chain heads signed (recording
// a checkpoint of each, so that a later rewrite of a chain no longer matches). docs/audit.md.
import { CLOUD_CHAIN_ID, chainHash, eventContent } from "../../shared/audit/audit-hash.js";
import { AppError } from "../../shared/errors.js";
import type { Database, Tx } from "../db/database.js";
import { AUDIT_TABLES, type AuditTable, auditRepository, type CheckpointRow } from "./audit.repository.js";
import { recordAuditEvent } from "./audit-event.js";
import type { AuditSigningKey } from "./audit-signing-key.js";
import { type ChainBreak, type ChainRow, walkChain } from "./chain-walk.js";

const INVALID_SIGNATURE = "an invalid signature";

export interface ChainReport {
  table: AuditTable;
  chain_id: string;
  rows: number;
  head: { seq: number; hash: string } | null;
  checkpoint: { seq: number; at: string } | null;
  break: ChainBreak | null;
}

export interface AuditReport {
  org_id: string;
  ok: boolean;
  chains: ChainReport[];
  /** Checkpoints signed by another key (not checked), or whose signature is invalid (a failure). */
  warnings: string[];
}

export interface SignedHeads {
  document: {
    org_id: string;
    exported_at: string;
    key_id: string;
    heads: { table: AuditTable; chain_id: string; seq: number; hash: string }[];
  };
  public_key: string;
  signature: string;
}

export class AuditService {
  constructor(
    private readonly database: Database,
    /** Without it (verify on a machine without the key) checkpoints are not checked, only reported. */
    private readonly key: AuditSigningKey | undefined,
  ) {}

  verify(orgId: string): Promise<AuditReport> {
    return this.database.withTenant(orgId, (tx) => this.verifyIn(tx, orgId));
  }

  /**
   * Records the export as an audited action, checkpoints every chain head and returns the heads
   * signed; refuses when a chain is broken (a signature must never vouch for a tampered trail).
   */
  exportHeads(orgId: string, actor: { name: string }): Promise<SignedHeads> {
    const key = this.key;
    if (!key) throw new AppError("internal", "no audit signing key to sign the export with");
    return this.database.withTenant(orgId, async (tx) => {
      const report = await this.verifyIn(tx, orgId);
      const broken = report.chains.find((c) => c.break);
      if (broken) {
        throw new AppError(
          "conflict",
          `the audit trail is broken (${broken.table} chain ${broken.chain_id}: ${broken.break!.kind} at row ${broken.break!.row_id}); run \`lilo cloud audit verify\``,
        );
      }
      await recordAuditEvent(tx, {
        action: "audit_export",
        type: "system",
        category: "system",
        summary: "audit chain heads exported and signed",
        actor: { name: actor.name },
        details: { key_id: key.keyId },
        audit_category: "data_export",
      });
      const exported_at = new Date().toISOString();
      const heads = [];
      for (const table of AUDIT_TABLES) {
        for (const h of await auditRepository.heads(tx, table)) {
          heads.push({ table, chain_id: h.chain_id, seq: h.seq, hash: h.hash });
        }
      }
      await auditRepository.insertCheckpoints(
        tx,
        heads.map((h) => ({
          table_name: h.table,
          chain_id: h.chain_id,
          seq: h.seq,
          hash: h.hash,
          at: new Date(exported_at),
          key_id: key.keyId,
          signature: key.sign(checkpointDocument(orgId, h.table, h.chain_id, h.seq, h.hash, exported_at)),
        })),
      );
      const document = { org_id: orgId, exported_at, key_id: key.keyId, heads };
      return { document, public_key: key.publicKeyPem, signature: key.sign(document) };
    });
  }

  private async verifyIn(tx: Tx, orgId: string): Promise<AuditReport> {
    const chains: ChainReport[] = [];
    const warnings: string[] = [];
    for (const table of AUDIT_TABLES) {
      const ids = new Set((await auditRepository.heads(tx, table)).map((h) => h.chain_id));
      ids.add(CLOUD_CHAIN_ID);
      for (const chainId of [...ids].sort()) {
        const rows =
          chainId === CLOUD_CHAIN_ID
            ? await auditRepository.cloudChain(tx, table)
            : await this.deviceChain(tx, chainId);
        if (rows.length === 0 && chainId === CLOUD_CHAIN_ID) continue;
        const checkpoint = await auditRepository.latestCheckpoint(tx, table, chainId);
        const trusted = checkpoint && this.trusted(orgId, checkpoint, warnings);
        const walk = walkChain(
          rows,
          trusted
            ? { seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at.toISOString() }
            : undefined,
        );
        chains.push({
          table,
          chain_id: chainId,
          rows: walk.rows,
          head: walk.head,
          checkpoint: trusted ? { seq: checkpoint.seq, at: checkpoint.at.toISOString() } : null,
          break: walk.break,
        });
      }
      const stray = await auditRepository.unchained(tx, table);
      if (stray) {
        chains.push({
          table,
          chain_id: "(none)",
          rows: 1,
          head: null,
          checkpoint: null,
          break: { kind: "row inserted", row_id: stray, seq: null, detail: "the row belongs to no chain" },
        });
      }
    }
    const forged = warnings.some((w) => w.includes(INVALID_SIGNATURE));
    return { org_id: orgId, ok: !forged && chains.every((c) => !c.break), chains, warnings };
  }

  /**
   * A cabinet's chain: each row's hash recomputed here, as the cabinet computed it; the links of rows
   * retention deleted take their places (docs/retention.md).
   */
  private async deviceChain(tx: Tx, chainId: string): Promise<ChainRow[]> {
    const rows: ChainRow[] = (await auditRepository.deviceChain(tx, chainId)).map((r) => ({
      id: r.event_id,
      seq: r.chain_seq,
      prev_hash: r.prev_hash,
      row_hash: r.row_hash,
      expected: r.prev_hash === null ? null : chainHash(r.prev_hash, eventContent(r)),
    }));
    const pruned = await auditRepository.prunedLinks(tx, chainId);
    if (pruned.length === 0) return rows;
    return [...rows, ...pruned].sort(
      (a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  }

  private trusted(orgId: string, c: CheckpointRow, warnings: string[]): boolean {
    if (!this.key) {
      warnings.push(
        `${c.table_name} chain ${c.chain_id}: the checkpoint of ${c.at.toISOString()} is not checked (no signing key here)`,
      );
      return false;
    }
    if (c.key_id !== this.key.keyId) {
      warnings.push(
        `${c.table_name} chain ${c.chain_id}: the checkpoint of ${c.at.toISOString()} was signed by key ${c.key_id}, not this cloud's ${this.key.keyId}`,
      );
      return false;
    }
    const document = checkpointDocument(orgId, c.table_name, c.chain_id, c.seq, c.hash, c.at.toISOString());
    if (!this.key.verify(document, c.signature)) {
      warnings.push(
        `${c.table_name} chain ${c.chain_id}: the checkpoint of ${c.at.toISOString()} has ${INVALID_SIGNATURE}`,
      );
      return false;
    }
    return true;
  }
}

function checkpointDocument(
  orgId: string,
  table: string,
  chainId: string,
  seq: number,
  hash: string,
  at: string,
) {
  return { org_id: orgId, table, chain_id: chainId, seq, hash, at };
}
