import { defineConfig } from "vitest/config";

// Tests run the workspace packages from their sources (the `source` export condition), so a change
// in packages/vision is tested without a build.
const conditions = ["source", "node", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    include: ["{appliance,cloud,shared,cli,test}/**/*.test.ts", "packages/*/src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
