// aedes has no packet-size limit: its parser buffers whatever remaining length a client announces
// (up to 256 MiB per packet, before authentication). This stream sits between the socket and aedes,
// follows the MQTT fixed headers and fails the connection as soon as one announces too much.
import { Transform, type TransformCallback } from "node:stream";

export class PacketTooLargeError extends Error {
  constructor(
    readonly announced: number,
    readonly limit: number,
  ) {
    super(`mqtt packet of ${announced} bytes refused (limit ${limit})`);
    this.name = "PacketTooLargeError";
  }
}

export class PacketSizeLimit extends Transform {
  private state: "type" | "length" | "body" = "type";
  private length = 0;
  private multiplier = 1;
  private remaining = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === "type") {
        i += 1;
        this.state = "length";
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      if (this.state === "length") {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        // The fourth length byte is the last; more is malformed, and aedes would refuse it too.
        if (byte & 0x80 && this.multiplier <= 128 ** 3) continue;
        if (byte & 0x80 || this.length > this.maxBytes) {
          done(new PacketTooLargeError(this.length, this.maxBytes));
          return;
        }
        this.remaining = this.length;
        this.state = this.remaining === 0 ? "type" : "body";
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) this.state = "type";
    }
    done(null, chunk);
  }
}
