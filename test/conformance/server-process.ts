/**
 * `gnocchi-ts` as a child process: the compiled `dist/cli.js` (or
 * `src/cli.ts` through tsx), on a free loopback port, with its own data
 * directory. Used by the conformance runner and the gnocchiclient e2e test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../support/free-port.js";

export const ROOT = join(import.meta.dirname, "../..");

/** The functional-test fixture of gabbi-coverage.md §1 as `serve` flags. */
export const FIXTURE_FLAGS: readonly string[] = [
  "--url-prefix=/gnocchi",
  "--max-limit=7",
  "--enable-proxy-headers-parsing",
  "--cors-allowed-origin=http://foobar.com",
  "--sacks=128",
  // Gnocchi's fixture processes every sack each 0.1 s.
  "--metricd-processing-delay=0.1",
];

/** How to start the CLI: compiled output, or the sources through tsx. */
export function cliCommand(fromSource: boolean): string[] {
  if (fromSource) return ["--import", "tsx", join(ROOT, "src/cli.ts")];
  const dist = join(ROOT, "dist/cli.js");
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` first`);
  return [dist];
}

/**
 * The environment of a child `gnocchi-ts`: the caller's, without any
 * `GNOCCHI_TS_*` variable (a developer's own configuration must not leak in).
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("GNOCCHI_TS_")) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs a CLI command to completion (e.g. `upgrade`); rejects with its output on failure. */
export function runCli(args: readonly string[], env: Record<string, string>, fromSource: boolean) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...cliCommand(fromSource), ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`gnocchi-ts ${args.join(" ")} exited with ${code}\n${output}`)),
    );
  });
}

export interface ServerProcess {
  readonly port: number;
  /** `http://127.0.0.1:<port>` (without the URL prefix). */
  readonly url: string;
  /** Everything the server printed so far (JSON log lines). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartOptions {
  readonly dataDir: string;
  /** Extra flags after `serve --data-dir … --port … --host 127.0.0.1`. */
  readonly flags?: readonly string[];
  readonly fromSource?: boolean;
  /** Path prefix of the health check (`/gnocchi` with the fixture flags). */
  readonly prefix?: string;
  readonly startTimeoutMs?: number;
  readonly logLevel?: string;
}

const MAX_OUTPUT = 256 * 1024;

/**
 * Starts `gnocchi-ts serve` (without its statsd listener) and waits until
 * `<prefix>/healthcheck` answers 200.
 */
export async function startServe(options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...cliCommand(options.fromSource ?? false),
      "serve",
      `--data-dir=${options.dataDir}`,
      `--port=${port}`,
      "--host=127.0.0.1",
      `--log-level=${options.logLevel ?? "warn"}`,
      ...(options.flags ?? []),
    ],
    {
      cwd: ROOT,
      // No statsd listener: its fixed UDP port would clash between servers
      // running side by side (a variable, so a build without statsd ignores it).
      env: cleanEnv({ GNOCCHI_TS_STATSD_ENABLED: "false" }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const append = (d: Buffer) => {
    output += d.toString();
    // Keep the tail: a long run at debug level must not grow without bound.
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT / 2);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (graceMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gnocchi-ts serve exited early (${child.exitCode})\n${output}`);
    }
    try {
      const res = await fetch(`${url}${options.prefix ?? ""}/healthcheck`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop(1_000);
      throw new Error(`gnocchi-ts serve did not become healthy\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, url, output: () => output, stop };
}
