// The chain walk as a table: each kind of tampering, applied to a well-formed chain of six rows, is
// named at the row it concerns; the intact chain and an intact chain with its checkpoint pass.
import { describe, expect, it } from "vitest";
import { chainHash, GENESIS_HASH } from "../../shared/audit/audit-hash.js";
import { type ChainRow, type Checkpoint, walkChain } from "./chain-walk.js";

/** A well-formed chain: content "c1".."cN", each hash over the one before. */
function chain(n: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const hash = chainHash(prev, `c${i}`);
    rows.push({ id: `r${i}`, seq: i, prev_hash: prev, row_hash: hash, expected: hash });
    prev = hash;
  }
  return rows;
}

/** A row whose stored content no longer matches its hash. */
const changed = (r: ChainRow): ChainRow => ({ ...r, expected: chainHash(r.prev_hash!, "edited") });

const cases: [string, (rows: ChainRow[]) => ChainRow[], string | null, string | null][] = [
  ["intact", (rows) => rows, null, null],
  [
    "a row's content changed",
    (rows) => rows.map((r) => (r.id === "r3" ? changed(r) : r)),
    "content changed",
    "r3",
  ],
  [
    "the last row's content changed",
    (rows) => rows.map((r) => (r.id === "r6" ? changed(r) : r)),
    "content changed",
    "r6",
  ],
  ["a row deleted", (rows) => rows.filter((r) => r.id !== "r3"), "row missing", "r4"],
  ["the first row deleted", (rows) => rows.filter((r) => r.id !== "r1"), "row missing", "r2"],
  [
    "a row deleted and the rest renumbered",
    (rows) => rows.filter((r) => r.id !== "r3").map((r, i) => ({ ...r, seq: i + 1 })),
    "row missing",
    "r4",
  ],
  [
    "a forged row in a taken place, linked and hashed",
    (rows) => {
      const hash = chainHash(rows[1]!.row_hash!, "forged");
      const forged = { id: "f", seq: 3, prev_hash: rows[1]!.row_hash, row_hash: hash, expected: hash };
      return [...rows.slice(0, 2), forged, ...rows.slice(2)];
    },
    "row inserted",
    "f",
  ],
  [
    "a forged row sorted after the row whose place it took",
    (rows) => {
      const hash = chainHash(rows[1]!.row_hash!, "forged");
      const forged = { id: "f", seq: 3, prev_hash: rows[1]!.row_hash, row_hash: hash, expected: hash };
      return [...rows.slice(0, 3), forged, ...rows.slice(3)];
    },
    "row inserted",
    "f",
  ],
  [
    "a forged row with everything after it renumbered",
    (rows) => {
      const hash = chainHash(rows[1]!.row_hash!, "forged");
      const forged = { id: "f", seq: 3, prev_hash: rows[1]!.row_hash, row_hash: hash, expected: hash };
      return [...rows.slice(0, 2), forged, ...rows.slice(2).map((r) => ({ ...r, seq: r.seq! + 1 }))];
    },
    "row inserted",
    "f",
  ],
  [
    "two rows swapped",
    (rows) => [rows[0]!, rows[1]!, { ...rows[3]!, seq: 3 }, { ...rows[2]!, seq: 4 }, rows[4]!, rows[5]!],
    "order changed",
    "r4",
  ],
];

describe("walkChain", () => {
  it.each(cases)("%s", (_, tamper, kind, rowId) => {
    const result = walkChain(tamper(chain(6)));
    expect(result.break ? [result.break.kind, result.break.row_id] : [null, null]).toEqual([kind, rowId]);
  });

  it("checks the latest signed checkpoint: the newest rows deleted, or the chain rewritten", () => {
    const rows = chain(6);
    const checkpoint: Checkpoint = { seq: 6, hash: rows[5]!.row_hash!, at: "2026-12-06T19:00:00.000Z" };
    expect(walkChain(rows, checkpoint).break).toBeNull();
    expect(walkChain(rows.slice(0, 4), checkpoint).break).toMatchObject({ kind: "row missing", seq: 6 });
    // Re-hashed from the third row on, as someone who knows the scheme would: every link holds.
    const rewritten = chain(2);
    for (let i = 3; i <= 6; i++) {
      const prev = rewritten.at(-1)!.row_hash!;
      const hash = chainHash(prev, `rewritten ${i}`);
      rewritten.push({ id: `r${i}`, seq: i, prev_hash: prev, row_hash: hash, expected: hash });
    }
    expect(walkChain(rewritten).break).toBeNull();
    expect(walkChain(rewritten, checkpoint).break).toMatchObject({ kind: "content changed", row_id: "r6" });
  });
});
