/**
 * A real Prometheus (Debian's `prometheus`) scraping a real node exporter
 * (`prometheus-node-exporter`) every second, both on loopback, with
 * `remote_write` to a gnocchi-ts server this test starts: the node
 * exporter's series must arrive, each label set as its own metric of the
 * `prometheus` resource `node@<exporter address>`, checked through /v1.
 *
 * Under CI=true the test FAILS when prometheus or the node exporter is
 * missing or cannot start (.ci/run installs them); elsewhere it is skipped
 * with a message.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { createLogger } from "../../src/gnocchi-api/logging.js";
import { resourceIdFromInput } from "../../src/indexer/resource-id.js";
import { type RunningServer, startServer } from "../../src/server.js";
import { freePort } from "../support/free-port.js";

const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? "");
const ADMIN = "basic YWRtaW46";

function installed(binary: string): boolean {
  try {
    execFileSync(binary, ["--version"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const available = installed("prometheus") && installed("prometheus-node-exporter");
if (!available && !inCI) {
  console.warn(
    "[e2e] skipping the Prometheus remote-write test: install prometheus and prometheus-node-exporter (apt-get)",
  );
}

const dir = mkdtempSync(join(tmpdir(), "gnocchi-e2e-prometheus-"));
const children: ChildProcess[] = [];
let server: RunningServer | undefined;

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

function start(command: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, output: () => output };
}

/** The metric name the remote-write mapping gives a label set (job and instance name the resource). */
function metricName(name: string, labels: Record<string, string>): string {
  const quote = (v: string) =>
    v
      .replaceAll("\\", "\\\\")
      .replaceAll('"', '\\"')
      .replaceAll("\n", "\\n")
      .replaceAll("∕", "\\∕")
      .replaceAll("/", "∕");
  const parts = Object.keys(labels)
    .filter((k) => k !== "job" && k !== "instance" && labels[k] !== "")
    .sort()
    .map((k) => `${k}="${quote(labels[k]!)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(",")}}`;
}

/** Series of one metric family in a text exposition (simple label values only). */
function exposedSeries(text: string, family: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${family}{`) && !line.startsWith(`${family} `)) continue;
    const body = /\{(.*)\}/.exec(line)?.[1] ?? "";
    const labels: Record<string, string> = {};
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    out.push(labels);
  }
  return out;
}

it.skipIf(!available && !inCI)(
  "stores the node exporter's series sent by a real Prometheus",
  async () => {
    if (!available) throw new Error("prometheus or prometheus-node-exporter is not installed");
    server = await startServer(
      {
        ...DEFAULT_CONFIG,
        dataDir: join(dir, "gnocchi"),
        host: "127.0.0.1",
        port: 0,
        logLevel: "warn",
        metricdProcessingDelay: 1,
      },
      { role: "serve", version: "e2e", logger: createLogger("warn") },
    );
    const exporterPort = await freePort();
    const exporter = start("prometheus-node-exporter", [
      `--web.listen-address=127.0.0.1:${exporterPort}`,
      "--collector.disable-defaults",
      "--collector.cpu",
      "--collector.loadavg",
      "--collector.meminfo",
      "--collector.filesystem",
      "--collector.uname",
    ]);
    const instance = `127.0.0.1:${exporterPort}`;
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["${instance}"]
remote_write:
  - url: ${server.url}/api/v1/write
    basic_auth:
      username: admin
      password: unused
    queue_config:
      batch_send_deadline: 1s
      max_samples_per_send: 500
`,
    );
    const prometheus = start("prometheus", [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${await freePort()}`,
    ]);

    const rid = resourceIdFromInput(`node@${instance}`, "admin");
    const get = async (path: string) => {
      const res = await fetch(`${server!.url}${path}`, { headers: { authorization: ADMIN } });
      return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
    };
    let exposition = "";
    let names = new Set<string>();
    let missing: string[] = ["(nothing checked yet)"];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && missing.length > 0) {
      await new Promise((r) => setTimeout(r, 1000));
      for (const [what, p] of [
        ["node exporter", exporter],
        ["prometheus", prometheus],
      ] as const) {
        if (p.child.exitCode !== null) {
          throw new Error(`${what} exited with ${p.child.exitCode}:\n${p.output()}`);
        }
      }
      try {
        exposition = await (await fetch(`http://${instance}/metrics`)).text();
      } catch {
        continue; // the exporter is not listening yet
      }
      const metrics = await get(`/v1/resource/prometheus/${rid}/metric`);
      if (metrics.status !== 200) continue;
      names = new Set((metrics.body as { name: string }[]).map((m) => m.name));
      const expected = [
        "up",
        "node_load1",
        ...exposedSeries(exposition, "node_cpu_seconds_total").map((l) =>
          metricName("node_cpu_seconds_total", l),
        ),
        ...exposedSeries(exposition, "node_filesystem_avail_bytes").map((l) =>
          metricName("node_filesystem_avail_bytes", l),
        ),
        ...exposedSeries(exposition, "node_uname_info").map((l) =>
          metricName("node_uname_info", l),
        ),
      ];
      missing = expected.filter((n) => !names.has(n));
    }
    expect(missing, `still missing after 90 s; Prometheus said:\n${prometheus.output()}`).toEqual(
      [],
    );

    const resource = await get(`/v1/resource/prometheus/${rid}`);
    expect(resource.status).toBe(200);
    expect(resource.body).toMatchObject({
      id: rid,
      type: "prometheus",
      job: "node",
      instance,
      original_resource_id: `node@${instance}`,
    });
    // Series that differ only in labels other than __name__ are distinct metrics.
    const cpus = [...names].filter((n) => n.startsWith("node_cpu_seconds_total{"));
    expect(cpus.length).toBeGreaterThanOrEqual(8);
    expect(cpus.some((n) => n.includes('mode="idle"'))).toBe(true);
    // A label value with `/` (the root mountpoint) is kept, written with `∕`.
    expect([...names].some((n) => n.includes('mountpoint="∕'))).toBe(true);
  },
  180_000,
);
