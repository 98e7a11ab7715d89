import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { SystemMetrics } from "./system-metrics.js";

it("samples the real machine within sane bounds", async () => {
  const dir = await mkdtemp(join(tmpdir(), "lilo-metrics-"));
  const thermal = join(dir, "temp");
  await writeFile(thermal, "48312\n");
  const metrics = new SystemMetrics({ dataDir: dir, thermalPath: thermal });
  await metrics.sample();
  const s = await metrics.sample();
  for (const v of [s.cpu_usage_percent, s.memory_usage_percent, s.disk_usage_percent]) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(100);
  }
  expect(s.memory_usage_percent).toBeGreaterThan(0);
  expect(s.disk_usage_percent).toBeGreaterThan(0);
  expect(s.temperature_celsius).toBe(48.3);
  expect(s.uptime_seconds).toBeGreaterThan(0);
});

it("reports null temperature without a thermal zone", async () => {
  const metrics = new SystemMetrics({ dataDir: tmpdir(), thermalPath: "/nonexistent/temp" });
  expect((await metrics.sample()).temperature_celsius).toBeNull();
});
