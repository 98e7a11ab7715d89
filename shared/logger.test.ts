// Secrets never reach the log, however deep a caller nests them.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, isSecretKey } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger("info", stream), lines };
}

describe("log redaction", () => {
  it("redacts a PIN, badge, password and token at any depth and in arrays", () => {
    const { logger, lines } = capture();
    logger.child({ component: "http" }).info(
      {
        req: { body: { credential: { pin: "824613" }, people: [{ name: "Ada", badge: "BADGE-77123" }] } },
        deep: { a: { b: { c: { d: { e: { password: "hunter2-deep" } } } } } },
        claimToken: "lilo_claim_abcdef",
        cfg: { credential_secret: "s3cret-key-value", doorPin: 17 },
        headers: { authorization: "Bearer tok-in-header-1" },
      },
      "request",
    );
    const out = lines.join("");
    for (const secret of [
      "824613",
      "BADGE-77123",
      "hunter2-deep",
      "tok-in-header-1",
      "lilo_claim_abcdef",
      "s3cret-key-value",
    ]) {
      expect(out).not.toContain(secret);
    }
    const line = JSON.parse(lines[0]!);
    expect(line.req.body.credential).toBe("[Redacted]");
    expect(line.req.body.people[0]).toEqual({ name: "Ada", badge: "[Redacted]" });
    expect(line.deep.a.b.c.d.e.password).toBe("[Redacted]");
    // What is not a secret stays readable.
    expect(line.cfg.doorPin).toBe(17);
    expect(line.component).toBe("http");
    expect(line.msg).toBe("request");
  });

  it("survives cycles and keeps errors serialised", () => {
    const { logger, lines } = capture();
    const a: Record<string, unknown> = { pin: "1111" };
    a.self = a;
    logger.error({ a, err: new Error("boom") }, "failed");
    const line = JSON.parse(lines[0]!);
    expect(line.a).toEqual({ pin: "[Redacted]", self: "[Circular]" });
    expect(line.err.message).toBe("boom");
  });

  it.each([
    ["pin", true],
    ["PIN", true],
    ["badge", true],
    ["claim_token", true],
    ["credentialSecret", true],
    ["authorization", true],
    ["doorPin", false],
    ["shipping", false],
    ["token_prefix", false],
    ["spin", false],
  ])("%s is a secret key: %s", (key, secret) => {
    expect(isSecretKey(key)).toBe(secret);
  });
});
