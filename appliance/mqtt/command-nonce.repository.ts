// The ids of remote commands this cabinet accepted (migration 0003), so that a replayed command is
// refused also after a restart.
import type Sqlite from "better-sqlite3";

export class CommandNonceRepository {
  constructor(private readonly sqlite: Sqlite.Database) {}

  /** Records a command id; false when it was recorded before (a replay). */
  claim(id: string, issuedAtMs: number): boolean {
    const r = this.sqlite
      .prepare("INSERT OR IGNORE INTO command_nonces (id, issued_at_ms) VALUES (?, ?)")
      .run(id, issuedAtMs);
    return r.changes === 1;
  }

  /** Forgets ids of commands issued before `beforeMs`: those are refused by their age anyway. */
  prune(beforeMs: number): number {
    return this.sqlite.prepare("DELETE FROM command_nonces WHERE issued_at_ms < ?").run(beforeMs).changes;
  }
}
