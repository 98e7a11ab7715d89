import { createReadStream, type ReadStream } from "node:fs";
import type { Logger } from "../../shared/logger.js";
import type { BadgeReader } from "./badge-reader.js";
import { Listeners, type Unsubscribe } from "./listeners.js";

export interface EvdevBadgeReaderOptions {
  /** e.g. /dev/input/by-id/usb-XXXX-event-kbd (stable across reboots, unlike eventN). */
  device: string;
  /** Drop a half-typed badge if the reader pauses longer than this between keys. */
  interKeyMs?: number;
  /** Retry delay after the device disappears (reader unplugged). */
  reopenMs?: number;
  /** sizeof(struct input_event): 24 on 64-bit userland, 16 on 32-bit (armhf). */
  eventSize?: 16 | 24;
  logger: Logger;
}

const EV_KEY = 1;
const KEY_DOWN = 1;
const ENTER = new Set([28, 96]);
const KEYMAP: Record<number, string> = {
  2: "1",
  3: "2",
  4: "3",
  5: "4",
  6: "5",
  7: "6",
  8: "7",
  9: "8",
  10: "9",
  11: "0",
  79: "1",
  80: "2",
  81: "3",
  75: "4",
  76: "5",
  77: "6",
  71: "7",
  72: "8",
  73: "9",
  82: "0",
  16: "Q",
  17: "W",
  18: "E",
  19: "R",
  20: "T",
  21: "Y",
  22: "U",
  23: "I",
  24: "O",
  25: "P",
  30: "A",
  31: "S",
  32: "D",
  33: "F",
  34: "G",
  35: "H",
  36: "J",
  37: "K",
  38: "L",
  44: "Z",
  45: "X",
  46: "C",
  47: "V",
  48: "B",
  49: "N",
  50: "M",
};

/**
 * USB badge readers enumerate as HID keyboards that "type" the card number and Enter. Reading the
 * evdev node directly works headless, with no tty focus, and without root if the service user is in
 * the `input` group.
 */
export class EvdevBadgeReader implements BadgeReader {
  private readonly listeners: Listeners<string>;
  private stream: ReadStream | undefined;
  private running = false;
  private pending = Buffer.alloc(0);
  private typed = "";
  private lastKeyAt = 0;
  private reopenTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: EvdevBadgeReaderOptions) {
    this.listeners = new Listeners(opts.logger, "badge");
  }

  private get eventSize(): number {
    return this.opts.eventSize ?? (process.arch === "arm" || process.arch === "ia32" ? 16 : 24);
  }

  async start(): Promise<void> {
    this.running = true;
    this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.reopenTimer);
    this.stream?.destroy();
    this.stream = undefined;
  }

  onBadge(cb: (badge: string) => void): Unsubscribe {
    return this.listeners.add(cb);
  }

  private open(): void {
    const stream = createReadStream(this.opts.device);
    this.stream = stream;
    this.pending = Buffer.alloc(0);
    stream.on("data", (chunk) => this.onData(chunk as Buffer));
    const lost = (err?: Error) => {
      if (this.stream !== stream || !this.running) return;
      this.stream = undefined;
      this.opts.logger.warn({ err, device: this.opts.device }, "badge reader lost; reopening");
      this.reopenTimer = setTimeout(() => this.running && this.open(), this.opts.reopenMs ?? 2000);
    };
    stream.on("error", (err) => lost(err));
    stream.on("end", () => lost());
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const size = this.eventSize;
    const timeBytes = size - 8;
    while (buf.length >= size) {
      const type = buf.readUInt16LE(timeBytes);
      const code = buf.readUInt16LE(timeBytes + 2);
      const value = buf.readInt32LE(timeBytes + 4);
      buf = buf.subarray(size);
      if (type === EV_KEY && value === KEY_DOWN) this.onKey(code);
    }
    this.pending = Buffer.from(buf);
  }

  private onKey(code: number): void {
    const now = Date.now();
    if (now - this.lastKeyAt > (this.opts.interKeyMs ?? 500)) this.typed = "";
    this.lastKeyAt = now;
    if (ENTER.has(code)) {
      const badge = this.typed;
      this.typed = "";
      if (badge) this.listeners.emit(badge);
      return;
    }
    const ch = KEYMAP[code];
    if (ch) this.typed += ch;
  }
}

/** Encodes key presses as input_event records; used by tests and the simulator. */
export function encodeKeyEvents(keys: number[], eventSize: 16 | 24 = 24): Buffer {
  const out = Buffer.alloc(keys.length * 2 * eventSize);
  keys.forEach((code, i) => {
    for (const [j, value] of [1, 0].entries()) {
      const off = (i * 2 + j) * eventSize + (eventSize - 8);
      out.writeUInt16LE(EV_KEY, off);
      out.writeUInt16LE(code, off + 2);
      out.writeInt32LE(value, off + 4);
    }
  });
  return out;
}
