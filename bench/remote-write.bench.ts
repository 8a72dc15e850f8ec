/**
 * Prometheus remote_write ingestion (issue 6): 10,000 series of 8 labels,
 * requests of 2,000 samples (one TimeSeries per sample, as Prometheus'
 * queue manager sends them), 4 concurrent senders over HTTP keep-alive on
 * loopback against the real server (`api` role: Hono app, auth, the
 * remote-write service, the durable incoming log; metricd not running, so
 * the figure is what ingestion alone accepts), all in this process.
 *
 * The load generator shares the 2 cores: request bodies are encoded and
 * snappy-compressed before the clock starts (each round carries new
 * timestamps), so sending costs only the HTTP client. The first round, which
 * creates the 10,000 resources' metrics and label sets, is timed apart.
 * Figures: samples/s acknowledged (each acknowledged request is fsynced),
 * requests/s, CPU seconds per million samples (server and load generator:
 * the figure a loaded machine does not distort), and the process' peak RSS.
 *
 * Then the same bodies through each stage alone, in this process, CPU time
 * per request: snappy, the WriteRequest scan, the ingester without storage
 * (a known series: hash, cache, layout) and the durable columnar append (4
 * appenders sharing fsyncs), beside the per-metric append of the same
 * samples for comparison. `BENCH_PARTS=http` or `stages` runs one part.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { compress } from "snappyjs";
import { DEFAULT_CONFIG } from "../src/config.js";
import { createLogger } from "../src/gnocchi-api/logging.js";
import { LabelStore } from "../src/indexer/label-store.js";
import { RemoteWriteIngester } from "../src/remote-write/ingester.js";
import { snappyUncompress } from "../src/remote-write/snappy.js";
import { decodeWriteRequest } from "../src/remote-write/write-request.js";
import { openIndexer, startServer, upgradeIndexer } from "../src/server.js";
import type { MeasureBatch, MeasureColumns } from "../src/storage/incoming.js";
import { FileIncomingStore } from "../src/storage/incoming-file.js";
import { report, section } from "./harness.js";
import { prng } from "./workload.js";

const SERIES = Number(process.env.BENCH_SERIES ?? 10_000);
const SAMPLES_PER_REQUEST = 2_000;
const SENDERS = 4;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const PARTS = process.env.BENCH_PARTS ?? "http,stages";
const T0 = 1_700_000_000_000;

// --- a minimal protobuf writer for the load generator -------------------------------

function varint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

function field(out: number[], tag: number, body: ArrayLike<number>): void {
  out.push(tag);
  varint(out, body.length);
  for (let i = 0; i < body.length; i++) out.push(body[i]!);
}

const utf8 = new TextEncoder();

/** The encoded `labels` fields of each series: node-exporter-like names and values. */
export function seriesLabels(): Uint8Array[] {
  const rand = prng(6);
  const modes = ["idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"];
  const names = [
    "node_cpu_seconds_total",
    "node_network_receive_bytes_total",
    "node_disk_io_time_seconds_total",
  ];
  return Array.from({ length: SERIES }, (_, s) => {
    const labels: [string, string][] = [
      ["__name__", names[s % names.length]!],
      ["job", "node"],
      ["instance", `host-${Math.floor(s / 100)}.example.org:9100`],
      ["cpu", String(s % 64)],
      ["mode", modes[s % modes.length]!],
      ["datacenter", `dc-${s % 4}`],
      ["rack", `r${Math.floor(rand() * 40)}`],
      ["series", String(s)],
    ];
    const out: number[] = [];
    for (const [n, v] of labels) {
      const label: number[] = [];
      field(label, 0x0a, utf8.encode(n));
      field(label, 0x12, utf8.encode(v));
      field(out, 0x0a, label);
    }
    return Uint8Array.from(out);
  });
}

/** Snappy WriteRequests: per round, the SERIES series in requests of SAMPLES_PER_REQUEST. */
export function requestBodies(labels: readonly Uint8Array[], rounds: number): Uint8Array[] {
  const rand = prng(7);
  const bodies: Uint8Array[] = [];
  const longest = Math.max(...labels.map((l) => l.length));
  const buf = new Uint8Array(SAMPLES_PER_REQUEST * (longest + 40));
  const view = new DataView(buf.buffer);
  let at = 0;
  const put = (n: number) => {
    while (n >= 0x80) {
      buf[at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[at++] = n;
  };
  const size = (n: number) => {
    let bytes = 1;
    for (; n >= 0x80; bytes++) n = Math.floor(n / 128);
    return bytes;
  };
  for (let r = 0; r < rounds; r++) {
    for (let first = 0; first < SERIES; first += SAMPLES_PER_REQUEST) {
      at = 0;
      for (let s = first; s < Math.min(first + SAMPLES_PER_REQUEST, SERIES); s++) {
        const timestamp = T0 + r * 15_000 + (s % 1000);
        const sample = 1 + 8 + 1 + size(timestamp);
        const series = labels[s]!.length + 2 + sample;
        buf[at++] = 0x0a;
        put(series);
        buf.set(labels[s]!, at);
        at += labels[s]!.length;
        buf[at++] = 0x12;
        put(sample);
        buf[at++] = 0x09;
        view.setFloat64(at, Math.round(rand() * 1e6) / 100, true);
        at += 8;
        buf[at++] = 0x10;
        put(timestamp);
      }
      bodies.push(compress(buf.slice(0, at)));
    }
  }
  return bodies;
}

function post(agent: Agent, port: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/api/v1/write",
        headers: {
          authorization: "basic YWRtaW46",
          "content-type": "application/x-protobuf",
          "content-encoding": "snappy",
          "x-prometheus-remote-write-version": "0.1.0",
          "content-length": body.length,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** CPU milliseconds (user + system, every thread) per call of `body` over `calls` calls. */
async function cpuPerCall(calls: number, body: (i: number) => unknown): Promise<number> {
  const cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) await body(i);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / calls;
}

/** Each stage alone on the same bodies: CPU ms per request, best of three passes. */
async function stages(bodies: readonly Uint8Array[]): Promise<void> {
  const perRound = Math.ceil(SERIES / SAMPLES_PER_REQUEST);
  const best = async (calls: number, body: (i: number) => unknown) => {
    let min = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < 3; pass++) min = Math.min(min, await cpuPerCall(calls, body));
    return min;
  };
  const max = 64 * 1024 * 1024;
  const raw = bodies.map((b) => snappyUncompress(b, max));
  const snappyMs = await best(bodies.length, (i) => snappyUncompress(bodies[i]!, max));
  const decodeMs = await best(raw.length, (i) => decodeWriteRequest(raw[i]!));

  const dataDir = await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-remote-write-stages-"));
  const config = { ...DEFAULT_CONFIG, dataDir };
  const db = await openIndexer(config);
  try {
    await upgradeIndexer(db, config);
    const captured: MeasureColumns[] = [];
    let keep = true;
    // The process's label index, as src/server.ts shares it with the ingester.
    const labelStore = await LabelStore.load(db);
    const ingester = new RemoteWriteIngester({
      db,
      labelStore,
      sightingsIntervalMs: 0,
      incoming: {
        appendColumns: async (columns) => {
          if (keep) captured.push(columns);
        },
      },
    });
    const caller = { creator: "admin", admin: true };
    for (let i = 0; i < perRound; i++) await ingester.write(bodies[i]!, caller);
    captured.length = 0;
    const ingestMs = await best(bodies.length - perRound, (i) =>
      ingester.write(bodies[perRound + i]!, caller),
    );
    keep = false;
    await ingester.close();

    const store = await FileIncomingStore.open({ dataDir, sacks: DEFAULT_CONFIG.sacks });
    const appendAll = async (append: (k: number) => Promise<void>) => {
      const cpu = process.cpuUsage();
      let next = 0;
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < captured.length) await append(next++);
        }),
      );
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000 / captured.length;
    };
    const batches: MeasureBatch[][] = captured.map((c) =>
      c.metricIds.map((metricId, r) => {
        const from = r === 0 ? 0 : c.runEnds[r - 1]!;
        const to = c.runEnds[r]!;
        return {
          metricId,
          timestamps: c.timestamps.slice(from, to),
          values: c.values.slice(from, to),
        };
      }),
    );
    let columnarMs = Number.POSITIVE_INFINITY;
    let perMetricMs = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < 3; pass++) {
      columnarMs = Math.min(columnarMs, await appendAll((k) => store.appendColumns(captured[k]!)));
      perMetricMs = Math.min(perMetricMs, await appendAll((k) => store.append(batches[k]!)));
    }
    await store.close();

    const perMillion = (ms: number) => (ms / SAMPLES_PER_REQUEST) * 1000;
    const stage = (name: string, ms: number) =>
      report({
        name: `${name}, CPU per request`,
        value: ms,
        unit: `ms (${perMillion(ms).toFixed(2)} CPU-s per million samples)`,
      });
    section(
      "remote write stages alone (same bodies, CPU time per 2,000-sample request, best of 3)",
    );
    stage("snappy decompression", snappyMs);
    stage("WriteRequest scan", decodeMs);
    stage("ingester without storage (snappy + scan + cache + layout)", ingestMs);
    stage("durable columnar append, 4 appenders", columnarMs);
    stage("durable per-metric append of the same samples", perMetricMs);
  } finally {
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const labels = seriesLabels();
  const bodies = requestBodies(labels, ROUNDS);
  if (PARTS.includes("http")) await overHttp(bodies);
  if (PARTS.includes("stages"))
    await stages(bodies.slice(0, 10 * Math.ceil(SERIES / SAMPLES_PER_REQUEST)));
}

async function overHttp(bodies: readonly Uint8Array[]): Promise<void> {
  section(
    `remote write: ${SERIES.toLocaleString("en-US")} series × 8 labels, ${SAMPLES_PER_REQUEST} samples/request, ${SENDERS} senders, durable`,
  );
  const dataDir = await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-remote-write-"));
  const config = {
    ...DEFAULT_CONFIG,
    dataDir,
    host: "127.0.0.1",
    port: 0,
    logLevel: "warn" as const,
  };
  const indexer = await openIndexer(config);
  await upgradeIndexer(indexer, config);
  await indexer.close();
  const server = await startServer(config, {
    role: "api",
    version: "bench",
    logger: createLogger("warn"),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  try {
    const perRound = Math.ceil(SERIES / SAMPLES_PER_REQUEST);

    const t0 = performance.now();
    for (let i = 0; i < perRound; i++) {
      const status = await post(agent, server.port, bodies[i]!);
      if (status !== 204) throw new Error(`first round: HTTP ${status}`);
    }
    const created = (performance.now() - t0) / 1000;

    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 200);
    let next = perRound;
    let requests = 0;
    let failures = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const deadline = start + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (performance.now() < deadline) {
          const body = bodies[next++ % bodies.length]!;
          const status = await post(agent, server.port, body);
          if (status === 204) requests++;
          else failures++;
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);

    report({
      name: "first write of every series (creates them)",
      value: SERIES / created,
      unit: "series/s",
    });
    report({
      name: "samples accepted, steady state",
      value: (requests * SAMPLES_PER_REQUEST) / elapsed,
      unit: "samples/s",
      target: ">= 1,350,000 (VictoriaMetrics 1.79 here)",
    });
    report({ name: "requests accepted", value: requests / elapsed, unit: "requests/s" });
    report({
      name: "CPU per million samples (server and load generator)",
      value: (used.user + used.system) / 1e6 / ((requests * SAMPLES_PER_REQUEST) / 1e6),
      unit: "CPU-s",
    });
    if (failures > 0) report({ name: "requests refused", value: failures, unit: "requests" });
    report({
      name: "RSS once the series exist, before the steady state",
      value: rssBefore / 2 ** 20,
      unit: "MiB",
    });
    report({ name: "peak RSS (server and load generator)", value: peakRss / 2 ** 20, unit: "MiB" });
  } finally {
    agent.destroy();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
