// Backs `lilo appliance decode FILE...`: one JSON line per image so the output can be piped into
// jq or diffed between decoder versions.
import { readFile } from "node:fs/promises";
import { decodeQrCodes } from "./qr-decoder.js";

/**
 * Decodes each file and writes one JSON line per file through `out`. A file that cannot be read or
 * is not an image gets an `error` line; the rest are still decoded. Resolves false if any failed.
 */
export async function decodeFiles(paths: string[], out: (line: string) => void): Promise<boolean> {
  let ok = true;
  for (const file of paths) {
    try {
      const result = await decodeQrCodes(await readFile(file));
      out(
        JSON.stringify({
          file,
          codes: result.codes.map((c) => ({ text: c.text, corners: c.corners })),
          ms: Math.round(result.ms * 10) / 10,
        }),
      );
    } catch (err) {
      ok = false;
      out(JSON.stringify({ file, error: err instanceof Error ? err.message : String(err) }));
    }
  }
  return ok;
}
