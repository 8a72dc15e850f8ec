/**
 * An optional ratchet: a text file of `file.yaml: case name` lines (`#`
 * comments) listing cases known to fail. Failing cases it lists do not fail
 * the run's exit status; everything else that fails does. Without the file,
 * every failure does. `--update-known-failures` writes the current failures.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { type FileResult, PASSING } from "./run-file.js";

export interface KnownComparison {
  /** Whether a known-failures file was read. */
  readonly listed: boolean;
  /** Failing cases the file does not list (all failing cases without a file). */
  readonly unexpected: string[];
  /** Listed cases of the files run that pass now. */
  readonly fixed: string[];
  readonly knownFailing: number;
}

const key = (file: string, name: string) => `${file}: ${name}`;

export function readKnown(path: string): Set<string> {
  return new Set(
    readFileSync(path, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#")),
  );
}

export function writeKnown(path: string, results: readonly FileResult[]): void {
  const lines = [
    "# Gnocchi gabbi cases gnocchi-ts is known to fail (npm run conformance).",
    "# Listed failures do not fail the run; regenerate with --update-known-failures.",
  ];
  for (const r of [...results].sort((a, b) => a.file.localeCompare(b.file))) {
    for (const c of r.cases) {
      if (c.outcome === "fail" || c.outcome === "error") lines.push(key(r.file, c.name));
    }
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

export function compareKnown(
  results: readonly FileResult[],
  known: ReadonlySet<string> | undefined,
): KnownComparison {
  const unexpected: string[] = [];
  const fixed: string[] = [];
  let knownFailing = 0;
  for (const r of results) {
    for (const c of r.cases) {
      const k = key(r.file, c.name);
      const failing = c.outcome === "fail" || c.outcome === "error";
      if (failing && known?.has(k)) knownFailing++;
      else if (failing) unexpected.push(k);
      else if (known?.has(k) && PASSING.has(c.outcome)) fixed.push(k);
    }
  }
  return { listed: known !== undefined, unexpected, fixed, knownFailing };
}
