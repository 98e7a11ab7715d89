// An organization's command key for tests, with the appliance's guard that checks commands signed by it.
import Sqlite from "better-sqlite3";
import { migrateLocal } from "../../appliance/db/local-database.js";
import { CommandGuard } from "../../appliance/mqtt/command-guard.js";
import { CommandNonceRepository } from "../../appliance/mqtt/command-nonce.repository.js";
import {
  generateCommandKeyPair,
  type SignableCommand,
  signCommand,
} from "../../shared/commands/command-signature.js";

/**
 * An organization's command key for tests: `sign` for the gateway, `guard(thing)` for a DeviceLink
 * (nonces in an in-memory SQLite database with the appliance's migrations, this machine's clock as the
 * cloud's), `signed(cmd)` for hand-made payloads.
 */
export function testCommandKey() {
  const { publicKey, privateKey } = generateCommandKeyPair();
  return {
    publicKey,
    sign: async (cmd: SignableCommand) => signCommand(privateKey, cmd),
    signed: <C extends SignableCommand>(cmd: C) => ({ ...cmd, sig: signCommand(privateKey, cmd) }),
    guard(thing: string, sqlite = testNonceDatabase()) {
      return new CommandGuard({
        thing,
        publicKey: () => publicKey,
        clock: { now: () => Date.now() },
        nonces: new CommandNonceRepository(sqlite),
      });
    },
  };
}

export function testNonceDatabase(): Sqlite.Database {
  const sqlite = new Sqlite(":memory:");
  migrateLocal(sqlite);
  return sqlite;
}
