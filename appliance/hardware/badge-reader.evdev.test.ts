import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger.js";
import { removeDir, tempDir } from "../../test/support/hardware.js";
import { waitFor } from "../../test/support/wait-for.js";
import { EvdevBadgeReader, encodeKeyEvents } from "./badge-reader.evdev.js";

// KEY_0 = 11, KEY_1..9 = 2..10, KEY_A = 30, KEY_ENTER = 28
describe("EvdevBadgeReader", () => {
  let dir: string;
  let reader: EvdevBadgeReader | undefined;
  afterEach(async () => {
    await reader?.stop();
    removeDir(dir);
  });

  it.each([16, 24] as const)("decodes %i-byte input_event records into badge strings", async (eventSize) => {
    dir = tempDir();
    const dev = join(dir, "event-kbd");
    writeFileSync(
      dev,
      Buffer.concat([encodeKeyEvents([2, 11, 30, 10, 28], eventSize), encodeKeyEvents([5, 96], eventSize)]),
    );
    reader = new EvdevBadgeReader({ device: dev, eventSize, reopenMs: 60_000, logger: silentLogger });
    const badges: string[] = [];
    reader.onBadge((b) => badges.push(b));
    await reader.start();
    await waitFor(() => badges.length === 2, { what: "two badges", timeoutMs: 2000 });
    expect(badges).toEqual(["10A9", "4"]);
  });
});
