// Locates files shipped with the package (migrations, wasm) from both `src` and compiled `dist` layouts.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the L.I.L.O. package root");
    dir = up;
  }
  root = dir;
  return dir;
}

export const fromRoot = (...parts: string[]) => join(packageRoot(), ...parts);
