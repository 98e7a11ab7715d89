// The QR decoder the benches time: the compiled build that the appliance and `lilo appliance
// decode` run (dist/, built by `npm run build`), not tsx's on-the-fly transform of the sources,
// whose helper wrappers add about a tenth to the decoder's JavaScript. `--source` times the
// sources instead, for work on a change before it is built.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

type Decoder = typeof import("../appliance/scan/qr-decoder.js");

export const FROM_SOURCE = process.argv.includes("--source");

/** Loads the decoder; refuses a build older than the decoder's sources. */
export async function loadDecoder(): Promise<Decoder & { origin: string }> {
  const built = fileURLToPath(new URL("../dist/appliance/scan/qr-decoder.js", import.meta.url));
  if (FROM_SOURCE) return { ...(await import("../appliance/scan/qr-decoder.js")), origin: "sources (tsx)" };
  if (!existsSync(built)) throw new Error("no build in dist/: run `npm run build` first, or pass --source");
  const scan = fileURLToPath(new URL("../appliance/scan/", import.meta.url));
  const sources = readdirSync(scan).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
  const newest = Math.max(...sources.map((f) => statSync(scan + f).mtimeMs));
  if (statSync(built).mtimeMs < newest)
    throw new Error("dist/ is older than appliance/scan: run `npm run build` first, or pass --source");
  const specifier: string = built;
  return { ...((await import(specifier)) as Decoder), origin: "compiled build (dist/)" };
}
