// Backs `lilo appliance decode FILE...`: one JSON line per image (or per group of frames of one scan)
// so the output can be piped into jq or diffed between decoder versions.
import { readFile } from "node:fs/promises";
import { createLabelDecoder, type DecodeResult, type LabelDecoder } from "@lilo/vision";
import { mergeFrames } from "./merge-frames.js";

export interface DecodeFilesOptions {
  /**
   * Treat each run of this many consecutive files as frames of one scan and print one merged line
   * per run, as the cabinet merges them. Default 1: one line per file.
   */
  frames?: number;
}

const ms = (v: number) => Math.round(v * 10) / 10;

/**
 * Decodes each file (or group of files) and writes one JSON line for it through `out`. A file that
 * cannot be read or is not an image gets an `error` line (its whole group does); the rest are still
 * decoded. Resolves false if any failed.
 */
export async function decodeFiles(
  paths: string[],
  out: (line: string) => void,
  options: DecodeFilesOptions = {},
): Promise<boolean> {
  const n = options.frames ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--frames must be a positive integer (got ${n})`);
  if (paths.length % n !== 0)
    throw new RangeError(`--frames ${n} needs a multiple of ${n} files (got ${paths.length})`);
  const decoder = createLabelDecoder();
  try {
    return await decodeGroups(decoder, paths, out, n);
  } finally {
    await decoder.close();
  }
}

async function decodeGroups(
  decoder: LabelDecoder,
  paths: string[],
  out: (line: string) => void,
  n: number,
): Promise<boolean> {
  let ok = true;
  for (let i = 0; i < paths.length; i += n) {
    const files = paths.slice(i, i + n);
    const decoded: DecodeResult[] = [];
    let failure: string | undefined;
    for (const file of files) {
      try {
        decoded.push(await decoder.decode(await readFile(file)));
      } catch (err) {
        failure = `${n > 1 ? `${file}: ` : ""}${err instanceof Error ? err.message : String(err)}`;
        break;
      }
    }
    const where = n > 1 ? { files } : { file: files[0] };
    if (failure !== undefined) {
      ok = false;
      out(JSON.stringify({ ...where, error: failure }));
      continue;
    }
    if (n === 1) {
      const [r] = decoded as [DecodeResult];
      out(
        JSON.stringify({
          ...where,
          codes: r.codes.map((c) => ({ text: c.text, corners: c.corners })),
          unread: r.unread,
          ms: ms(r.ms),
        }),
      );
      continue;
    }
    const merged = mergeFrames(decoded.map((r) => ({ ok: true, codes: r.codes, unread: r.unread })));
    if (!merged.ok) throw new Error(merged.error);
    out(
      JSON.stringify({
        ...where,
        codes: merged.codes.map((c) => ({ text: c.text, corners: c.corners, frames: c.frames })),
        unread: merged.unread,
        ms: ms(decoded.reduce((sum, r) => sum + r.ms, 0)),
      }),
    );
  }
  return ok;
}
