// Health of the machine the appliance runs on, sampled for heartbeat telemetry.
import { readFile, statfs } from "node:fs/promises";
import os from "node:os";
import type { TelemetryMessage } from "../../shared/mqtt/topics.js";
import { firmwareVersion } from "../release.js";

export type SystemSample = Omit<TelemetryMessage, "at">;

export interface SystemMetricsOptions {
  /** The filesystem whose usage is reported. */
  dataDir: string;
  /** Default /sys/class/thermal/thermal_zone0/temp (millidegrees Celsius). */
  thermalPath?: string;
}

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

const clampPercent = (v: number) => Math.min(100, Math.max(0, Math.round(v * 10) / 10));

export class SystemMetrics {
  private last: CpuTimes | undefined;
  /** Read once: the image changes only with a reboot. */
  private readonly version = firmwareVersion();

  constructor(private readonly opts: SystemMetricsOptions) {}

  async sample(): Promise<SystemSample> {
    const [disk, temperature] = await Promise.all([this.diskPercent(), this.temperature()]);
    const total = os.totalmem();
    return {
      cpu_usage_percent: this.cpuPercent(),
      memory_usage_percent: clampPercent(total > 0 ? ((total - os.freemem()) / total) * 100 : 0),
      disk_usage_percent: disk,
      temperature_celsius: temperature,
      uptime_seconds: Math.round(os.uptime()),
      firmware_version: this.version,
    };
  }

  /** Busy share of CPU time since the previous sample. */
  private cpuPercent(): number {
    const now = cpuTimes();
    const prev = this.last;
    this.last = now;
    const dTotal = prev ? now.total - prev.total : 0;
    if (prev && dTotal > 0) return clampPercent((1 - (now.idle - prev.idle) / dTotal) * 100);
    // No interval to measure yet (first sample): the 1-minute load average is the best estimate.
    const cores = Math.max(1, os.cpus().length);
    return clampPercent(((os.loadavg()[0] ?? 0) / cores) * 100);
  }

  private async diskPercent(): Promise<number> {
    try {
      const s = await statfs(this.opts.dataDir);
      // Same formula as df: blocks reserved for root count as neither used nor available.
      const used = s.blocks - s.bfree;
      const denominator = used + s.bavail;
      return denominator > 0 ? clampPercent((used / denominator) * 100) : 0;
    } catch {
      return 0;
    }
  }

  private async temperature(): Promise<number | null> {
    try {
      const raw = await readFile(this.opts.thermalPath ?? "/sys/class/thermal/thermal_zone0/temp", "utf8");
      const milli = Number.parseInt(raw.trim(), 10);
      if (!Number.isFinite(milli)) return null;
      const celsius = Math.round(milli / 100) / 10;
      return celsius >= -100 && celsius <= 250 ? celsius : null;
    } catch {
      return null;
    }
  }
}
