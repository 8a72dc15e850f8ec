/**
 * The runner's output: one block per file as it finishes (failing cases one
 * line each, with the request and expected vs got, so a route author sees
 * what to fix), then a per-file summary table.
 */
import { relative } from "node:path";
import type { KnownComparison } from "./known-failures.js";
import { type FileResult, PASSING } from "./run-file.js";
import { ROOT } from "./server-process.js";

export interface Tally {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Passed = pass, xfail, xpass; failed = fail, error; skipped = a case's own `skip:`. */
export function tally(results: readonly FileResult[]): Tally {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const { cases } of results) {
    for (const c of cases) {
      if (PASSING.has(c.outcome)) passed++;
      else if (c.outcome === "skip") skipped++;
      else failed++;
    }
  }
  return { passed, failed, skipped };
}

function fileLine(result: FileResult, width: number): string {
  const { passed, failed } = tally([result]);
  const mark = failed === 0 ? "✓" : "✗";
  const counts = `${passed}/${result.cases.length}`.padStart(7);
  return `${mark} ${result.file.padEnd(width)} ${counts}  ${result.seconds.toFixed(1).padStart(5)} s`;
}

export function formatFile(result: FileResult, options: { quiet: boolean }): string {
  const lines = [fileLine(result, 38)];
  if (!options.quiet) {
    for (const c of result.cases) {
      if (c.outcome === "fail" || c.outcome === "error") {
        lines.push(`    ✗ ${c.name} — ${c.detail}`);
      } else if (c.outcome === "skip") {
        lines.push(`    - ${c.name} (skipped: ${c.detail})`);
      } else if (c.outcome === "xpass") {
        lines.push(`    ! ${c.name} (marked xfail upstream, passes here)`);
      }
    }
    for (const e of result.serverErrors) lines.push(`    server error log: ${e}`);
  }
  return lines.join("\n");
}

export function formatSummary(
  results: readonly FileResult[],
  seconds: number,
  known: KnownComparison,
  knownPath: string,
): string {
  const sorted = [...results].sort((a, b) => a.file.localeCompare(b.file));
  const clean = sorted.filter((r) => tally([r]).failed === 0).length;
  const lines = [
    "",
    "summary:",
    ...sorted.map((r) => `  ${fileLine(r, 38)}`),
    `${clean} of ${sorted.length} files pass entirely, in ${seconds.toFixed(0)} s`,
  ];
  if (known.listed) {
    const file = relative(ROOT, knownPath);
    lines.push(
      `${known.knownFailing} failing case(s) are listed in ${file}; ${known.unexpected.length} failing case(s) are not`,
    );
    for (const name of known.unexpected) lines.push(`  new failure: ${name}`);
    for (const name of known.fixed) lines.push(`  now passing (remove from ${file}): ${name}`);
  }
  return lines.join("\n");
}
