/**
 * metricd figures (issue 4): end-to-end aggregation into splits on disk for
 * 10,000 metrics with a 3-granularity × 6-method policy (1 s × 1 h,
 * 1 min × 1 week, 1 h × 1 year; mean min max sum count last), steady state
 * with measures arriving in order 1 s apart; the disk bytes per stored
 * aggregate point as `du` counts them (st_blocks × 512); and read latency for
 * one metric, a year at 1 h plus a week at 1 min, warm and cold.
 *
 * Simulated time runs faster than real time: each round appends the next
 * `ROUND_SECONDS` seconds of every metric (durable, 8 concurrent writers),
 * then metricd processes the backlog. The processing rate is measures over
 * metricd's wall time; the first round (creating every metric's storage) is
 * a warm-up and not counted.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { ArchivePolicy } from "../src/carbonara/archive-policy.js";
import { splitPointCount } from "../src/carbonara/split-codec.js";
import {
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
} from "../src/carbonara/time.js";
import type { MeasureBatch } from "../src/storage/incoming.js";
import { InMemoryMetricCatalog } from "../src/storage/metric-catalog.js";
import { StorageEngine } from "../src/storage/storage-engine.js";
import { percentile, report, section } from "./harness.js";
import { du, prng } from "./workload.js";

const METRICS = Number(process.env.BENCH_METRICS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 1200);
const WRITERS = 8;
const METRICS_PER_CALL = 100;
const S = MICROS_PER_SECOND;
const T0 = 1_700_000_000 * S - ((1_700_000_000 * S) % (3600 * S));

const POLICY: ArchivePolicy = {
  name: "bench",
  backWindow: 0,
  aggregationMethods: ["mean", "min", "max", "sum", "count", "last"],
  definition: [
    { granularity: S, points: 3600, timespan: MICROS_PER_HOUR },
    { granularity: MICROS_PER_MINUTE, points: 10080, timespan: 7 * MICROS_PER_DAY },
    { granularity: MICROS_PER_HOUR, points: 8760, timespan: 365 * MICROS_PER_DAY },
  ],
};

function uuid(n: number): string {
  const hex = n.toString(16).padStart(32, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Every metric's next `seconds` of a 2-decimal random walk, 1 s apart, appended by 8 writers. */
async function ingest(
  engine: StorageEngine,
  ids: readonly string[],
  walk: Float64Array,
  from: number,
  seconds: number,
  rand: () => number,
): Promise<void> {
  const timestamps = new Float64Array(seconds);
  for (let i = 0; i < seconds; i++) timestamps[i] = T0 + (from + i) * S;
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < ids.length) {
        const first = next;
        next += METRICS_PER_CALL;
        const batches: MeasureBatch[] = [];
        for (let m = first; m < Math.min(first + METRICS_PER_CALL, ids.length); m++) {
          const values = new Float64Array(seconds);
          let v = walk[m]!;
          for (let i = 0; i < seconds; i++) {
            v = Math.round((v + (rand() - 0.5) * 2) * 100) / 100;
            values[i] = v;
          }
          walk[m] = v;
          batches.push({ metricId: ids[m]!, timestamps, values });
        }
        await engine.incoming.append(batches);
      }
    }),
  );
}

async function drain(engine: StorageEngine): Promise<void> {
  for (;;) {
    await engine.metricd.scan();
    await engine.metricd.idle();
    if ((await engine.incoming.backlog()).batches === 0) return;
  }
}

async function steadyState(dataDir: string): Promise<void> {
  const catalog = new InMemoryMetricCatalog();
  const ids = Array.from({ length: METRICS }, (_, i) => uuid(0x1000_0000 + i * 7919));
  for (const id of ids) catalog.add(id, POLICY);
  // The default cache (256 MiB) holds ~2,700 hot metrics of this policy: 10,000 need ~930 MiB.
  const cacheBytes = Number(process.env.BENCH_CACHE_MIB ?? 3072) * 1024 * 1024;
  console.log(
    `    cache limit ${cacheBytes / 1024 / 1024} MiB (storage.cache_size; default 256 MiB): ` +
      "set so every hot metric fits",
  );
  const engine = await StorageEngine.open({
    dataDir,
    catalog,
    cacheBytes,
    metricd: {
      workers: Number(process.env.BENCH_WORKERS ?? 16),
      greedy: false,
      processingDelayMs: 3_600_000,
    },
  });
  const rand = prng(11);
  const walk = new Float64Array(METRICS).fill(50);
  let ingestSeconds = 0;
  let processSeconds = 0;
  let cpuSeconds = 0;
  let measured = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    await ingest(engine, ids, walk, round * ROUND_SECONDS, ROUND_SECONDS, rand);
    const t1 = performance.now();
    const cpu0 = process.cpuUsage();
    await drain(engine);
    const cpu = process.cpuUsage(cpu0);
    const t2 = performance.now();
    const n = METRICS * ROUND_SECONDS;
    console.log(
      `    round ${round}: ${n.toLocaleString("en-US")} measures, ` +
        `append ${((t1 - t0) / 1000).toFixed(2)} s, metricd ${((t2 - t1) / 1000).toFixed(2)} s ` +
        `(CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s)`,
    );
    if (round === 0) continue;
    ingestSeconds += (t1 - t0) / 1000;
    processSeconds += (t2 - t1) / 1000;
    cpuSeconds += (cpu.user + cpu.system) / 1e6;
    measured += n;
  }
  report({
    name: `metricd, ${METRICS} metrics, 3 granularities x 6 methods, in order`,
    value: measured / processSeconds,
    unit: "measures/s",
    target: ">= 1,000,000 (Gnocchi 4.4.2 ~90,000)",
  });
  // The machine is shared: CPU time (all threads of the process) does not move with load.
  report({
    name: "  same, per CPU-second of the process (load-independent)",
    value: measured / cpuSeconds,
    unit: "measures/CPU-s",
  });
  report({
    name: "  durable append (8 writers) + metricd, end to end",
    value: measured / (ingestSeconds + processSeconds),
    unit: "measures/s",
  });
  report({
    name: "  cache (decoded raw buffers + newest splits) at the end",
    value: engine.processor.cache.bytes / 1024 / 1024,
    unit: `MiB (hit rate ${((100 * engine.processor.cache.stats.hits) / Math.max(1, engine.processor.cache.stats.hits + engine.processor.cache.stats.misses)).toFixed(1)} %)`,
  });

  // Stored aggregate points (what the splits hold, retention on write included).
  let points = 0;
  for (const id of ids) {
    for (const { method, granularity } of await engine.aggregates.listAggregations(id)) {
      const keys = await engine.aggregates.listSplitKeys(id, method, granularity);
      const blobs = await engine.aggregates.getSplits(
        id,
        keys.map((key) => ({ method, granularity, key })),
      );
      blobs.forEach((b, i) => {
        if (b) points += splitPointCount(b, keys[i]!, granularity);
      });
    }
  }
  const partitions = engine.aggregates.partitionsCount;
  await engine.close();
  const before = await du(join(dataDir, "aggregates"));
  report({
    name: "disk (du) per stored aggregate point, as left by metricd",
    value: before.allocated / points,
    unit: `B/point (${points.toLocaleString("en-US")} points, ${before.files} files)`,
    target: "<= 2 (Gnocchi 31.7)",
  });
  // Compaction of what the last rounds left as garbage (rewritten splits).
  const reopened = await StorageEngine.open({ dataDir, catalog });
  for (let p = 0; p < partitions; p++) await reopened.aggregates.compactPartition(p, true);
  await reopened.close();
  const after = await du(join(dataDir, "aggregates"));
  report({
    name: "disk (du) per stored aggregate point, after full compaction",
    value: after.allocated / points,
    unit: `B/point (apparent ${(after.apparent / points).toFixed(2)})`,
    target: "<= 2",
  });
}

/** A metric holding a year at 1 h and a week at 1 min, built through metricd. */
async function reads(dataDir: string): Promise<void> {
  const catalog = new InMemoryMetricCatalog();
  const ids = Array.from({ length: 40 }, (_, i) => uuid(0x2000_0000 + i));
  for (const id of ids) catalog.add(id, POLICY);
  let engine = await StorageEngine.open({ dataDir, catalog, sacks: 8 });
  const end = T0;
  const weekStart = end - 7 * MICROS_PER_DAY;
  const yearStart = end - 365 * MICROS_PER_DAY;
  const rand = prng(5);
  // Hourly points for 51 weeks, then one per minute for the last week, in 2-day chunks.
  const times: number[] = [];
  for (let t = yearStart; t < weekStart; t += MICROS_PER_HOUR) times.push(t);
  for (let t = weekStart; t < end; t += MICROS_PER_MINUTE) times.push(t);
  const chunk = 2 * 24 * 60;
  for (let at = 0; at < times.length; at += chunk) {
    const ts = Float64Array.from(times.slice(at, at + chunk));
    await engine.incoming.append(
      ids.map((metricId) => ({
        metricId,
        timestamps: ts,
        values: Float64Array.from(ts, () => Math.round(rand() * 10_000) / 100),
      })),
    );
    for (const sack of await engine.incoming.sacksWithPending()) {
      await engine.processor.processSack(sack);
    }
  }
  const query = async (id: string) => {
    const year = await engine.reader.getMeasures({
      metricId: id,
      method: "mean",
      granularity: MICROS_PER_HOUR,
      timespan: 365 * MICROS_PER_DAY,
      from: end - 365 * MICROS_PER_DAY,
    });
    const week = await engine.reader.getMeasures({
      metricId: id,
      method: "mean",
      granularity: MICROS_PER_MINUTE,
      timespan: 7 * MICROS_PER_DAY,
      from: weekStart,
    });
    return year!.timestamps.length + week!.timestamps.length;
  };
  const points = await query(ids[0]!);
  const warm: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    await query(ids[i % 4]!);
    warm.push(performance.now() - t);
  }
  report({
    name: `read 1 metric: a year at 1 h + a week at 1 min (${points} points), warm p99`,
    value: percentile(warm, 99),
    unit: `ms (p50 ${percentile(warm, 50).toFixed(3)})`,
    target: "<= 2",
  });
  // Cold: stores reopened (no open files, no index in memory beyond the hints), empty cache;
  // the first read of each metric. The OS page cache is not dropped (needs root).
  await engine.close();
  engine = await StorageEngine.open({ dataDir, catalog, sacks: 8 });
  const cold: number[] = [];
  for (const id of ids) {
    const t = performance.now();
    await query(id);
    cold.push(performance.now() - t);
  }
  report({
    name: "  same read, cold (reopened store, empty cache, first read per metric), p99",
    value: percentile(cold, 99),
    unit: `ms (p50 ${percentile(cold, 50).toFixed(3)})`,
    target: "<= 10",
  });
  await engine.close();
}

export async function run(): Promise<void> {
  section("metricd: incoming -> aggregates on disk (file drivers)");
  const dir = await mkdtemp(join(tmpdir(), "gnocchi-ts-bench-metricd-"));
  try {
    await steadyState(join(dir, "steady"));
    if (process.env.BENCH_SKIP_READS === undefined) await reads(join(dir, "reads"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
