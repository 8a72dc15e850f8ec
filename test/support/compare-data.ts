/**
 * The deterministic data set of the PromQL comparison test
 * (test/e2e/promql-compare.test.ts): an hour of samples ending at `endMs`,
 * at whole seconds (gnocchi-ts' finest archive is 1 s, so whole-second
 * samples are stored exactly), scraped about every 15 s with a jitter of a
 * few seconds:
 *
 * - `http_requests_total{job,instance,method,path}`: 8 counters, with resets;
 * - `temperature_celsius{job,instance,room}`: 8 gauges around 0 (negative
 *   values, fractions);
 * - `request_duration_seconds_bucket{job,instance,le}` (+ `_sum`, `_count`):
 *   a classic histogram per instance of job `api`;
 * - `build_info{job,instance,version}`: 1, the "one" side of group_left/right;
 * - `flaky_gauge{job="batch",instance="b1"}`: every 10 s, a 7-minute gap, then
 *   a staleness marker 10 minutes before the end and nothing after;
 * - `late_metric{job="batch",instance="b2"}`: only in the last 20 minutes.
 */
import { STALE_NAN } from "../../src/promql-lite/index.js";
import type { TestSeries } from "../remote-write/proto.js";
import { prng } from "./prng.js";

const MIN = 60_000;

export function comparisonSeries(endMs: number): TestSeries[] {
  const rand = prng(20261202);
  const startMs = endMs - 60 * MIN;
  /** Whole-second times from `from` to `to`, about `every` ms apart (± 3 s). */
  const times = (from: number, to: number, every: number): number[] => {
    const out: number[] = [];
    for (let t = from; t <= to; t += every) {
      const jitter = Math.floor(rand() * 7 - 3) * 1000;
      const at = Math.min(to, Math.max(from, t + jitter));
      if (out.length === 0 || at > out[out.length - 1]!) out.push(at);
    }
    return out;
  };
  const series: TestSeries[] = [];
  const add = (labels: Record<string, string>, samples: [number, number][]) => {
    series.push({
      labels: Object.entries(labels),
      samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
    });
  };

  const targets = [
    ["api", "i1:80"],
    ["api", "i2:80"],
    ["db", "d1:5432"],
    ["db", "d2:5432"],
  ] as const;
  for (const [job, instance] of targets) {
    add({ __name__: "build_info", job, instance, version: `1.${instance.length}.0` }, [
      ...times(startMs, endMs, 15_000).map((t): [number, number] => [t, 1]),
    ]);
    for (const [method, path] of [
      ["GET", "/v1/metric"],
      ["POST", "/api/v1/write"],
    ] as const) {
      let value = Math.floor(rand() * 1000);
      const resetAt = startMs + Math.floor(rand() * 60) * MIN;
      add(
        { __name__: "http_requests_total", job, instance, method, path },
        times(startMs, endMs, 15_000).map((t) => {
          value = t >= resetAt && t < resetAt + 15_000 ? Math.floor(rand() * 5) : value;
          value += Math.floor(rand() * 40) + (rand() < 0.3 ? 0.5 : 0);
          return [t, value];
        }),
      );
    }
    for (const room of ["a", "b"]) {
      let value = rand() * 10 - 5;
      add(
        { __name__: "temperature_celsius", job, instance, room },
        times(startMs, endMs, 15_000).map((t) => {
          value += rand() * 2 - 1;
          return [t, Math.round(value * 1000) / 1000];
        }),
      );
    }
  }

  for (const instance of ["i1:80", "i2:80"]) {
    const bounds = ["0.1", "0.5", "1", "5", "+Inf"];
    const counts = bounds.map(() => 0);
    let sum = 0;
    const scrapes = times(startMs, endMs, 15_000);
    const buckets: [number, number][][] = bounds.map(() => []);
    const sums: [number, number][] = [];
    const totals: [number, number][] = [];
    for (const t of scrapes) {
      for (let n = Math.floor(rand() * 20); n > 0; n--) {
        const observed = rand() ** 2 * 6;
        sum += observed;
        for (const [i, b] of bounds.entries()) if (observed <= Number(b)) counts[i]! += 1;
      }
      for (const [i, bucket] of buckets.entries()) bucket.push([t, counts[i]!]);
      sums.push([t, Math.round(sum * 1e6) / 1e6]);
      totals.push([t, counts[bounds.length - 1]!]);
    }
    const base = { job: "api", instance };
    for (const [i, le] of bounds.entries())
      add({ __name__: "request_duration_seconds_bucket", ...base, le }, buckets[i]!);
    add({ __name__: "request_duration_seconds_sum", ...base }, sums);
    add({ __name__: "request_duration_seconds_count", ...base }, totals);
  }

  const flaky: [number, number][] = [];
  for (const t of times(startMs, endMs - 10 * MIN, 10_000)) {
    const inGap = t > endMs - 40 * MIN && t < endMs - 33 * MIN;
    if (!inGap) flaky.push([t, Math.round(rand() * 100) / 4]);
  }
  add({ __name__: "flaky_gauge", job: "batch", instance: "b1" }, flaky);
  // Not through a [t, v] array: V8 canonicalises a NaN stored in an array of doubles,
  // which would turn the marker into a plain NaN.
  (series.at(-1)!.samples as { timestamp: number; value: number }[]).push({
    timestamp: endMs - 10 * MIN + 5_000,
    value: STALE_NAN,
  });

  add(
    { __name__: "late_metric", job: "batch", instance: "b2" },
    times(endMs - 20 * MIN, endMs, 15_000).map((t, k): [number, number] => [t, k * 3]),
  );
  return series;
}
