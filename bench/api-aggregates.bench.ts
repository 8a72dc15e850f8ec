/**
 * `/v1/aggregates` figures (issue 5), against a real server started
 * in-process on loopback (`startServer`, embedded PGlite, a temporary data
 * directory), over one keep-alive connection, one request at a time:
 *
 * - `(aggregate mean (metric (id1 mean) ... (id100 mean)))` over 100 metrics
 *   of 1,440 one-minute points each (a day): latency percentiles of the
 *   whole request (reads, grid, reduction, JSON);
 * - the same 100 series returned one by one (`(metric ...)`, 144,000 rows of
 *   JSON), the heaviest shape of the endpoint.
 *
 * Data is posted through `/v1/batch/metrics/measures` and processed with the
 * deprecated endpoint's `refresh=true` before timing. The client shares the
 * machine's cores with the server; the CPU time per request (process CPU
 * over requests) is the figure least moved by other load on the machine.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { DEFAULT_CONFIG } from "../src/config.js";
import { startServer } from "../src/server.js";
import { percentile, report, section } from "./harness.js";
import { call, closeConnections, expectStatus } from "./http.js";
import { prng } from "./workload.js";

const SECONDS = Number(process.env.BENCH_AGGREGATES_SECONDS ?? 10);
const METRICS = 100;
const POINTS = 1_440;

/** A day of one-minute points per metric, a random walk each. */
function measuresBody(ids: readonly string[]): string {
  const rand = prng(11);
  const t0 = 1_700_006_400; // a UTC day boundary
  const parts = ids.map((id) => {
    let v = rand() * 100;
    const points: string[] = [];
    for (let i = 0; i < POINTS; i++) {
      v += rand() - 0.5;
      points.push(`{"timestamp": ${t0 + i * 60}, "value": ${v.toFixed(2)}}`);
    }
    return `"${id}": [${points.join(", ")}]`;
  });
  return `{${parts.join(", ")}}`;
}

interface Timings {
  /** Wall-clock latencies (ms), ascending. */
  readonly sorted: number[];
  /** Process CPU time per request (ms): server and client share the process. */
  readonly cpuPerRequest: number;
}

/** Closed-loop latencies of `send` for `seconds`, after a warm-up. */
async function latencies(send: () => Promise<void>, seconds: number): Promise<Timings> {
  for (let i = 0; i < 5; i++) await send();
  const out: number[] = [];
  const cpu = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await send();
    out.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  return {
    sorted: out.sort((a, b) => a - b),
    cpuPerRequest: (used.user + used.system) / 1000 / out.length,
  };
}

export async function run(): Promise<void> {
  section("REST /v1/aggregates (in-process server, loopback, 1 connection)");
  const dataDir = await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-aggregates-"));
  const server = await startServer(
    {
      ...DEFAULT_CONFIG,
      dataDir,
      host: "127.0.0.1",
      port: 0,
      sacks: 32,
      metricdProcessingDelay: 3600,
      logLevel: "silent",
    },
    { role: "serve", version: "bench", logger: pino({ level: "silent" }) },
  );
  try {
    const base = new URL(server.url);
    await expectStatus(
      call(
        base,
        "POST",
        "/v1/archive_policy",
        JSON.stringify({
          name: "bench-day",
          aggregation_methods: ["mean", "max"],
          definition: [{ granularity: 60, points: POINTS }],
        }),
      ),
      201,
    );
    const ids: string[] = [];
    for (let i = 0; i < METRICS; i++) {
      const r = await expectStatus(
        call(base, "POST", "/v1/metric", JSON.stringify({ archive_policy_name: "bench-day" })),
        201,
      );
      ids.push((JSON.parse(r.body) as { id: string }).id);
    }
    await expectStatus(call(base, "POST", "/v1/batch/metrics/measures", measuresBody(ids)), 202);
    const refresh = ids.map((id) => `metric=${id}`).join("&");
    await expectStatus(
      call(base, "GET", `/v1/aggregation/metric?${refresh}&granularity=60&refresh=true`),
      200,
    );

    const refs = ids.map((id) => `(${id} mean)`).join(" ");
    const aggregate = JSON.stringify({ operations: `(aggregate mean (metric ${refs}))` });
    let rows = 0;
    const mean = await latencies(async () => {
      const r = await expectStatus(call(base, "POST", "/v1/aggregates", aggregate), 200);
      rows = (JSON.parse(r.body) as { measures: { aggregated: unknown[] } }).measures.aggregated
        .length;
    }, SECONDS);
    if (rows !== POINTS) throw new Error(`expected ${POINTS} aggregated rows, got ${rows}`);
    report({
      name: `aggregate mean, ${METRICS} metrics × ${POINTS} points, p50`,
      value: percentile(mean.sorted, 50),
      unit: "ms",
      target: "<= 20",
    });
    report({
      name: `aggregate mean, ${METRICS} metrics × ${POINTS} points, p99`,
      value: percentile(mean.sorted, 99),
      unit: "ms",
    });
    report({
      name: "aggregate mean, CPU time per request (server + client)",
      value: mean.cpuPerRequest,
      unit: "ms",
    });

    const each = JSON.stringify({ operations: `(metric ${refs})` });
    const series = await latencies(async () => {
      await expectStatus(call(base, "POST", "/v1/aggregates", each), 200);
    }, SECONDS / 2);
    report({
      name: `${METRICS} series returned whole (${METRICS * POINTS} rows), p50`,
      value: percentile(series.sorted, 50),
      unit: "ms",
    });
  } finally {
    closeConnections();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
