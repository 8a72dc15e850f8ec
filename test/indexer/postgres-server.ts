/**
 * Starts a throw-away PostgreSQL server for the indexer tests, from the
 * Debian binaries (`apt-get install -y postgresql`), in a temporary directory,
 * listening on a free loopback port with its unix socket in that directory.
 *
 * Commands run (as the `postgres` user via `runuser -u postgres --` when the
 * tests run as root, since initdb refuses root; directly otherwise):
 *   initdb -D <tmp>/data -U postgres -A trust -E UTF8 --no-locale --no-sync
 *   pg_ctl -D <tmp>/data -l <tmp>/postgres.log -w -t 60 -o "<settings>" start
 *   pg_ctl -D <tmp>/data -m immediate -w stop        (teardown, then rm -rf <tmp>)
 * `<settings>` = listen_addresses=127.0.0.1, port, unix_socket_directories=<tmp>,
 * fsync/synchronous_commit/full_page_writes off (tests need no durability).
 *
 * Environment: GNOCCHI_TEST_PG_BINDIR picks the binaries (default: the newest
 * /usr/lib/postgresql/<version>/bin); GNOCCHI_TEST_PG_URL uses an existing
 * server instead of starting one (it must allow CREATE DATABASE).
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../support/free-port.js";

const run = promisify(execFile);

export interface PostgresServer {
  /** Admin connection URL (database `postgres`). */
  readonly url: string;
  readonly version: string;
  stop(): Promise<void>;
}

/** The directory holding initdb/pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgresBinDir(): string | undefined {
  const forced = process.env.GNOCCHI_TEST_PG_BINDIR;
  if (forced) return existsSync(join(forced, "initdb")) ? forced : undefined;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin");
}

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run("id", ["-u", user])).stdout.trim());
  const gid = Number((await run("id", ["-g", user])).stdout.trim());
  return { uid, gid };
}

/** Starts a server, or uses GNOCCHI_TEST_PG_URL. Throws with the server log when it cannot start. */
export async function startPostgres(): Promise<PostgresServer> {
  const external = process.env.GNOCCHI_TEST_PG_URL;
  if (external) return { url: external, version: "external", stop: async () => {} };

  const bin = findPostgresBinDir();
  if (bin === undefined) {
    throw new Error(
      "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install -y postgresql, or set GNOCCHI_TEST_PG_BINDIR)",
    );
  }
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "gnocchi-ts-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "postgres.log");
  const exec = async (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
    return run(file, argv, { cwd: dir, timeout: 120_000 });
  };
  try {
    if (asRoot) {
      const { uid, gid } = await userIds("postgres");
      chownSync(dir, uid, gid);
    }
    await exec(join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--no-locale",
      "--no-sync",
    ]);
    const version = (await exec(join(bin, "postgres"), ["--version"])).stdout.trim();
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const settings = [
        "-c listen_addresses=127.0.0.1",
        `-c port=${port}`,
        `-c unix_socket_directories=${dir}`,
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=200",
      ].join(" ");
      try {
        await exec(join(bin, "pg_ctl"), [
          "-D",
          data,
          "-l",
          log,
          "-w",
          "-t",
          "60",
          "-o",
          settings,
          "start",
        ]);
      } catch (error) {
        lastError = error; // most likely the port was taken meanwhile: try another one
        continue;
      }
      let stopped = false;
      return {
        url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
        version,
        async stop() {
          if (stopped) return;
          stopped = true;
          try {
            await exec(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    }
    throw lastError;
  } catch (error) {
    const serverLog = existsSync(log) ? readFileSync(log, "utf8") : "";
    rmSync(dir, { recursive: true, force: true });
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `could not start PostgreSQL: ${message}${serverLog ? `\n--- server log ---\n${serverLog}` : ""}`,
    );
  }
}
