// The decoder the benches time: the package's compiled build (dist/, what the appliance and `lilo
// appliance decode` run), not tsx's on-the-fly transform of the sources, whose helper wrappers add
// about a tenth to the decoder's JavaScript. `--source` times the sources instead, for work on a
// change before it is built.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

type Vision = typeof import("../src/index.js");

export const FROM_SOURCE = process.argv.includes("--source");

/** Loads the decoder; refuses a build older than the package's sources. */
export async function loadDecoder(): Promise<Vision & { origin: string }> {
  const built = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  if (FROM_SOURCE) return { ...(await import("../src/index.js")), origin: "sources (tsx)" };
  if (!existsSync(built))
    throw new Error("no build in packages/vision/dist: run `npm run build` first, or pass --source");
  const src = fileURLToPath(new URL("../src/", import.meta.url));
  const sources = readdirSync(src).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
  const newest = Math.max(...sources.map((f) => statSync(src + f).mtimeMs));
  const builtAt = statSync(fileURLToPath(new URL("../dist/qr-decoder.js", import.meta.url))).mtimeMs;
  if (builtAt < newest)
    throw new Error(
      "packages/vision/dist is older than its sources: run `npm run build` first, or pass --source",
    );
  const specifier: string = built;
  return { ...((await import(specifier)) as Vision), origin: "compiled build (packages/vision/dist)" };
}
