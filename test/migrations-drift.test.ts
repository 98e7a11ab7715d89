// The committed migrations must be exactly what the drizzle schema generates: a schema change without
// `npm run db:generate` fails here.
import { describe, expect, it } from "vitest";
import { diffTarget } from "../scripts/migration-diff.js";
import { TARGETS } from "../scripts/migration-targets.js";

describe("generated migrations", () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    "%s is up to date with the drizzle schema",
    async (_, target) => {
      const { statements } = await diffTarget(target);
      expect(statements).toEqual([]);
    },
  );
});
