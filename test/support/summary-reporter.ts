/**
 * Prints the plain closing line `N passed, N failed, N skipped` after a run,
 * so CI logs state the test count in a form any reader (human or CI) parses.
 * A test that never ran because a hook of its suite (or module) failed counts
 * as failed, not skipped: a `beforeAll` that cannot start a server must not
 * read as a green run.
 */
import type { Reporter, TestCase, TestModule } from "vitest/node";

function underFailedHook(test: TestCase): boolean {
  for (let node = test.parent; ; node = node.parent) {
    if (node.errors().length > 0) return true;
    if (node.type === "module") return false;
  }
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed" || underFailedHook(test)) failed++;
        else skipped++;
      }
      if (module.state() === "failed" && module.children.size === 0) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
