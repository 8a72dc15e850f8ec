/**
 * `gnocchi-ts serve` as a child process on a free port with a temporary data
 * directory: it initializes the embedded indexer with the default policies,
 * answers, applies its flags, and exits 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { freePort } from "../support/free-port.js";

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/healthcheck`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not become healthy");
}

const dataDir = mkdtempSync(join(tmpdir(), "gnocchi-e2e-"));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

it("serves the default policies and stops cleanly on SIGTERM", async () => {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli.ts",
      "serve",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--storage-cache-size",
      "64",
    ],
    {
      cwd: join(import.meta.dirname, "../.."),
      env: { ...process.env, GNOCCHI_TS_DATA_DIR: dataDir, GNOCCHI_TS_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child = proc;
  let output = "";
  proc.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, proc, 45_000);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : error}\n${output}`);
  }

  const res = await fetch(`${url}/v1/archive_policy`, {
    headers: { authorization: `basic ${Buffer.from("admin:").toString("base64")}` },
  });
  expect(res.status).toBe(200);
  const policies = (await res.json()) as { name: string }[];
  expect(policies.map((p) => p.name).sort()).toEqual([
    "bool",
    "high",
    "low",
    "medium",
    "prometheus",
  ]);
  const rules = (await (
    await fetch(`${url}/v1/archive_policy_rule`, { headers: { authorization: "basic YWRtaW46" } })
  ).json()) as { name: string; metric_pattern: string }[];
  expect(rules).toEqual([{ name: "default", metric_pattern: "*", archive_policy_name: "low" }]);

  // The cache size flag reaches the storage engine.
  const exposition = await (await fetch(`${url}/metrics`)).text();
  expect(exposition).toMatch(/^gnocchi_storage_cache_limit_bytes 67108864$/m);

  proc.kill("SIGTERM");
  expect(await exited).toBe(0);
}, 90_000);
