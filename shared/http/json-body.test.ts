import { describe, expect, it } from "vitest";
import { AppError } from "../errors.js";
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJsonBytes } from "./json-body.js";

const bytes = (text: string) => Buffer.from(text, "utf8");

const nested = (depth: number, open = "[", close = "]") => open.repeat(depth) + close.repeat(depth);

describe("nestsDeeperThan", () => {
  it.each([
    ["flat object", '{"a":1,"b":[1,2,3]}', 2, false],
    ["exactly the limit", nested(4), 4, false],
    ["one past the limit", nested(5), 4, true],
    ["objects count like arrays", '{"a":{"b":{"c":{}}}}', 3, true],
    ["siblings do not add up", "[[1],[2],[3],[4],[5]]", 2, false],
    ["brackets inside strings do not count", `["${"[".repeat(100)}"]`, 1, false],
    ["an escaped quote does not end the string", `["\\"${"{".repeat(100)}"]`, 1, false],
    ["an escaped backslash does end it", `["\\\\", ${nested(3)}]`, 3, true],
    ["an unclosed hostile prefix", "[".repeat(8_000_000), MAX_JSON_DEPTH, true],
  ])("%s", (_, text, max, expected) => {
    expect(nestsDeeperThan(bytes(text), max)).toBe(expected);
  });
});

describe("parseJsonBytes", () => {
  it("parses bodies within the limit", () => {
    expect(parseJsonBytes(bytes(nested(MAX_JSON_DEPTH)))).toBeInstanceOf(Array);
    // A byte order mark is dropped; a bracket escaped as \u005b is text, not nesting.
    expect(parseJsonBytes(bytes('\uFEFF{"name":"Äther [1]","n":"\\u005b"}'))).toEqual({
      name: "Äther [1]",
      n: "[",
    });
  });

  it.each([
    ["too deep", nested(MAX_JSON_DEPTH + 1), /nests deeper than 32 levels/],
    ["not JSON", "{email:", /must be JSON/],
    ["empty", "", /must be JSON/],
  ])("refuses a body that is %s with a 400", (_, text, message) => {
    let caught: unknown;
    try {
      parseJsonBytes(bytes(text));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).status).toBe(400);
    expect((caught as AppError).message).toMatch(message);
  });

  it("refuses 8 MB of brackets without parsing them (well under the 1.7 s JSON.parse takes)", () => {
    const hostile = Buffer.alloc(8 * 1024 * 1024, "[");
    const started = performance.now();
    expect(() => parseJsonBytes(hostile)).toThrow(/nests deeper/);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
