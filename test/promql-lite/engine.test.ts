/**
 * The engine's entry points over a MemorySeriesSource: result shapes and
 * their Prometheus JSON, typed errors (bad_data, execution, timeout,
 * canceled, max samples), what the SeriesSource is asked for, and that a
 * range query equals the instant queries at each of its steps.
 */
import { describe, expect, it } from "vitest";
import type { LabelMatcher } from "../../src/indexer/label-index.js";
import {
  instantQuery,
  MemorySeriesSource,
  PromQLError,
  type QueryResult,
  rangeQuery,
  type SelectHints,
  type SeriesSource,
  STALE_NAN,
  toPrometheusData,
} from "../../src/promql-lite/index.js";
import { prometheusDataJson } from "../../src/promql-lite/result.js";

const MIN = 60_000;

/** node_cpu-like counters for 3 hosts × 2 modes, one sample per 15 s for 1 h, and a gauge. */
function fixture(): MemorySeriesSource {
  const source = new MemorySeriesSource();
  for (let h = 0; h < 3; h++) {
    for (const [m, mode] of ["idle", "user"].entries()) {
      const labels = { __name__: "cpu_seconds_total", instance: `h${h}`, mode };
      let v = 0;
      for (let t = 0; t <= 60 * MIN; t += 15_000) {
        v += (h + 1) * (m + 1) * 1.5;
        if (h === 1 && t === 30 * MIN) v = 3; // a counter reset
        source.append(labels, t, v);
      }
    }
    for (let t = 0; t <= 60 * MIN; t += 30_000) {
      source.append(
        { __name__: "temperature", instance: `h${h}` },
        t,
        20 + h + Math.sin(t / 600_000),
      );
    }
  }
  return source;
}

async function error(p: Promise<unknown>): Promise<PromQLError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PromQLError) return e;
    throw e;
  }
  throw new Error("expected the query to fail");
}

describe("results", () => {
  const source = fixture();

  it("answers a range query with a matrix sorted by labels, points at start + k·step", async () => {
    const r = await rangeQuery(
      source,
      "sum by (mode) (rate(cpu_seconds_total[5m]))",
      10 * MIN,
      20 * MIN,
      MIN,
    );
    expect(r.resultType).toBe("matrix");
    if (r.resultType !== "matrix") return;
    expect(r.result.map((s) => s.metric)).toEqual([{ mode: "idle" }, { mode: "user" }]);
    expect([...r.result[0]!.timestamps]).toEqual(
      Array.from({ length: 11 }, (_, i) => (10 + i) * MIN),
    );
    // 1.5 + 3 + 4.5 per 15 s = 0.6 per second.
    expect(r.result[0]!.values[0]).toBeCloseTo(0.6, 9);
  });

  it("gives a scalar range query one series without labels", async () => {
    const r = await rangeQuery(source, "time() * 2", 0, 2 * MIN, MIN);
    expect(toPrometheusData(r)).toEqual({
      resultType: "matrix",
      result: [
        {
          metric: {},
          values: [
            [0, "0"],
            [60, "120"],
            [120, "240"],
          ],
        },
      ],
    });
  });

  it("answers instant queries with vector, scalar, string and matrix results", async () => {
    const v = await instantQuery(source, 'temperature{instance="h0"}', 10 * MIN);
    expect(toPrometheusData(v)).toEqual({
      resultType: "vector",
      result: [
        {
          metric: { __name__: "temperature", instance: "h0" },
          value: [600, String(20 + Math.sin(1))],
        },
      ],
    });
    expect(toPrometheusData(await instantQuery(source, "1 + 1", 4000))).toEqual({
      resultType: "scalar",
      result: [4, "2"],
    });
    expect(toPrometheusData(await instantQuery(source, '"hello"', 4500))).toEqual({
      resultType: "string",
      result: [4.5, "hello"],
    });
    const m = await instantQuery(source, 'temperature{instance="h1"}[1m]', 10 * MIN);
    expect(toPrometheusData(m)).toMatchObject({
      resultType: "matrix",
      result: [
        {
          metric: { __name__: "temperature", instance: "h1" },
          values: [
            [540, expect.any(String)],
            [570, expect.any(String)],
            [600, expect.any(String)],
          ],
        },
      ],
    });
  });

  it("prints values as Prometheus does", async () => {
    const printed = async (q: string) => {
      const d = toPrometheusData(await instantQuery(source, q, 0));
      return d.resultType === "scalar" ? d.result[1] : undefined;
    };
    expect(await printed("1e-7")).toBe("1e-07");
    expect(await printed("1.5e21")).toBe("1.5e+21");
    expect(await printed("123456789012")).toBe("123456789012");
    expect(await printed("1/0")).toBe("+Inf");
    expect(await printed("-1/0")).toBe("-Inf");
    expect(await printed("0/0")).toBe("NaN");
    expect(await printed("0.1+0.2")).toBe("0.30000000000000004");
  });

  it("writes matrix bytes equal to JSON.stringify of the API shape", () => {
    const values = Float64Array.of(
      1,
      0.25,
      1e-7,
      1.5e21,
      Number.NaN,
      Infinity,
      -Infinity,
      -0,
      0.1 + 0.2,
    );
    const timestamps = Float64Array.from(values, (_, i) => 1_700_000_000_000 + i * 1_500.5);
    const r: QueryResult = {
      resultType: "matrix",
      result: [
        { metric: { __name__: "x", mode: "idle" }, timestamps, values },
        { metric: { host: 'h"ö\\\n€😀' }, timestamps: timestamps.subarray(0, 1), values },
        { metric: {}, timestamps: new Float64Array(0), values: new Float64Array(0) },
      ],
    };
    const bytes = prometheusDataJson(r);
    expect(bytes.toString("utf8")).toBe(JSON.stringify(toPrometheusData(r)));
    const empty: QueryResult = { resultType: "matrix", result: [] };
    expect(prometheusDataJson(empty).toString()).toBe(JSON.stringify(toPrometheusData(empty)));
  });

  it("keeps the order of sort() and topk() in instant results", async () => {
    const r = await instantQuery(source, "sort_desc(temperature)", 10 * MIN);
    if (r.resultType !== "vector") throw new Error(r.resultType);
    expect(r.result.map((s) => s.metric.instance)).toEqual(["h2", "h1", "h0"]);
  });

  it("hides series at and after a staleness marker, within the lookback otherwise", async () => {
    const s = new MemorySeriesSource();
    const labels = { __name__: "up", job: "x" };
    s.append(labels, 0, 1);
    s.append(labels, 60_000, 1);
    s.append(labels, 120_000, STALE_NAN);
    const r = await rangeQuery(s, "up", 0, 240_000, 30_000);
    if (r.resultType !== "matrix") throw new Error(r.resultType);
    expect([...r.result[0]!.timestamps]).toEqual([0, 30_000, 60_000, 90_000]);
    const countOverTime = await instantQuery(s, "count_over_time(up[5m])", 180_000);
    if (countOverTime.resultType !== "vector") throw new Error(countOverTime.resultType);
    expect(countOverTime.result[0]!.value).toBe(2);
  });

  it("merges series that end up with the same labels at different steps (range query)", async () => {
    const s = new MemorySeriesSource();
    s.append({ __name__: "a", x: "1" }, 0, 1);
    s.append({ __name__: "b", x: "1" }, 600_000, 2);
    const r = await rangeQuery(s, '-{__name__=~"a|b"}', 0, 600_000, 300_000);
    expect(toPrometheusData(r)).toEqual({
      resultType: "matrix",
      result: [
        {
          metric: { x: "1" },
          values: [
            [0, "-1"],
            [300, "-1"],
            [600, "-2"],
          ],
        },
      ],
    });
  });
});

describe("errors", () => {
  const source = fixture();

  it("refuses bad range queries with bad_data", async () => {
    expect(await error(rangeQuery(source, "temperature[5m]", 0, MIN, MIN))).toMatchObject({
      type: "bad_data",
      message:
        'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    });
    expect((await error(rangeQuery(source, "1", 0, MIN, 0))).type).toBe("bad_data");
    expect((await error(rangeQuery(source, "1", MIN, 0, 1000))).message).toBe(
      "end timestamp must not be before start time",
    );
    expect((await error(rangeQuery(source, "1", 0, 12_000_000, 1000))).message).toMatch(
      /exceeded maximum resolution of 11,000 points/,
    );
    expect(await error(instantQuery(source, "sum(", 0))).toMatchObject({
      type: "bad_data",
      message: "1:5: parse error: unclosed left parenthesis",
    });
  });

  it("fails evaluation errors with execution", async () => {
    const e = await error(
      instantQuery(source, "cpu_seconds_total + on (instance) temperature", 10 * MIN),
    );
    expect(e).toMatchObject({
      type: "execution",
      message:
        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
    });
    const dup = await error(
      instantQuery(source, "temperature + ignoring (mode) cpu_seconds_total", 10 * MIN),
    );
    expect(dup.message).toMatch(
      /^found duplicate series for the match group \{instance="h0"\} on the right hand-side of the operation: \[.*\];many-to-many matching not allowed: matching labels must be unique on one side$/,
    );
    expect(
      (await error(instantQuery(source, 'label_replace(temperature, "instance", "x", "", "")', 0)))
        .message,
    ).toBe("vector cannot contain metrics with the same labelset");
  });

  it("enforces the max-samples limit", async () => {
    const e = await error(
      rangeQuery(source, "cpu_seconds_total", 0, 60 * MIN, 15_000, { maxSamples: 100 }),
    );
    expect(e).toMatchObject({
      type: "execution",
      message: "query processing would load too many samples into memory in query execution",
    });
    await expect(
      rangeQuery(source, "cpu_seconds_total", 0, 60 * MIN, 15_000, { maxSamples: 10_000 }),
    ).resolves.toBeTruthy();
  });

  it("times out and cancels", async () => {
    const slow: SeriesSource = { select: () => new Promise(() => {}) };
    expect(await error(instantQuery(slow, "up", 0, { timeout: 20 }))).toMatchObject({
      type: "timeout",
      message: "query timed out in query preparation",
    });
    const controller = new AbortController();
    const pending = instantQuery(slow, "up", 0, { signal: controller.signal });
    controller.abort();
    expect((await error(pending)).type).toBe("canceled");
  });
});

describe("what the source is asked for", () => {
  function recorder(): {
    source: SeriesSource;
    calls: Array<{
      matchers: readonly LabelMatcher[];
      mint: number;
      maxt: number;
      hints: SelectHints;
    }>;
  } {
    const calls: Array<{
      matchers: readonly LabelMatcher[];
      mint: number;
      maxt: number;
      hints: SelectHints;
    }> = [];
    return {
      calls,
      source: {
        select(matchers, mint, maxt, hints) {
          calls.push({ matchers, mint, maxt, hints });
          return [];
        },
      },
    };
  }

  it("asks once per selector with the range it needs and hints", async () => {
    const { source, calls } = recorder();
    await rangeQuery(
      source,
      'sum by (mode) (rate(x{job="a"}[5m] offset 1m)) + y @ 1000',
      10 * MIN,
      20 * MIN,
      30_000,
    );
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      matchers: [
        { name: "__name__", op: "=", value: "x" },
        { name: "job", op: "=", value: "a" },
      ],
      mint: 4 * MIN,
      maxt: 19 * MIN,
      hints: { step: 30_000, range: 5 * MIN, func: "rate", grouping: [], by: false },
    });
    // An instant selector pinned with @ needs the lookback window before that time only.
    expect(calls[1]).toMatchObject({
      mint: 1_000_000 - 5 * MIN,
      maxt: 1_000_000,
      hints: { range: 0, func: "" },
    });
  });

  it("widens a subquery's inner range to its aligned steps", async () => {
    const { source, calls } = recorder();
    await instantQuery(source, "max_over_time(rate(x[1m])[10m:1m])", 605_000);
    // Inner steps: 60 s … 600 s (from the first multiple of 1 m at or after 605 s − 10 m); each reads 1 m back.
    expect(calls[0]).toMatchObject({
      mint: 0,
      maxt: 605_000,
      hints: { step: 60_000, range: 60_000 },
    });
  });

  it("hands RE2-only regex syntax over in a form the indexer compiles", async () => {
    const { source, calls } = recorder();
    await instantQuery(source, 'x{a=~"(?i:ab)c"}', 0);
    expect(calls[0]!.matchers[1]).toEqual({ name: "a", op: "=~", value: "(?:[aA][bB])c" });
  });
});

describe("a range query equals the instant queries at its steps", () => {
  const source = fixture();
  const queries = [
    "cpu_seconds_total",
    "rate(cpu_seconds_total[2m])",
    "irate(cpu_seconds_total[1m]) * on (instance) group_left temperature",
    'sum without (instance) (increase(cpu_seconds_total{mode="user"}[3m]))',
    "topk(2, temperature) or bottomk(1, temperature)",
    "quantile by (mode) (0.5, deriv(cpu_seconds_total[5m]))",
    'count_values by (mode) ("v", resets(cpu_seconds_total[10m]))',
    "temperature > bool 21 unless temperature offset 5m < 20.5",
    "avg_over_time(max by (instance) (cpu_seconds_total)[5m:30s])",
    "predict_linear(temperature[10m], 600) - holt_winters(temperature[10m], 0.5, 0.5)",
    'absent(nothing{job="x"}) + absent_over_time(temperature[1m] offset 61m)',
    "scalar(sum(temperature)) * vector(2) + hour() + minute(temperature)",
    'label_replace(temperature, "host", "$1", "instance", "h(.*)") / clamp(temperature, 20.5, 21.5)',
    "stddev by (mode) (cpu_seconds_total) ^ 0.5 % 3 >= 0",
    'histogram_quantile(0.9, label_replace(temperature, "le", "$1", "instance", "h(.*)")) or vector(time())',
    "timestamp(temperature) - time()",
  ];
  for (const q of queries) {
    it(q, async () => {
      const start = 5 * MIN;
      const step = 45_000;
      const steps = 9;
      const range = await rangeQuery(source, q, start, start + (steps - 1) * step, step);
      if (range.resultType !== "matrix") throw new Error(range.resultType);
      for (let i = 0; i < steps; i++) {
        const t = start + i * step;
        const instant: QueryResult = await instantQuery(source, q, t);
        const expected = new Map<string, number>();
        if (instant.resultType === "vector")
          for (const s of instant.result) expected.set(JSON.stringify(sortKeys(s.metric)), s.value);
        else if (instant.resultType === "scalar") expected.set("{}", instant.result.value);
        const actual = new Map<string, number>();
        for (const s of range.result) {
          const k = s.timestamps.indexOf(t);
          if (k >= 0) actual.set(JSON.stringify(sortKeys(s.metric)), s.values[k]!);
        }
        expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
      }
    });
  }
});

function sortKeys(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe("weighted points (bucket aggregates with their sample counts)", () => {
  const times = Float64Array.from([0, 60_000, 120_000, 180_000]);
  const means = Float64Array.from([0.1, 0.7, 1e308, 0.3]);
  /** One series whose points carry `weights`; null: none. */
  const source = (weights: Float64Array | null): SeriesSource => ({
    select: () => [
      {
        labels: { __name__: "x" },
        timestamps: times,
        values: means,
        ...(weights === null ? {} : { weights }),
      },
    ],
  });
  const at = async (s: SeriesSource, q: string) => {
    const r = await instantQuery(s, q, 180_000);
    if (r.resultType !== "vector") throw new Error(r.resultType);
    return r.result.map((p) => p.value);
  };

  it("weights of one are the samples themselves: Prometheus' arithmetic, bit for bit", async () => {
    const ones = source(Float64Array.from([1, 1, 1, 1]));
    for (const q of ["avg_over_time(x[3m])", "count_over_time(x[3m])", "avg_over_time(x[2m])"])
      expect(await at(ones, q)).toEqual(await at(source(null), q));
    // The incremental mean does not overflow where a sum would.
    expect(await at(ones, "avg_over_time(x[3m])")).toEqual([(0.1 + 0.7 + 0.3) / 4 + 1e308 / 4]);
  });

  it("uneven weights: counts add up and means weigh by them; other functions ignore them", async () => {
    const uneven = source(Float64Array.from([10, 50, 1, 30]));
    expect(await at(uneven, "count_over_time(x[2m])")).toEqual([81]);
    const relative = (a: number | undefined, b: number) => Math.abs(a! / b - 1);
    const [avg] = await at(uneven, "avg_over_time(x[2m])");
    expect(relative(avg, (50 * 0.7 + 1e308 + 30 * 0.3) / 81)).toBeLessThan(1e-14);
    expect(await at(uneven, "count_over_time(x[1m])")).toEqual([31]);
    const [mean] = await at(uneven, "avg_over_time(x[1m])");
    expect(relative(mean, (1e308 + 30 * 0.3) / 31)).toBeLessThan(1e-14);
    expect(await at(uneven, "sum_over_time(x[1m])")).toEqual(
      await at(source(null), "sum_over_time(x[1m])"),
    );
    expect(await at(uneven, "max_over_time(x[3m])")).toEqual([1e308]);
  });
});
