import { describe, expect, it } from "vitest";
import { assertSecureUrl } from "./url-policy.js";

describe("assertSecureUrl", () => {
  it.each([
    ["https://cloud.example.com", false, true],
    ["mqtts://broker.example.com:8883", false, true],
    ["http://127.0.0.1:8080", false, true],
    ["mqtt://localhost:1884", false, true],
    ["mqtt://[::1]:1884", false, true],
    ["http://10.0.0.5", false, false],
    ["mqtt://example.com", false, false],
    ["http://cloud.example.com", false, false],
    ["mqtt://127.0.0.1.example.com", false, false],
    ["http://10.0.0.5", true, true],
    ["mqtt://example.com", true, true],
  ])("%s (allowInsecure %s) allowed: %s", (url, allowInsecure, allowed) => {
    const check = () => assertSecureUrl(url, "cloud URL", allowInsecure);
    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow(/not encrypted and not on this machine/);
  });
});
