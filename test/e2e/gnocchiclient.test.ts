/**
 * The real `gnocchi` command of Debian's python3-gnocchiclient against
 * `gnocchi-ts serve` started here (basic auth as admin, default policies):
 * every command the CLI has except `benchmark`, deletes included. The CLI
 * sends `Accept: application/json` on DELETE, which must get 204 (Gnocchi
 * itself answers 406 there). Missing CLI: skipped locally, a failure under
 * CI=true (apt-get install python3-gnocchiclient).
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServe } from "../conformance/server-process.js";

/** The `gnocchi` command on PATH, or GNOCCHI_CLI (another client build). */
function findCli(): string | undefined {
  const command = process.env.GNOCCHI_CLI ?? "gnocchi";
  try {
    execFileSync(command, ["--version"], { stdio: "ignore", env: cliEnv() });
    return command;
  } catch {
    return undefined;
  }
}

/** No OS_* / GNOCCHI_* settings of the developer's shell: the flags below say it all. */
function cliEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    LANG: "C.UTF-8",
    PYTHONWARNINGS: "ignore",
  };
}

const CLI = findCli();
const IN_CI = process.env.CI === "true";
if (CLI === undefined && !IN_CI) {
  console.warn(
    "gnocchiclient e2e skipped: no `gnocchi` command (apt-get install python3-gnocchiclient)",
  );
}

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let server: ServerProcess | undefined;
/** Why there is no server: thrown by every command, so each test fails (and counts) on its own. */
let startError: Error | undefined;
const dataDir = mkdtempSync(join(tmpdir(), "gnocchi-cli-e2e-"));

/** Runs `gnocchi <args>` as admin against the server. */
function gnocchi(...args: string[]): Promise<CliResult> {
  if (CLI === undefined)
    throw new Error("no `gnocchi` command: apt-get install python3-gnocchiclient");
  if (server === undefined) throw startError ?? new Error("server not started");
  const base = ["--os-auth-type", "gnocchi-basic", "--user", "admin", "--endpoint", server.url];
  return new Promise((resolve) => {
    execFile(
      CLI,
      [...base, ...args],
      { env: cliEnv(), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `gnocchi <args> -f json`, which must succeed; its parsed output. */
async function json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const result = await gnocchi(...args, "-f", "json");
  if (result.code !== 0) {
    throw new Error(
      `gnocchi ${args.join(" ")} exited ${result.code}: ${result.stderr}${result.stdout}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}

/** A command without output (deletes, measures add), which must succeed. */
async function ok(...args: string[]): Promise<void> {
  const result = await gnocchi(...args);
  if (result.code !== 0) {
    throw new Error(
      `gnocchi ${args.join(" ")} exited ${result.code}: ${result.stderr}${result.stdout}`,
    );
  }
}

/** A command that must fail with `message` on stderr (the server's error text, as the CLI prints it). */
async function fails(message: RegExp, ...args: string[]): Promise<void> {
  const result = await gnocchi(...args);
  expect(result.code, result.stdout).not.toBe(0);
  expect(result.stderr).toMatch(message);
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${server?.url}${path}`, {
    ...init,
    headers: { authorization: "basic YWRtaW46", ...(init.headers as Record<string, string>) },
  });

// Each CLI call costs ~1 s of Python start-up (several on a loaded machine).
describe.skipIf(CLI === undefined && !IN_CI)(
  "gnocchi CLI (python3-gnocchiclient)",
  { timeout: 180_000 },
  () => {
    beforeAll(async () => {
      if (CLI === undefined) return; // the first test fails (CI=true only gets here)
      try {
        server = await startServe({
          dataDir,
          fromSource: true,
          startTimeoutMs: 280_000,
          // The janitor expunges deleted metrics quickly, so their policy can be deleted at the end.
          flags: ["--metricd-processing-delay=0.1", "--metricd-cleanup-delay=1"],
        });
      } catch (error) {
        startError = error instanceof Error ? error : new Error(String(error));
      }
    }, 300_000);

    afterAll(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("finds the gnocchi command", () => {
      expect(
        CLI,
        "CI=true but no `gnocchi` command: apt-get install python3-gnocchiclient",
      ).toBeDefined();
    });

    it("server version, status and capabilities", async () => {
      expect(Object.keys(await json("server", "version"))).toEqual(["version"]);
      const status = await json("status");
      expect(status["storage/total number of measures to process"]).toBeTypeOf("number");
      expect(status["storage/number of metric having measures to process"]).toBeTypeOf("number");
      const caps = await json<{ aggregation_methods: string }>("capabilities", "list");
      expect(String(caps.aggregation_methods)).toContain("rate:mean");
    });

    // gnocchiclient 7.0.7 PATCHes /v1/archive_policy//<name> (double slash), as for rules.
    it("archive-policy create, list, show, update", async () => {
      const created = await json(
        "archive-policy",
        "create",
        "cli-policy",
        "-d",
        "granularity:1s,points:3600",
        "-d",
        "granularity:1m,timespan:1 day",
        "-b",
        "0",
        "-m",
        "mean",
        "-m",
        "max",
      );
      expect(created).toEqual({
        name: "cli-policy",
        back_window: 0,
        definition: [
          { granularity: "0:00:01", points: 3600, timespan: "1:00:00" },
          { granularity: "0:01:00", points: 1440, timespan: "1 day, 0:00:00" },
        ],
        aggregation_methods: expect.arrayContaining(["max", "mean"]),
      });
      expect(created.aggregation_methods).toHaveLength(2);
      const list = await json<{ name: string }[]>("archive-policy", "list");
      // The defaults (bool, low, medium, high, …) are there too.
      expect(list.map((p) => p.name)).toEqual(expect.arrayContaining(["cli-policy", "low"]));
      expect((await json("archive-policy", "show", "cli-policy")).name).toBe("cli-policy");
      const updated = await json(
        "archive-policy",
        "update",
        "cli-policy",
        "-d",
        "granularity:1s,points:7200",
        "-d",
        "granularity:1m,timespan:1 day",
      );
      expect(updated.definition).toEqual([
        { granularity: "0:00:01", points: 7200, timespan: "2:00:00" },
        { granularity: "0:01:00", points: 1440, timespan: "1 day, 0:00:00" },
      ]);
      await fails(/Archive policy nope does not exist/, "archive-policy", "show", "nope");
    });

    it("archive-policy-rule create, list, show", async () => {
      const rule = await json(
        "archive-policy-rule",
        "create",
        "cli-rule",
        "-a",
        "cli-policy",
        "-m",
        "cli.*",
      );
      expect(rule).toMatchObject({
        name: "cli-rule",
        archive_policy_name: "cli-policy",
        metric_pattern: "cli.*",
      });
      const rules = await json<{ name: string }[]>("archive-policy-rule", "list");
      expect(rules.map((r) => r.name)).toEqual(expect.arrayContaining(["cli-rule", "default"]));
      expect((await json("archive-policy-rule", "show", "cli-rule")).metric_pattern).toBe("cli.*");
      await fails(/Archive policy rule nope does not exist/, "archive-policy-rule", "show", "nope");
    });

    it("archive-policy-rule update (rename) and delete", async () => {
      await json("archive-policy-rule", "create", "cli-tmp", "-a", "low", "-m", "tmp.*");
      // gnocchiclient 7.0.7 sends PATCH /v1/archive_policy_rule//cli-tmp (double slash).
      const renamed = await json("archive-policy-rule", "update", "cli-tmp", "-n", "cli-renamed");
      expect(renamed).toEqual({
        name: "cli-renamed",
        archive_policy_name: "low",
        metric_pattern: "tmp.*",
      });
      await fails(
        /Archive policy rule cli-tmp does not exist/,
        "archive-policy-rule",
        "show",
        "cli-tmp",
      );
      await ok("archive-policy-rule", "delete", "cli-renamed");
      await fails(/does not exist/, "archive-policy-rule", "show", "cli-renamed");
    });

    it("resource-type create, list, show, update", async () => {
      const created = await json(
        "resource-type",
        "create",
        "cli-host",
        "-a",
        "hostname:string:true:max_length=64",
        "-a",
        "cores:number:false:min=1",
      );
      expect(created.name).toBe("cli-host");
      expect(String(created["attributes/hostname"])).toContain("max_length=64");
      const types = await json<{ name: string }[]>("resource-type", "list");
      expect(types.map((t) => t.name).sort()).toEqual(["cli-host", "generic"]);
      expect((await json("resource-type", "show", "cli-host")).state).toBe("active");
      const updated = await json(
        "resource-type",
        "update",
        "cli-host",
        "-a",
        "region:string:false",
        "-r",
        "cores",
      );
      expect(Object.keys(updated).sort()).toEqual(
        ["attributes/hostname", "attributes/region", "name", "state"].sort(),
      );
    });

    let cpuId = "";
    it("resource create, show, update, history, list, search", async () => {
      const created = await json(
        "resource",
        "create",
        "web-1",
        "--type",
        "cli-host",
        "-a",
        "hostname:web1.example.com",
        "-n",
        "cli.cpu",
      );
      expect(created.original_resource_id).toBe("web-1");
      expect(created.type).toBe("cli-host");
      expect(created.hostname).toBe("web1.example.com");
      const shown = await json("resource", "show", "web-1", "--type", "cli-host");
      expect(shown.id).toBe(created.id);
      const updated = await json(
        "resource",
        "update",
        "web-1",
        "--type",
        "cli-host",
        "-a",
        "region:eu",
        "-n",
        "cli.mem",
      );
      expect(updated.region).toBe("eu");
      const history = await json<{ region: string | null }[]>(
        "resource",
        "history",
        "web-1",
        "--type",
        "cli-host",
        "--details",
      );
      expect(history.map((h) => h.region)).toEqual([null, "eu"]);
      const list = await json<{ id: string }[]>("resource", "list", "--type", "cli-host");
      expect(list.map((r) => r.id)).toEqual([created.id]);
      const found = await json<{ id: string }[]>(
        "resource",
        "search",
        "--type",
        "cli-host",
        "hostname='web1.example.com' and region=eu",
      );
      expect(found.map((r) => r.id)).toEqual([created.id]);
      expect(await json("resource", "search", "--type", "cli-host", "region=us")).toEqual([]);
      const resource = (await (
        await api(`/v1/resource/cli-host/${String(created.id)}`)
      ).json()) as {
        metrics: Record<string, string>;
      };
      expect(Object.keys(resource.metrics).sort()).toEqual(["cli.cpu", "cli.mem"]);
      cpuId = resource.metrics["cli.cpu"] ?? "";
    });

    let tempId = "";
    it("metric create, list, show", async () => {
      const created = await json("metric", "create", "cli.temp", "--unit", "C");
      // The rule cli.* → cli-policy picked the policy.
      expect(created.archive_policy_name).toBe("cli-policy");
      expect(created.unit).toBe("C");
      tempId = String(created.id);
      const plain = await json("metric", "create", "--archive-policy-name", "low");
      expect(plain.archive_policy_name).toBe("low");
      const list = await json<{ id: string; name: string | null }[]>("metric", "list");
      expect(list.map((m) => m.id)).toEqual(expect.arrayContaining([tempId, cpuId, plain.id]));
      expect(await json("metric", "show", tempId)).toMatchObject({
        name: "cli.temp",
        "archive_policy/name": "cli-policy",
        unit: "C",
      });
      const byName = await json("metric", "show", "--resource-id", "web-1", "cli.cpu");
      expect(byName.id).toBe(cpuId);
      await ok("metric", "delete", String(plain.id));
      await fails(/not exist|not found/i, "metric", "show", String(plain.id));
    });

    it("measures add, show", async () => {
      await ok(
        "measures",
        "add",
        tempId,
        "-m",
        "2024-01-01T00:00:00+00:00@10",
        "-m",
        "2024-01-01T00:00:01+00:00@20",
        "-m",
        "2024-01-01T00:01:00+00:00@30",
      );
      await ok(
        "measures",
        "add",
        "--resource-id",
        "web-1",
        "cli.cpu",
        "-m",
        "2024-01-01T00:00:00+00:00@4",
      );
      type Row = { timestamp: string; granularity: number; value: number };
      const rows = await json<Row[]>(
        "measures",
        "show",
        tempId,
        "--refresh",
        "--utc",
        "--granularity",
        "60",
      );
      expect(rows.map((r) => [r.timestamp.slice(0, 19), r.granularity, r.value])).toEqual([
        ["2024-01-01T00:00:00", 60, 15],
        ["2024-01-01T00:01:00", 60, 30],
      ]);
      const max = await json<Row[]>(
        "measures",
        "show",
        tempId,
        "--utc",
        "--aggregation",
        "max",
        "--granularity",
        "60",
      );
      expect(max.map((r) => r.value)).toEqual([20, 30]);
      const byName = await json<Row[]>(
        "measures",
        "show",
        "--resource-id",
        "web-1",
        "cli.cpu",
        "--refresh",
        "--granularity",
        "1",
      );
      expect(byName.map((r) => r.value)).toEqual([4]);
    });

    it("measures aggregation", async () => {
      type Row = { timestamp: string; granularity: number; value: number };
      const agg = await json<Row[]>(
        "measures",
        "aggregation",
        "-m",
        tempId,
        cpuId,
        "--granularity",
        "1",
        "--refresh",
        "--utc",
      );
      expect(agg.map((r) => [r.timestamp.slice(0, 19), r.value])).toEqual([
        ["2024-01-01T00:00:00", 7],
      ]);
    });

    it("aggregates, in metric mode and resource mode", async () => {
      type Row = { name: string; timestamp: string; granularity: number; value: number };
      const metricMode = await json<Row[]>(
        "aggregates",
        `(* (metric ${tempId} mean) 2)`,
        "--granularity",
        "60",
      );
      expect(metricMode.map((r) => r.value)).toEqual([30, 60]);
      const resourceMode = await json<Row[]>(
        "aggregates",
        "(aggregate max (metric cli.cpu mean))",
        "hostname='web1.example.com'",
        "--resource-type",
        "cli-host",
        "--granularity",
        "1",
      );
      expect(resourceMode.map((r) => r.value)).toEqual([4]);
    });

    it("measures batch-metrics and batch-resources-metrics", async () => {
      const dir = mkdtempSync(join(tmpdir(), "gnocchi-cli-batch-"));
      try {
        const byMetric = join(dir, "metrics.json");
        writeFileSync(
          byMetric,
          JSON.stringify({ [tempId]: [{ timestamp: "2024-01-01T00:02:00", value: 50 }] }),
        );
        await ok("measures", "batch-metrics", byMetric);
        const byResource = join(dir, "resources.json");
        writeFileSync(
          byResource,
          JSON.stringify({
            "web-1": { "cli.disk": [{ timestamp: "2024-01-01T00:00:00", value: 1 }] },
          }),
        );
        await fails(/Unknown metrics|cli\.disk/, "measures", "batch-resources-metrics", byResource);
        await ok("measures", "batch-resources-metrics", "--create-metrics", byResource);
        const rows = await json<{ value: number }[]>(
          "measures",
          "show",
          tempId,
          "--refresh",
          "--granularity",
          "60",
        );
        expect(rows.map((r) => r.value)).toEqual([15, 30, 50]);
        const disk = await json<{ value: number }[]>(
          "measures",
          "show",
          "--resource-id",
          "web-1",
          "cli.disk",
          "--refresh",
        );
        expect(disk.map((r) => r.value)).toContain(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("a DELETE with Accept: application/json gets 204", async () => {
      await api("/v1/archive_policy_rule", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "tmp", metric_pattern: "tmp.*", archive_policy_name: "low" }),
      });
      const res = await api("/v1/archive_policy_rule/tmp", {
        method: "DELETE",
        headers: { accept: "application/json" },
      });
      expect(res.status).toBe(204);
    });

    it("deletes: metric, resource, resource batch, resource-type, rule, policy", async () => {
      await ok("metric", "delete", tempId);
      await fails(/not exist|not found/i, "metric", "show", tempId);
      await json("resource", "create", "web-2", "--type", "cli-host", "-a", "hostname:web2");
      await json("resource", "create", "web-3", "--type", "cli-host", "-a", "hostname:web3");
      await ok("resource", "delete", "web-1");
      await fails(/not exist|not found/i, "resource", "show", "web-1");
      const batch = await json(
        "resource",
        "batch",
        "delete",
        "--type",
        "cli-host",
        "hostname like 'web%'",
      );
      expect(batch.deleted).toBe(2);
      expect(await json("resource", "list", "--type", "cli-host")).toEqual([]);
      await ok("resource-type", "delete", "cli-host");
      await fails(/not exist|not found/i, "resource-type", "show", "cli-host");
      await ok("archive-policy-rule", "delete", "cli-rule");
      // The policy is in use until the janitor has expunged the deleted metrics.
      let last: CliResult | undefined;
      for (let i = 0; i < 30; i++) {
        last = await gnocchi("archive-policy", "delete", "cli-policy");
        if (last.code === 0) break;
        expect(last.stderr).toMatch(/in use/);
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(last?.code, last?.stderr).toBe(0);
      await fails(
        /Archive policy cli-policy does not exist/,
        "archive-policy",
        "show",
        "cli-policy",
      );
    });
  },
);
