/**
 * PromQL engine figures (issue 7): `query_range` of
 * `sum by (mode) (rate(node_cpu_seconds_total[5m]))` over 1,000 series
 * (125 hosts × 8 modes) of 24 h scraped every 60 s, at a 60 s step, from the
 * in-memory SeriesSource, so the figure is the engine's own cost (p50 of
 * repeated runs). The storage-backed figure comes with the HTTP API.
 */
import { performance } from "node:perf_hooks";
import { instantQuery, rangeQuery } from "../src/promql-lite/engine.js";
import { MemorySeriesSource } from "../src/promql-lite/memory-source.js";
import { report, section } from "./harness.js";
import { prng } from "./workload.js";

const MODES = ["idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"];
const HOSTS = 125;
const DAY = 24 * 3600_000;
const SCRAPE = 60_000;
const T0 = 1_700_000_000_000;

function buildSource(): MemorySeriesSource {
  const random = prng(7);
  const source = new MemorySeriesSource();
  const points = DAY / SCRAPE + 1;
  const ts = new Float64Array(points);
  for (let i = 0; i < points; i++) ts[i] = T0 + i * SCRAPE;
  for (let h = 0; h < HOSTS; h++) {
    for (const mode of MODES) {
      const values = new Float64Array(points);
      let v = random() * 1000;
      for (let i = 0; i < points; i++) {
        v += random() * 60;
        // An occasional counter reset (host reboot).
        if (random() < 0.0005) v = 0;
        values[i] = Math.round(v * 100) / 100;
      }
      source.appendMany(
        {
          __name__: "node_cpu_seconds_total",
          instance: `host-${h}:9100`,
          job: "node",
          cpu: "0",
          mode,
        },
        ts,
        values,
      );
    }
  }
  return source;
}

/** Median wall time and median CPU time (this process, all threads) of `runs` calls, ms. */
async function p50(
  body: () => Promise<unknown>,
  runs: number,
): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < 3; i++) await body();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await body();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  return { wall: median(wall), cpu: median(cpu) };
}

export async function run(): Promise<void> {
  section("PromQL engine (in-memory source)");
  const source = buildSource();
  const query = "sum by (mode) (rate(node_cpu_seconds_total[5m]))";
  const ms = await p50(() => rangeQuery(source, query, T0, T0 + DAY, 60_000), 30);
  report({
    name: "sum by (mode)(rate[5m]), 1,000 series × 24 h @ 60 s, p50",
    value: ms.wall,
    unit: "ms",
    target: "≤ 50",
  });
  report({ name: "  same, CPU time p50 (stable under machine load)", value: ms.cpu, unit: "ms" });
  const instant = await p50(() => instantQuery(source, query, T0 + DAY), 30);
  report({ name: "same query, instant, p50", value: instant.wall, unit: "ms" });
  const heavy =
    "sum by (mode) (avg_over_time(node_cpu_seconds_total[10m])) / on (mode) group_left count by (mode) (node_cpu_seconds_total) or topk(3, deriv(node_cpu_seconds_total[10m]))";
  const mixed = await p50(() => rangeQuery(source, heavy, T0, T0 + DAY, 60_000), 10);
  report({
    name: "avg_over_time / group_left count, or topk(deriv), p50",
    value: mixed.wall,
    unit: "ms",
  });
}
