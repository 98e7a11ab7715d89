import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type CommandRefusal,
  checkCommand,
  generateCommandKeyPair,
  type SignableCommand,
  signCommand,
} from "./command-signature.js";

const org = generateCommandKeyPair();
const other = generateCommandKeyPair();
const NOW = Date.parse("2026-12-06T14:00:00.000Z");
const MIN = 60_000;

function command(over: Partial<SignableCommand> = {}): SignableCommand {
  return {
    id: randomUUID(),
    command: "unlock",
    params: { user_id: "u-1" },
    issued_at: new Date(NOW).toISOString(),
    issued_by: "manager-1",
    thing: "lilo-cab-a",
    approved_by: ["manager-1"],
    ...over,
  };
}

const signed = (c: SignableCommand, key = org.privateKey) => ({ ...c, sig: signCommand(key, c) });
const ctx = { publicKey: org.publicKey, thing: "lilo-cab-a", cloudNow: NOW };

describe("checkCommand", () => {
  const cases: [string, SignableCommand & { sig?: string }, Partial<typeof ctx>, CommandRefusal | "ok"][] = [
    ["a signed command for this cabinet, now", signed(command()), {}, "ok"],
    [
      "4 min old (cloud time)",
      signed(command({ issued_at: new Date(NOW - 4 * MIN).toISOString() })),
      {},
      "ok",
    ],
    ["no signature", command(), {}, "unsigned"],
    ["no key received yet", signed(command()), { publicKey: undefined }, "no_command_key"],
    ["signed by another organization", signed(command(), other.privateKey), {}, "bad_signature"],
    [
      "params changed after signing",
      { ...signed(command()), params: { user_id: "u-2" } },
      {},
      "bad_signature",
    ],
    [
      "approver added after signing",
      { ...signed(command()), approved_by: ["manager-1", "x"] },
      {},
      "bad_signature",
    ],
    [
      "issue time moved after signing",
      { ...signed(command()), issued_at: new Date(NOW + 1).toISOString() },
      {},
      "bad_signature",
    ],
    ["garbage signature", { ...command(), sig: "AAAA" }, {}, "bad_signature"],
    ["garbage key", signed(command()), { publicKey: "bm90IGEga2V5" }, "bad_signature"],
    ["for another cabinet", signed(command({ thing: "lilo-cab-b" })), {}, "wrong_thing"],
    ["not addressed", signed(command({ thing: undefined })), {}, "wrong_thing"],
    ["cloud time unknown", signed(command()), { cloudNow: undefined }, "no_cloud_time"],
    ["6 min old", signed(command({ issued_at: new Date(NOW - 6 * MIN).toISOString() })), {}, "expired"],
    [
      "6 min in the future",
      signed(command({ issued_at: new Date(NOW + 6 * MIN).toISOString() })),
      {},
      "future_dated",
    ],
  ];
  it.each(cases)("%s", (_, cmd, over, expected) => {
    const result = checkCommand(cmd, { ...ctx, ...over });
    expect(result.ok ? "ok" : result.reason).toBe(expected);
  });
});
