/**
 * Where the conformance target comes from: the gabbi YAML files of Debian's
 * `python3-gnocchi` package (gnocchi/tests/functional/gabbits, with the
 * prometheus_fixtures binaries), fetched with `apt-get download` and
 * unpacked with `dpkg -x` (no install: Gnocchi itself is not needed), and
 * cached under node_modules/.cache so later runs work offline.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./server-process.js";

const PACKAGE = "python3-gnocchi";
const IN_PACKAGE = "usr/lib/python3/dist-packages/gnocchi/tests/functional/gabbits";
export const CACHE_DIR = join(ROOT, "node_modules/.cache/gnocchi-conformance/gabbits");

const hasYaml = (dir: string) =>
  existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".yaml"));

/**
 * The directory of YAML files: `explicit` (--gabbits / GNOCCHI_GABBITS_DIR)
 * if given, else the cache, filled from Debian's package on first use.
 */
export function gabbitsDir(explicit: string | undefined, log: (line: string) => void): string {
  if (explicit !== undefined && explicit !== "") {
    if (!hasYaml(explicit)) throw new Error(`${explicit} holds no .yaml file`);
    return explicit;
  }
  if (hasYaml(CACHE_DIR)) return CACHE_DIR;
  const work = mkdtempSync(join(tmpdir(), "gnocchi-deb-"));
  try {
    log(`fetching ${PACKAGE} with apt-get download…`);
    try {
      execFileSync("apt-get", ["download", PACKAGE], { cwd: work, stdio: "pipe" });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
      throw new Error(
        `apt-get download ${PACKAGE} failed (run \`apt-get update\` first, or pass --gabbits DIR):\n${stderr}`,
      );
    }
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (deb === undefined) throw new Error(`apt-get download ${PACKAGE} produced no .deb`);
    execFileSync("dpkg", ["-x", deb, "x"], { cwd: work, stdio: "pipe" });
    const source = join(work, "x", IN_PACKAGE);
    if (!hasYaml(source)) throw new Error(`${deb} has no ${IN_PACKAGE}`);
    rmSync(CACHE_DIR, { recursive: true, force: true });
    mkdirSync(join(CACHE_DIR, ".."), { recursive: true });
    cpSync(source, CACHE_DIR, { recursive: true });
    log(`unpacked ${deb} into ${CACHE_DIR}`);
    return CACHE_DIR;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The test files, sorted; editor swap files and the like are not tests. */
export function listGabbits(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && !f.startsWith("."))
    .sort();
}
