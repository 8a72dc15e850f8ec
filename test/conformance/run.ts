/**
 * `npm run conformance`: replays Gnocchi's own functional tests (the gabbi
 * YAML files of Debian's python3-gnocchi) against gnocchi-ts, one fresh
 * server per file with the upstream fixture (gabbi-coverage.md §1), two
 * files at a time. Prints each file's result as it finishes, failing cases
 * one line each (request, expected vs got), then a summary and the closing
 * line `N passed, M failed`.
 *
 *   npm run conformance                       # build, then every file
 *   npm run conformance -- archive metric     # files whose name contains a word
 *   npm run conformance -- --source           # run src/ through tsx, no build
 *
 * Options: --jobs N (1–2), --gabbits DIR (or GNOCCHI_GABBITS_DIR), --source,
 * --no-build, --file-timeout SECONDS, --known-failures FILE,
 * --update-known-failures, --quiet (no per-case lines).
 * Needs Debian's python3-gabbi (/usr/bin/python3 -c 'import gabbi').
 * Exit status: 1 when a case fails that the known-failures file (if any)
 * does not list.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { gabbitsDir, listGabbits } from "./gabbits-source.js";
import { compareKnown, readKnown, writeKnown } from "./known-failures.js";
import { formatFile, formatSummary, tally } from "./report.js";
import { type FileResult, runFile } from "./run-file.js";
import { cleanEnv, ROOT, runCli } from "./server-process.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    jobs: { type: "string", default: "2" },
    gabbits: { type: "string" },
    source: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
    "file-timeout": { type: "string", default: "240" },
    "known-failures": { type: "string" },
    "update-known-failures": { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Debian's python, which sees the python3-gabbi module (an earlier python3 on PATH may not). */
function findPython(): string {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(python, ["-c", "import gabbi"], { stdio: "ignore" });
      return python;
    } catch {
      // try the next one
    }
  }
  throw new Error("gabbi is not installed: apt-get install -y python3-gabbi");
}

/** Runs `fn` over `items` with at most `jobs` running at once, results in item order. */
async function pool<T, R>(items: readonly T[], jobs: number, fn: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

async function main(): Promise<number> {
  const jobs = Math.max(1, Math.min(2, Number.parseInt(values.jobs, 10) || 2));
  const fromSource = values.source;
  const python = findPython();
  const dir = gabbitsDir(values.gabbits ?? process.env.GNOCCHI_GABBITS_DIR, log);
  const files = listGabbits(dir).filter(
    (f) => positionals.length === 0 || positionals.some((p) => f.includes(p)),
  );
  if (files.length === 0)
    throw new Error(`no gabbi file in ${dir} matches ${positionals.join(" ")}`);

  if (!fromSource && !values["no-build"]) {
    log("building (npm run build)…");
    execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  }

  const workDir = mkdtempSync(join(tmpdir(), "gnocchi-ts-conformance-"));
  const started = Date.now();
  let results: FileResult[];
  try {
    // PGlite's initdb costs ~10–20 s: pay it once, then copy the directory per file.
    const templateDir = join(workDir, "template");
    log(
      `${files.length} file(s) from ${relative(ROOT, dir)}; preparing the template data directory…`,
    );
    await runCli(
      ["upgrade", `--data-dir=${templateDir}`, "--sacks=128", "--log-level=warn"],
      cleanEnv({ GNOCCHI_TS_CREATE_DEFAULT_ARCHIVE_POLICIES: "false" }),
      fromSource,
    );
    const timeoutMs = Number.parseFloat(values["file-timeout"]) * 1000;
    results = await pool(files, jobs, async (file) => {
      const result = await runFile(file, {
        gabbitsDir: dir,
        templateDir,
        workDir,
        python,
        fromSource,
        timeoutMs,
      });
      log(formatFile(result, { quiet: values.quiet }));
      return result;
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const knownPath = values["known-failures"] ?? join(import.meta.dirname, "known-failures.txt");
  if (values["update-known-failures"]) {
    writeKnown(knownPath, results);
    log(`wrote ${relative(ROOT, knownPath)}`);
  }
  const known = existsSync(knownPath) ? readKnown(knownPath) : undefined;
  const comparison = compareKnown(results, known);
  log(formatSummary(results, (Date.now() - started) / 1000, comparison, knownPath));
  const { passed, failed } = tally(results);
  log(`${passed} passed, ${failed} failed`);
  return comparison.unexpected.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`conformance: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 2;
  },
);
