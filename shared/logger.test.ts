// Secrets never reach the log, however deep a caller nests them.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { chooseLogFormat, createLogger, formatPrettyLine, isSecretKey, type LogFormat } from "./logger.js";

function capture(format?: LogFormat) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger("info", stream, format), lines };
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

describe("log format", () => {
  it.each([
    [true, undefined, "pretty"],
    [true, "", "pretty"],
    [false, undefined, "json"],
    [false, "", "json"],
    [true, "json", "json"],
    [false, "json", "json"],
    [true, "pretty", "pretty"],
    [false, "pretty", "pretty"],
  ] as const)("a terminal: %s, LILO_LOG_FORMAT %j: %s", (isTTY, requested, format) => {
    expect(chooseLogFormat(isTTY, requested)).toBe(format);
  });

  it("refuses a format it does not know, naming the variable", () => {
    expect(() => chooseLogFormat(true, "yaml")).toThrow(/LILO_LOG_FORMAT must be json or pretty, not "yaml"/);
  });

  it("pretty: time, level, component, message, then key=value, secrets still redacted", () => {
    const { logger, lines } = capture("pretty");
    logger
      .child({ component: "session" })
      .warn(
        { user_number: 1001, pin: "824613", reason: "wrong pin", badges: ["BADGE-77123"] },
        "access refused",
      );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d WARN {2}session access refused user_number=1001 pin=\[Redacted\] reason="wrong pin" badges=\[Redacted\]\n$/,
    );
  });

  it("pretty: an error's message on the line and its stack indented below", () => {
    const { logger, lines } = capture("pretty");
    logger.error({ err: new Error("relay stuck") }, "lock failed");
    const [first, ...stack] = lines[0]!.trimEnd().split("\n");
    expect(first).toMatch(/ ERROR lock failed err="relay stuck"$/);
    expect(stack[0]).toBe("    Error: relay stuck");
    expect(stack.slice(1).every((line) => line.startsWith("        at "))).toBe(true);
  });

  it("pretty: a line that is not JSON passes through", () => {
    expect(formatPrettyLine("plain text")).toBe("plain text\n");
  });
});
