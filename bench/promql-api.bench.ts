/**
 * PromQL through the Prometheus HTTP API (issue 7), against a real server
 * started in-process on loopback (`startServer`, embedded PGlite, a
 * temporary data directory), one keep-alive connection, one request at a
 * time: `query_range` of `sum by (mode) (rate(node_cpu_seconds_total[5m]))`
 * over 1,000 series (25 instances × 5 CPUs × 8 modes)
 *
 * - over the last 24 h at a 60 s step (the 1 min archive), p50 target ≤ 50 ms;
 * - over the last year at a 1 h step (the 1 h archive), p50 target ≤ 100 ms;
 *   a 5 min window holds no two hourly points, so that result is empty: the
 *   same range with the window Grafana's `$__rate_interval` gives at that
 *   step (1h15s) is timed too, and has data.
 *
 * Data goes in through `POST /api/v1/write` (the default `prometheus` policy:
 * 1 s for a day, 1 min for 8 days, 1 h for a year; samples every 60 s for
 * the last day, hourly for the rest of the year, about 10,000 per series) and is processed by a warm-up query
 * (pending measures of the selected series are processed first).
 * `BENCH_PROMQL_API_DIR=<dir>` keeps the data set there for the next run;
 * `BENCH_STORAGE_CACHE_MB` sets `storage.cache_size` (default 256).
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { compress } from "snappyjs";
import { DEFAULT_CONFIG } from "../src/config.js";
import { startServer } from "../src/server.js";
import { percentile, report, section } from "./harness.js";
import { call, closeConnections } from "./http.js";
import { prng } from "./workload.js";

const RUNS = Number(process.env.BENCH_PROMQL_API_RUNS ?? 30);
/**
 * A data directory to keep between runs (for profiling): loaded on the first
 * run, reused afterwards (the data's end time is kept beside it).
 */
const KEEP_DIR = process.env.BENCH_PROMQL_API_DIR;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const MODES = ["idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"];

/** Protobuf writer for WriteRequest { TimeSeries { Label, Sample } }: enough for this workload. */
function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

class Proto {
  buf: Buffer;
  len = 0;
  constructor(size = 256) {
    this.buf = Buffer.alloc(size);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
  bytes(field: number, data: Buffer | Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

function encodeSeries(labels: [string, string][], ts: Float64Array, vs: Float64Array): Uint8Array {
  const s = new Proto(ts.length * 24 + 512);
  for (const [name, value] of labels) {
    const l = new Proto();
    l.bytes(1, Buffer.from(name));
    l.bytes(2, Buffer.from(value));
    s.bytes(1, l.result());
  }
  for (let i = 0; i < ts.length; i++) {
    // Sample { double value = 1; int64 timestamp = 2 }, written in place.
    s.varint((2 << 3) | 2);
    s.varint(1 + 8 + 1 + varintLength(ts[i]!));
    s.varint((1 << 3) | 1);
    s.ensure(8);
    s.buf.writeDoubleLE(vs[i]!, s.len);
    s.len += 8;
    s.varint(2 << 3);
    s.varint(ts[i]!);
  }
  return s.result();
}

/** Sample times: the last day every minute, the rest of the year every hour. */
function sampleTimes(end: number): Float64Array {
  const out: number[] = [];
  for (let t = end - 365 * DAY; t < end - DAY; t += HOUR) out.push(t);
  for (let t = end - DAY; t <= end; t += MIN) out.push(t);
  return Float64Array.from(out);
}

async function timeQuery(base: URL, name: string, target: string, params: Record<string, string>) {
  const body = new URLSearchParams(params).toString();
  const form = { "content-type": "application/x-www-form-urlencoded" };
  let points = 0;
  const times: number[] = [];
  let cpu = process.cpuUsage();
  for (let i = 0; i < RUNS + 2; i++) {
    const start = performance.now();
    const r = await call(base, "POST", "/api/v1/query_range", body, { headers: form });
    const elapsed = performance.now() - start;
    if (r.status !== 200) throw new Error(`query_range: ${r.status} ${r.body}`);
    if (i < 2) {
      const parsed = JSON.parse(r.body) as { data: { result: { values: unknown[] }[] } };
      points = parsed.data.result.reduce((n, s) => n + s.values.length, 0);
      if (i === 1) cpu = process.cpuUsage();
      continue;
    }
    times.push(elapsed);
  }
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  report({ name: `${name}, p50`, value: percentile(times, 50), unit: "ms", target });
  report({ name: `${name}, p90`, value: percentile(times, 90), unit: "ms" });
  // Client and server share the process: CPU per request is the figure least moved by other load.
  report({
    name: `${name}, CPU per request`,
    value: (used.user + used.system) / 1000 / RUNS,
    unit: "ms",
  });
  report({ name: `${name}, points returned`, value: points, unit: "points" });
}

/** Writes the data set through remote write and processes it; returns the number of samples. */
async function load(base: URL, end: number): Promise<number> {
  const times = sampleTimes(end);
  const rand = prng(7);
  const loadStart = performance.now();
  let series = 0;
  for (let inst = 0; inst < 25; inst++) {
    const parts: Uint8Array[] = [];
    for (let cpu = 0; cpu < 5; cpu++) {
      for (const mode of MODES) {
        const values = new Float64Array(times.length);
        let v = 0;
        for (let i = 1; i < times.length; i++) {
          v += ((times[i]! - times[i - 1]!) / 1000) * rand() * 0.25;
          values[i] = Math.round(v * 100) / 100;
        }
        const labels: [string, string][] = [
          ["__name__", "node_cpu_seconds_total"],
          ["cpu", String(cpu)],
          ["instance", `host${inst}:9100`],
          ["job", "node"],
          ["mode", mode],
        ];
        const encoded = encodeSeries(labels, times, values);
        const w = new Proto(encoded.length + 16);
        w.bytes(1, encoded);
        parts.push(w.result());
        series++;
      }
    }
    const body = compress(Buffer.concat(parts));
    const r = await call(base, "POST", "/api/v1/write", body, {
      headers: {
        "content-type": "application/x-protobuf",
        "content-encoding": "snappy",
        "x-prometheus-remote-write-version": "0.1.0",
      },
    });
    if (r.status !== 204) throw new Error(`remote write: ${r.status} ${r.body}`);
  }
  const samples = series * times.length;
  report({
    name: "remote write of the data set",
    value: samples / ((performance.now() - loadStart) / 1000),
    unit: "samples/s",
  });
  return samples;
}

export async function run(): Promise<void> {
  section("PromQL HTTP API (query_range over 1,000 remote-written series)");
  const dir = KEEP_DIR ?? (await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-promql-")));
  const endFile = join(dir, "end-ms");
  const kept = KEEP_DIR !== undefined && existsSync(endFile);
  const server = await startServer(
    {
      ...DEFAULT_CONFIG,
      dataDir: join(dir, "data"),
      host: "127.0.0.1",
      port: 0,
      statsdEnabled: false,
      ...(process.env.BENCH_STORAGE_CACHE_MB
        ? { storageCacheSize: Number(process.env.BENCH_STORAGE_CACHE_MB) }
        : {}),
    },
    { role: "serve", version: "bench", logger: pino({ level: "silent" }) },
  );
  const base = new URL(server.url);
  try {
    const end = kept ? Number(await readFile(endFile, "utf8")) : Math.floor(Date.now() / MIN) * MIN;
    const samples = kept ? 0 : await load(base, end);

    const query = "sum by (mode) (rate(node_cpu_seconds_total[5m]))";
    const sec = (ms: number) => String(ms / 1000);
    const warm = performance.now();
    const first = await call(
      base,
      "POST",
      "/api/v1/query_range",
      new URLSearchParams({
        query,
        start: sec(end - 365 * DAY),
        end: sec(end),
        step: "3600",
      }).toString(),
      { headers: { "content-type": "application/x-www-form-urlencoded" } },
    );
    if (first.status !== 200) throw new Error(`warm-up: ${first.status} ${first.body}`);
    if (!kept) {
      report({
        name: `first query, processing ${(samples / 1e6).toFixed(1)} M pending samples`,
        value: (performance.now() - warm) / 1000,
        unit: "s",
      });
      if (KEEP_DIR !== undefined) await writeFile(endFile, String(end));
    }

    await timeQuery(base, "24 h at 60 s step (1 min archive)", "≤ 50 ms", {
      query,
      start: sec(end - DAY),
      end: sec(end),
      step: "60",
    });
    // Grafana aligns start and end to the step.
    const endHour = Math.floor(end / HOUR) * HOUR;
    await timeQuery(base, "1 year at 1 h step (1 h archive)", "≤ 100 ms", {
      query,
      start: sec(endHour - 365 * DAY),
      end: sec(endHour),
      step: "3600",
    });
    await timeQuery(base, "1 year at 1 h step, [$__rate_interval] = [1h15s]", "≤ 100 ms", {
      query: "sum by (mode) (rate(node_cpu_seconds_total[1h15s]))",
      start: sec(endHour - 365 * DAY),
      end: sec(endHour),
      step: "3600",
    });
  } finally {
    closeConnections();
    await server.close();
    if (KEEP_DIR === undefined) await rm(dir, { recursive: true, force: true });
  }
}
