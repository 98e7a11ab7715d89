// The cloud's time as this cabinet estimates it. A Raspberry Pi has no real-time clock: until NTP
// answers (or forever, offline) its wall clock may be anything, so command issue times are checked
// against the time the cloud last stated (claim, every downlink) plus the monotonic time since.
import { performance } from "node:perf_hooks";

export class CloudClock {
  private anchor: { cloudMs: number; mono: number } | undefined;

  constructor(private readonly monotonic: () => number = () => performance.now()) {}

  /** Takes the cloud's time from a claim or downlink response; ignores what does not parse. */
  observe(cloudTime: string | undefined): void {
    const cloudMs = cloudTime ? Date.parse(cloudTime) : Number.NaN;
    if (Number.isFinite(cloudMs)) this.anchor = { cloudMs, mono: this.monotonic() };
  }

  /** Milliseconds since the epoch by the cloud's clock; undefined until the cloud has told us once. */
  now(): number | undefined {
    return this.anchor && this.anchor.cloudMs + (this.monotonic() - this.anchor.mono);
  }
}
