/**
 * Storage figures (issue 4): incoming appends acknowledged durable from 8
 * concurrent writers with batches of 1,000 measures, and the aggregate store's
 * disk use — allocated blocks as `du` counts them, not apparent sizes — per
 * stored byte after writing many small splits for 10,000 metrics.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FileAggregateStore } from "../src/storage/aggregate-file.js";
import type { MeasureBatch } from "../src/storage/incoming.js";
import { FileIncomingStore } from "../src/storage/incoming-file.js";
import { report, section } from "./harness.js";
import { du, prng } from "./workload.js";

async function appendThroughput(
  label: string,
  metricsPerBatch: number,
  seconds: number,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-incoming-"));
  const store = await FileIncomingStore.open({ dataDir });
  const metrics = Array.from({ length: 10_000 }, () => randomUUID());
  const perMetric = 1000 / metricsPerBatch;
  const writers = 8;
  let measures = 0;
  let calls = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  // Each writer sends fresh batch objects over preallocated arrays (the API
  // layer hands typed arrays over; the store copies them into its frame).
  const timestamps = new Float64Array(perMetric);
  const values = new Float64Array(perMetric);
  for (let i = 0; i < perMetric; i++) {
    timestamps[i] = 1_700_000_000_000_000 + i * 1_000_000;
    values[i] = i * 0.5;
  }
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      let m = w * 997;
      while (performance.now() < deadline) {
        const batches: MeasureBatch[] = [];
        for (let k = 0; k < metricsPerBatch; k++) {
          batches.push({ metricId: metrics[m++ % metrics.length]!, timestamps, values });
        }
        await store.append(batches);
        measures += metricsPerBatch * perMetric;
        calls++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  report({
    name: `incoming append, 8 writers, ${label}`,
    value: measures / elapsed,
    unit: "measures/s",
    target: ">= 2,000,000",
  });
  report({
    name: "  append calls per fsync (group commit)",
    value: calls / Math.max(1, store.stats.fsyncs),
    unit: "calls/fsync",
  });
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
}

async function aggregateDisk(metricCount: number): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-aggregates-"));
  const store = await FileAggregateStore.open({ dataDir });
  const rand = prng(7);
  const methods = ["mean", "min", "max", "sum", "std", "count"];
  const granularities = [1, 60, 3600].map((s) => s * 1_000_000);
  const pool = new Uint8Array(4096 + 3600 * 2);
  for (let i = 0; i < pool.length; i++) pool[i] = (rand() * 256) | 0;
  let stored = 0;
  let points = 0;
  let onePerFile = 0;
  let splits = 0;
  const t0 = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let m = 0; m < metricCount; m++) {
    const puts = [];
    for (const method of methods) {
      for (const granularity of granularities) {
        const n = 100 + Math.floor(rand() * 3500);
        const from = Math.floor(rand() * 4096);
        const data = pool.slice(from, from + Math.round(n * 1.5));
        puts.push({ split: { method, granularity, key: 0 }, data });
        stored += data.length;
        points += n;
        onePerFile += Math.ceil(data.length / 4096) * 4096;
        splits++;
      }
    }
    const raw = new Uint8Array(400);
    stored += raw.length;
    onePerFile += 4096;
    const p = store.commit(randomUUID(), { puts, rawBuffer: raw, incomingMarker: `bench@${m}` });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 256) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const writeSeconds = (performance.now() - t0) / 1000;
  await store.close();
  const usage = await du(join(dataDir, "aggregates"));
  report({
    name: `aggregate commits, ${metricCount} metrics x 18 splits`,
    value: metricCount / writeSeconds,
    unit: "commits/s",
  });
  report({
    name: "aggregate store: disk (du) per stored byte",
    value: usage.allocated / stored,
    unit: "B/B",
    target: "<= 1.3",
  });
  report({
    name: "aggregate store: disk (du) per aggregate point (1.5 B/point data)",
    value: usage.allocated / points,
    unit: "B/point",
    target: "<= 2",
  });
  report({
    name: "  same data, one file per split (Gnocchi layout), per stored byte",
    value: onePerFile / stored,
    unit: "B/B",
  });
  report({ name: "  files on disk", value: usage.files, unit: `files for ${splits} splits` });
  await rm(dataDir, { recursive: true, force: true });
}

export async function run(): Promise<void> {
  section("Storage: incoming (durable appends, group commit)");
  await appendThroughput("1 metric x 1,000 measures per batch", 1, 3);
  await appendThroughput("100 metrics x 10 measures per batch", 100, 3);
  section("Storage: aggregate file store (log-structured segments)");
  await aggregateDisk(10_000);
}
