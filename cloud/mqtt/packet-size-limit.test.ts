import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { PacketSizeLimit, PacketTooLargeError } from "./packet-size-limit.js";

function feed(limit: number, chunks: Buffer[]): Promise<{ passed: number; error?: Error }> {
  return new Promise((resolve) => {
    const guard = new PacketSizeLimit(limit);
    let passed = 0;
    guard.on("data", (d: Buffer) => {
      passed += d.length;
    });
    guard.on("error", (error) => resolve({ passed, error }));
    guard.on("finish", () => resolve({ passed }));
    for (const c of chunks) guard.write(c);
    guard.end();
  });
}

const publish = (bytes: number) =>
  mqttPacket.generate({
    cmd: "publish",
    topic: "lilo/x/events",
    payload: Buffer.alloc(bytes, 120),
    qos: 0,
    retain: false,
    dup: false,
  });

describe("PacketSizeLimit", () => {
  it("passes packets up to the limit, split anywhere", async () => {
    const stream = Buffer.concat([publish(10), publish(1000), publish(0), publish(200)]);
    const oneByOne = [...stream].map((b) => Buffer.from([b]));
    expect(await feed(2000, [stream])).toEqual({ passed: stream.length });
    expect(await feed(2000, oneByOne)).toEqual({ passed: stream.length });
  });

  it("fails on the header of a packet that announces more, before its body arrives", async () => {
    const big = publish(5000);
    const result = await feed(2000, [publish(10), big.subarray(0, 4)]);
    expect(result.error).toBeInstanceOf(PacketTooLargeError);
    expect((result.error as PacketTooLargeError).announced).toBeGreaterThan(5000);
  });

  it("fails on a malformed five-byte length", async () => {
    const result = await feed(2000, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]);
    expect(result.error).toBeInstanceOf(PacketTooLargeError);
  });
});
