import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One real PostgreSQL server per run, shared by the indexer test files (each gets its own database).
    globalSetup: ["test/indexer/global-setup.ts"],
    // Property tests over thousands of random series are CPU bound; keep the 2-core CI honest.
    testTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
