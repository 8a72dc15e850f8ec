/**
 * REST measures figures (issue 5), against a real server started in-process
 * on loopback (`startServer`, embedded PGlite, a temporary data directory),
 * driven over keep-alive HTTP connections:
 *
 * - ingest: `POST /v1/batch/metrics/measures` with 1,000 metrics × 100
 *   measures per request (≈ 4 MB of JSON), 4 requests in flight, for a fixed
 *   time; the figure is measures answered 202 (durable: the incoming log's
 *   fsync covers them) per second. The server runs as `api` (no metricd), so
 *   the figure is the API's, not aggregation's.
 * - read: `GET /v1/metric/{id}/measures` of a one-year series at 1 h (8,760
 *   points, ≈ 400 kB of JSON) sent open-loop at 200 requests/s; latency
 *   percentiles from the scheduled send time. Twice: plain, then with the
 *   `Accept-Encoding: gzip, deflate` that python-requests and Grafana send
 *   (≈ 60 kB, the body cache's gzip).
 *
 * The load generator shares the machine's cores with the server, so the
 * figures are lower bounds of what a separate client would see.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { DEFAULT_CONFIG } from "../src/config.js";
import { type RunningServer, startServer } from "../src/server.js";
import { percentile, report, section } from "./harness.js";
import { call, closeConnections, expectStatus } from "./http.js";
import { prng } from "./workload.js";

const INGEST_SECONDS = Number(process.env.BENCH_INGEST_SECONDS ?? 10);
const READ_SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 10);
const METRICS = 1_000;
const PER_METRIC = 100;
const IN_FLIGHT = 4;
const READ_RATE = 200;

async function start(dataDir: string, role: "serve" | "api"): Promise<RunningServer> {
  return startServer(
    {
      ...DEFAULT_CONFIG,
      dataDir,
      host: "127.0.0.1",
      port: 0,
      sacks: 32,
      metricdProcessingDelay: 3600,
      statsdEnabled: false,
      logLevel: "silent",
    },
    { role, version: "bench", logger: pino({ level: "silent" }) },
  );
}

/** Batch bodies (pre-serialized, distinct timestamps) for the metrics. */
function batchBodies(ids: readonly string[], count: number): Buffer[] {
  const rand = prng(5);
  const bodies: Buffer[] = [];
  for (let b = 0; b < count; b++) {
    const t0 = 1_700_000_000 + b * PER_METRIC * 10;
    const parts: string[] = [];
    for (const id of ids) {
      const measures: string[] = [];
      let v = rand() * 100;
      for (let i = 0; i < PER_METRIC; i++) {
        v += rand() - 0.5;
        measures.push(`{"timestamp": ${t0 + i * 10}, "value": ${v.toFixed(2)}}`);
      }
      parts.push(`"${id}": [${measures.join(", ")}]`);
    }
    bodies.push(Buffer.from(`{${parts.join(", ")}}`));
  }
  return bodies;
}

async function ingest(base: URL, ids: readonly string[]): Promise<void> {
  const bodies = batchBodies(ids, 8);
  // Warm-up: JIT and the incoming log's first segment.
  await expectStatus(call(base, "POST", "/v1/batch/metrics/measures", bodies[0]!), 202);
  let accepted = 0;
  let requests = 0;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + INGEST_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, w) => {
      let k = w;
      while (performance.now() < deadline) {
        const body = bodies[k++ % bodies.length]!;
        await expectStatus(call(base, "POST", "/v1/batch/metrics/measures", body), 202);
        accepted += METRICS * PER_METRIC;
        requests++;
        bytes += body.length;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  report({
    name: "batch POST, 1,000 metrics × 100 measures, accepted durably",
    value: accepted / elapsed,
    unit: "measures/s",
    target: ">= 1,000,000",
  });
  report({ name: "  requests", value: requests / elapsed, unit: "req/s" });
  report({ name: "  request bodies", value: bytes / elapsed / 1e6, unit: "MB/s" });
  report({
    name: "  per CPU second of the process (server + load generator)",
    value: accepted / ((cpu.user + cpu.system) / 1e6),
    unit: "measures/s",
  });
}

async function read(base: URL): Promise<void> {
  await expectStatus(
    call(
      base,
      "POST",
      "/v1/archive_policy",
      JSON.stringify({
        name: "hourly-year",
        aggregation_methods: ["mean", "max"],
        definition: [{ granularity: "1 hour", timespan: "365 days" }],
      }),
    ),
    201,
  );
  const created = await expectStatus(
    call(base, "POST", "/v1/metric", JSON.stringify({ archive_policy_name: "hourly-year" })),
    201,
  );
  const id = (JSON.parse(created.body) as { id: string }).id;
  const rand = prng(9);
  const t0 = 1_672_531_200; // 2023-01-01
  const measures = Array.from({ length: 8760 }, (_, h) => ({
    timestamp: t0 + h * 3600,
    value: Math.round(rand() * 10_000) / 100,
  }));
  await expectStatus(
    call(base, "POST", `/v1/metric/${id}/measures`, JSON.stringify(measures)),
    202,
  );
  const path = `/v1/metric/${id}/measures`;
  const first = await expectStatus(call(base, "GET", `${path}?refresh=true`), 200);
  const points = (JSON.parse(first.body) as unknown[]).length;
  report({
    name: `GET measures, 1 year at 1 h (${points} points)`,
    value: first.body.length / 1024,
    unit: "KiB",
  });
  await openLoop(base, path, "plain", {});
  // What python-requests (hence gnocchiclient) and Go's client (hence Grafana) send.
  await openLoop(base, path, "gzip", { "accept-encoding": "gzip, deflate" });
}

/** GETs of `path` sent open-loop at READ_RATE; latency from each request's scheduled time. */
async function openLoop(
  base: URL,
  path: string,
  label: string,
  headers: Record<string, string>,
): Promise<void> {
  const options = { decode: false, headers };
  // Warm-up, which also lets the body cache gzip the body in the background.
  let bytes = 0;
  for (let i = 0; i < 50; i++)
    bytes = (await expectStatus(call(base, "GET", path, undefined, options), 200)).bytes;

  // One request at a time: CPU per request without queueing, the figure load moves least.
  const sequential = 500;
  const seqCpu0 = process.cpuUsage();
  for (let i = 0; i < sequential; i++)
    await expectStatus(call(base, "GET", path, undefined, options), 200);
  const seqCpu = process.cpuUsage(seqCpu0);

  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const interval = 1000 / READ_RATE;
  const total = READ_SECONDS * READ_RATE;
  const begin = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = begin + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      expectStatus(call(base, "GET", path, undefined, options), 200).then(() => {
        latencies.push(performance.now() - scheduled);
      }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - begin) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  report({
    name: `  ${label}: ${(bytes / 1024).toFixed(0)} KiB sent, rate`,
    value: total / elapsed,
    unit: "req/s",
    target: "200",
  });
  report({ name: "    latency p50", value: percentile(latencies, 50), unit: "ms" });
  report({ name: "    latency p99", value: percentile(latencies, 99), unit: "ms", target: "<= 5" });
  report({ name: "    latency p99.9", value: percentile(latencies, 99.9), unit: "ms" });
  report({
    name: "    CPU per request (server + load generator)",
    value: (cpu.user + cpu.system) / 1000 / total,
    unit: "ms",
  });
  report({
    name: "    same, one request at a time",
    value: (seqCpu.user + seqCpu.system) / 1000 / sequential,
    unit: "ms",
  });
}

export async function run(): Promise<void> {
  section("REST measures (in-process server on loopback, embedded PGlite)");
  const dataDir = await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-api-"));
  try {
    // First start initializes the data directory; the measured server runs without metricd.
    await (await start(dataDir, "serve")).close();
    const server = await start(dataDir, "api");
    try {
      const base = new URL(server.url);
      const ids: string[] = [];
      for (let i = 0; i < METRICS; i++) {
        const r = await expectStatus(
          call(base, "POST", "/v1/metric", JSON.stringify({ archive_policy_name: "low" })),
          201,
        );
        ids.push((JSON.parse(r.body) as { id: string }).id);
      }
      await ingest(base, ids);
      await read(base);
    } finally {
      closeConnections();
      await server.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
