/**
 * One gabbi file against one fresh server: copy the template data directory,
 * start `gnocchi-ts serve` with the fixture flags, run gabbi_file.py against
 * it, stop the server. Every case of the file gets exactly one outcome, also
 * when the server does not start or the runner crashes or times out.
 */
import { spawn } from "node:child_process";
import { cp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { FIXTURE_FLAGS, type ServerProcess, startServe } from "./server-process.js";

export type Outcome = "pass" | "fail" | "error" | "skip" | "xfail" | "xpass";

export interface CaseResult {
  readonly name: string;
  readonly outcome: Outcome;
  readonly detail: string;
}

export interface FileResult {
  readonly file: string;
  readonly cases: CaseResult[];
  /** Distinct error-level lines the server logged (500s, metricd errors). */
  readonly serverErrors: string[];
  readonly seconds: number;
}

/** Outcomes that count as passed: gabbi tolerates both kinds of xfail results. */
export const PASSING: ReadonlySet<Outcome> = new Set(["pass", "xfail", "xpass"]);

export interface RunFileOptions {
  readonly gabbitsDir: string;
  readonly templateDir: string;
  readonly workDir: string;
  readonly python: string;
  readonly fromSource: boolean;
  readonly timeoutMs: number;
}

/** The case names of a file, in order (the YAML `tests` list). */
export async function caseNames(path: string): Promise<string[]> {
  // Like PyYAML, accept duplicate keys (batch-measures.yaml has some: last one wins).
  const doc = parseYaml(await readFile(path, "utf8"), {
    uniqueKeys: false,
    customTags: [{ tag: "!AssertNAN", resolve: () => Number.NaN }],
  }) as { tests?: { name?: string }[] };
  return (doc.tests ?? []).map((t, i) => t.name ?? `#${i + 1}`);
}

/** pino JSON lines at level ≥ 50 (error), as `msg: err.message`, distinct, at most `max`. */
export function serverErrors(log: string, max = 5): string[] {
  const seen = new Set<string>();
  for (const line of log.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as {
        level?: number;
        msg?: string;
        err?: { message?: string };
      };
      if ((entry.level ?? 0) < 50) continue;
      const text = [entry.msg, entry.err?.message?.split("\n")[0]].filter(Boolean).join(": ");
      seen.add(text.length > 300 ? `${text.slice(0, 299)}…` : text);
      if (seen.size >= max) break;
    } catch {
      // not a log line
    }
  }
  return [...seen];
}

/** Runs gabbi_file.py; resolves with the cases it reported and why it stopped early, if it did. */
function runGabbi(
  options: RunFileOptions,
  path: string,
  port: number,
): Promise<{ cases: CaseResult[]; problem?: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      options.python,
      [join(import.meta.dirname, "gabbi_file.py"), `--port=${port}`, "--prefix=/gnocchi", path],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
    );
    const cases: CaseResult[] = [];
    let pending = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") cases.push(JSON.parse(line) as CaseResult);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ cases, problem: `file timed out after ${options.timeoutMs / 1000} s` });
      } else if (code !== 0) {
        const tail = stderr.trim().split("\n").slice(-3).join(" | ");
        resolve({ cases, problem: `gabbi runner exited with ${code}: ${tail}` });
      } else {
        resolve({ cases });
      }
    });
  });
}

export async function runFile(file: string, options: RunFileOptions): Promise<FileResult> {
  const started = Date.now();
  const path = join(options.gabbitsDir, file);
  // Unreadable here means gabbi reports the problem itself (as an error case).
  const names = await caseNames(path).catch(() => [] as string[]);
  const dataDir = join(options.workDir, file.replace(/\.yaml$/, ""));
  let server: ServerProcess | undefined;
  let cases: CaseResult[] = [];
  let problem: string | undefined;
  let log = "";
  try {
    // Two attempts: the free port found may be taken by the time the server binds.
    for (let attempt = 1; server === undefined; attempt++) {
      await rm(dataDir, { recursive: true, force: true });
      await cp(options.templateDir, dataDir, { recursive: true });
      try {
        server = await startServe({
          dataDir,
          flags: FIXTURE_FLAGS,
          fromSource: options.fromSource,
          prefix: "/gnocchi",
        });
      } catch (error) {
        if (attempt >= 2) throw error;
      }
    }
    ({ cases, problem } = await runGabbi(options, path, server.port));
  } catch (error) {
    problem = `server did not start: ${error instanceof Error ? error.message.split("\n").slice(0, 4).join(" | ") : error}`;
  } finally {
    if (server !== undefined) {
      await server.stop();
      log = server.output();
    }
    await rm(dataDir, { recursive: true, force: true });
  }
  // Cases the runner never reported (crash, timeout) are failures.
  for (const name of names.slice(cases.length)) {
    cases.push({ name, outcome: "error", detail: `not run: ${problem ?? "no result reported"}` });
  }
  return {
    file,
    cases,
    serverErrors: serverErrors(log),
    seconds: (Date.now() - started) / 1000,
  };
}
