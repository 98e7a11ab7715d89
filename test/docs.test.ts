// The documentation a newcomer and an operator rely on: the README stays a front door, the documents
// it promises exist, and no relative link or anchor in them leads nowhere.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { fromRoot } from "../shared/paths.js";

const README_MAX_BYTES = 10_000;

const REQUIRED = [
  "README.md",
  "SECURITY.md",
  "docs/architecture.md",
  "docs/data-model.md",
  "docs/sync.md",
  "docs/api.md",
  "docs/configuration.md",
  "docs/hardware.md",
  "docs/operations.md",
  "docs/decisions/0001-zxing-wasm-over-jsqr.md",
  "docs/decisions/0002-no-onoff-no-node-libcamera.md",
  "docs/decisions/0003-data-matrix-by-default.md",
  "docs/decisions/0004-unified-event-log-not-partitioned.md",
  "docs/decisions/0005-schema-per-tenant.md",
  "bench/NOTEBOOK.md",
  "packages/vision/bench/NOTEBOOK.md",
];

function markdownUnder(dir: string): string[] {
  return readdirSync(fromRoot(dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownUnder(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : [],
  );
}

/** The README, everything under docs/ and the benchmark notebooks it links to. */
const DOCUMENTS = [
  "README.md",
  ...markdownUnder("docs"),
  "bench/NOTEBOOK.md",
  "packages/vision/bench/NOTEBOOK.md",
];

/** Markdown text without fenced code blocks, where neither headings nor links are. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of withoutFences(readFileSync(file, "utf8")).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = slug(heading!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  from: string;
  target: string;
}

function relativeLinks(doc: string): Link[] {
  // Brackets inside inline code are not links.
  const text = withoutFences(readFileSync(fromRoot(doc), "utf8")).replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => ({ from: doc, target }));
}

/** Why a link is broken, or undefined when it leads somewhere. */
function brokenReason({ from, target }: Link): string | undefined {
  const [path, anchor] = target.split("#", 2) as [string, string | undefined];
  const file = path === "" ? fromRoot(from) : resolve(dirname(fromRoot(from)), decodeURIComponent(path));
  if (!existsSync(file)) return `${relative(fromRoot("."), file)} does not exist`;
  if (anchor === undefined || statSync(file).isDirectory() || !file.endsWith(".md")) return undefined;
  return anchorsOf(file).has(anchor)
    ? undefined
    : `no heading #${anchor} in ${relative(fromRoot("."), file)}`;
}

describe("documentation", () => {
  it(`keeps the README a front door of at most ${README_MAX_BYTES} bytes`, () => {
    expect(statSync(fromRoot("README.md")).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it.each(REQUIRED)("has %s", (file) => {
    expect(existsSync(fromRoot(file)), `${file} is missing`).toBe(true);
  });

  it.each(DOCUMENTS)("%s links only to files and headings that exist", (doc) => {
    const broken = relativeLinks(doc).flatMap((link) => {
      const reason = brokenReason(link);
      return reason ? [`${link.target}: ${reason}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it("finds a broken link and a missing heading when there is one", () => {
    expect(brokenReason({ from: "README.md", target: "docs/no-such-file.md" })).toMatch(/does not exist/);
    expect(brokenReason({ from: "README.md", target: "docs/operations.md#no-such-heading" })).toMatch(
      /no heading/,
    );
    expect(brokenReason({ from: "README.md", target: "docs/operations.md#logs" })).toBeUndefined();
  });
});
