// Walks one hash chain and names its first broken link (docs/audit.md). Pure: the rows come with the
// hash recomputed from their stored content (`expected`), by SQL for the cloud's chains and by
// shared/audit/audit-hash.ts for a cabinet's.
import { GENESIS_HASH } from "../../shared/audit/audit-hash.js";

export interface ChainRow {
  id: string;
  seq: number | null;
  prev_hash: string | null;
  row_hash: string | null;
  /** The hash of the row's content as stored now, after its stored prev_hash. */
  expected: string | null;
}

export type BreakKind = "content changed" | "row missing" | "row inserted" | "order changed";

export interface ChainBreak {
  kind: BreakKind;
  /** The row the break is reported at. */
  row_id: string | null;
  seq: number | null;
  detail: string;
}

export interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
}

export interface WalkResult {
  rows: number;
  head: { seq: number; hash: string } | null;
  break: ChainBreak | null;
}

const contentOk = (r: ChainRow) => r.row_hash !== null && r.expected === r.row_hash;

/** Rows in stored order (chain_seq, then id); `checkpoint` is the latest signed head, if any. */
export function walkChain(rows: readonly ChainRow[], checkpoint?: Checkpoint): WalkResult {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  const at = (r: ChainRow, kind: BreakKind, detail: string): WalkResult => ({
    rows: rows.length,
    head: null,
    break: { kind, row_id: r.id, seq: r.seq, detail },
  });
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (contentOk(r) && r.prev_hash === prev && r.seq === expectedSeq) {
      prev = r.row_hash!;
      expectedSeq++;
      continue;
    }
    const next = rows[i + 1];
    const later = rows.slice(i + 1).find((x) => x.row_hash === r.prev_hash);
    if (contentOk(r) && later) {
      return at(
        r,
        "order changed",
        `chained after row ${later.id} (seq ${later.seq}), which is stored after it`,
      );
    }
    const twoBack = i >= 2 ? rows[i - 2]! : undefined;
    if (contentOk(r) && twoBack && r.prev_hash === twoBack.row_hash) {
      // Two rows claim the same predecessor: the one the chain goes on from is the genuine one.
      const previous = rows[i - 1]!;
      const genuine = next?.prev_hash === r.row_hash ? r : previous;
      const intruder = genuine === r ? previous : r;
      return at(intruder, "row inserted", `row ${genuine.id} was chained directly after row ${twoBack.id}`);
    }
    if (next && contentOk(next) && next.prev_hash === prev) {
      return at(r, "row inserted", `the next row (${next.id}) was chained directly after the row before it`);
    }
    if (r.seq !== null && r.seq < expectedSeq) {
      return at(r, "row inserted", `takes place ${r.seq}, which the chain has already filled`);
    }
    if (!contentOk(r)) {
      return at(r, "content changed", "the stored content no longer matches the row's hash");
    }
    if (r.seq !== null && r.seq > expectedSeq) {
      const missing = r.seq - expectedSeq === 1 ? `${expectedSeq}` : `${expectedSeq}-${r.seq - 1}`;
      return at(r, "row missing", `place ${missing} before this row is empty`);
    }
    return at(r, "row missing", "the row this one was chained after is gone, or was changed and re-hashed");
  }
  const last = rows.at(-1);
  const head = last ? { seq: last.seq!, hash: last.row_hash! } : null;
  if (checkpoint) {
    const signed = rows.find((r) => r.seq === checkpoint.seq);
    if (!signed) {
      return {
        rows: rows.length,
        head,
        break: {
          kind: "row missing",
          row_id: last?.id ?? null,
          seq: checkpoint.seq,
          detail: `the chain ends at place ${head?.seq ?? 0}, but a checkpoint of ${checkpoint.at} signed place ${checkpoint.seq}`,
        },
      };
    }
    if (signed.row_hash !== checkpoint.hash) {
      return {
        rows: rows.length,
        head,
        break: {
          kind: "content changed",
          row_id: signed.id,
          seq: signed.seq,
          detail: `the chain was rewritten: its hash differs from the checkpoint of ${checkpoint.at}`,
        },
      };
    }
  }
  return { rows: rows.length, head, break: null };
}
