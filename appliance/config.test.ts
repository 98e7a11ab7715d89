import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ApplianceConfigError, parseApplianceConfig } from "./config.js";

const standalone = {
  cabinet: { org_id: randomUUID(), lab_id: randomUUID(), cabinet_id: randomUUID() },
  credentialSecret: "a-secret-of-sixteen-chars",
  hardware: { mode: "sim" },
};

describe("scan settings", () => {
  it("default to a second frame one stop darker, also when only part of `scan` is given", () => {
    expect(parseApplianceConfig(standalone).scan).toEqual({
      intervalMinutes: 60,
      afterSession: true,
      framesPerScan: 2,
      exposureEv: [0, -1],
      evidenceQuotaMB: 512,
      evidenceHardCapMB: 2048,
    });
    expect(parseApplianceConfig({ ...standalone, scan: { intervalMinutes: 5 } }).scan).toMatchObject({
      framesPerScan: 2,
      exposureEv: [0, -1],
    });
    expect(
      parseApplianceConfig({ ...standalone, scan: { framesPerScan: 1, exposureEv: [0.5] } }).scan,
    ).toMatchObject({ framesPerScan: 1, exposureEv: [0.5] });
  });

  it("refuse no frames, an empty exposure list and offsets past 4 stops, naming the key", () => {
    for (const [scan, key] of [
      [{ framesPerScan: 0 }, "scan.framesPerScan"],
      [{ exposureEv: [] }, "scan.exposureEv"],
      [{ exposureEv: [0, -6] }, "scan.exposureEv.1"],
    ] as const) {
      expect(() => parseApplianceConfig({ ...standalone, scan })).toThrow(ApplianceConfigError);
      expect(() => parseApplianceConfig({ ...standalone, scan })).toThrow(key);
    }
  });
});

describe("http.host", () => {
  it.each(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])("accepts loopback %s", (host) => {
    expect(parseApplianceConfig({ ...standalone, http: { host } }).http.host).toBe(host);
  });

  it.each(["0.0.0.0", "::", "192.168.1.20", "cabinet.local", "128.0.0.1"])(
    "refuses %s unless http.allowRemote is true",
    (host) => {
      expect(() => parseApplianceConfig({ ...standalone, http: { host } })).toThrow(
        "http.host: must be a loopback address",
      );
      expect(parseApplianceConfig({ ...standalone, http: { host, allowRemote: true } }).http).toMatchObject({
        host,
        allowRemote: true,
      });
    },
  );
});
