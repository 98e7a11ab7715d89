-- Hand-written: ids of the remote commands this cabinet has accepted, so that a command captured off the
-- wire and sent again is refused, also after a restart. Rows older than the command time window are
-- pruned (a command that old is refused by its issue time anyway). Only
-- appliance/mqtt/command-nonce.repository.ts touches it, so it stays out of the drizzle schema.
CREATE TABLE IF NOT EXISTS command_nonces (
  id TEXT PRIMARY KEY NOT NULL,
  issued_at_ms INTEGER NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS idx_command_nonces_issued ON command_nonces (issued_at_ms);
