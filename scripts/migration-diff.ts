// Diffs a target's committed snapshot against the drizzle schema in the source tree.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  generateDrizzleJson,
  generateMigration,
  generateSQLiteDrizzleJson,
  generateSQLiteMigration,
} from "drizzle-kit/api";
import type { MigrationTarget } from "./migration-targets.js";

export interface TargetDiff {
  statements: string[];
  snapshot: unknown;
}

export async function diffTarget(target: MigrationTarget): Promise<TargetDiff> {
  const snapshotPath = join(target.dir, "snapshot.json");
  const prev = existsSync(snapshotPath) ? JSON.parse(readFileSync(snapshotPath, "utf8")) : undefined;
  const imports = await target.load();
  if (target.dialect === "sqlite") {
    const cur = await generateSQLiteDrizzleJson(imports);
    const base = prev ?? (await generateSQLiteDrizzleJson({}));
    const statements = await generateSQLiteMigration(base, cur);
    return { statements: statements.map(target.adapt), snapshot: cur };
  }
  const cur = generateDrizzleJson(imports);
  const base = prev ?? generateDrizzleJson({});
  const statements = await generateMigration(base, cur);
  return { statements: statements.map(target.adapt), snapshot: cur };
}
