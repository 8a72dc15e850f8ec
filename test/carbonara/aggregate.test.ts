import { describe, expect, it } from "vitest";
import { aggregateSerie } from "../../src/carbonara/aggregate.js";
import { bucketReducer, requireAggregationMethod } from "../../src/carbonara/aggregators.js";
import { MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import { at, points, serie } from "./helpers.js";

// Spec carbonara §5 reference series: three 60 s buckets.
const reference = serie([
  ["2014-01-01T12:00:00", 3],
  ["2014-01-01T12:00:10", 5],
  ["2014-01-01T12:00:20", 2],
  ["2014-01-01T12:00:30", 3],
  ["2014-01-01T12:00:40", 5],
  ["2014-01-01T12:01:00", 8],
  ["2014-01-01T12:01:10", 11],
  ["2014-01-01T12:01:20", 22],
  ["2014-01-01T12:01:30", 10],
  ["2014-01-01T12:01:40", 42],
  ["2014-01-01T12:01:50", 9],
  ["2014-01-01T12:02:00", 4],
  ["2014-01-01T12:02:10", 2],
]);

function valuesOf(method: string, s = reference, g = MICROS_PER_MINUTE): number[] {
  const [result] = aggregateSerie(s, g, [method]);
  return Array.from(result!.values);
}

describe("bucket aggregation (spec carbonara §5)", () => {
  it("labels buckets with their epoch-aligned start", () => {
    const [result] = aggregateSerie(reference, MICROS_PER_MINUTE, ["mean"]);
    expect(points(result!).map(([t]) => t)).toEqual([
      "2014-01-01T12:00:00.000",
      "2014-01-01T12:01:00.000",
      "2014-01-01T12:02:00.000",
    ]);
    expect(result!.method).toBe("mean");
    expect(result!.granularity).toBe(MICROS_PER_MINUTE);
  });

  it.each([
    ["first", [3, 8, 4]],
    ["last", [5, 9, 2]],
    ["count", [5, 6, 2]],
    ["sum", [18, 102, 6]],
    ["mean", [3.6, 17, 3]],
    ["median", [3, 10.5, 3]],
    ["min", [2, 8, 2]],
    ["max", [5, 42, 4]],
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: the spec's reference value, as printed there
    ["std", [1.3416407864998738, 13.266499161421599, 1.4142135623730951]],
  ])("%s gives the reference values", (method, expected) => {
    expect(valuesOf(method)).toEqual(expected);
  });

  it("56pct interpolates linearly between closest ranks", () => {
    const got = valuesOf("56pct");
    const expected = [3.48, 10.8, 3.12];
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 12);
    });
  });

  it("95pct and 74pct of 3, 5, 6", () => {
    const s = serie([
      ["2014-01-01T12:00:00", 3],
      ["2014-01-01T12:00:01", 5],
      ["2014-01-01T12:00:02", 6],
    ]);
    expect(valuesOf("95pct", s)[0]).toBeCloseTo(5.9, 12);
    expect(valuesOf("74pct", s)[0]).toBeCloseTo(5.48, 12);
    expect(valuesOf("50pct", s)).toEqual(valuesOf("median", s));
  });

  it("std of a one-point bucket produces no point at all", () => {
    const s = serie([
      ["2014-01-01T12:00:00", 3],
      ["2014-01-01T12:01:00", 1],
      ["2014-01-01T12:01:30", 3],
    ]);
    const [std] = aggregateSerie(s, MICROS_PER_MINUTE, ["std"]);
    expect(points(std!)).toEqual([["2014-01-01T12:01:00.000", Math.SQRT2]]);
  });

  it("buckets sub-second granularities on multiples of the granularity since the epoch", () => {
    const s = serie([
      ["2014-01-01T12:00:00.100", 1],
      ["2014-01-01T12:00:00.250", 2],
      ["2014-01-01T12:00:00.399", 3],
      ["2014-01-01T12:00:00.400", 4],
    ]);
    const [sum] = aggregateSerie(s, 0.2 * MICROS_PER_SECOND, ["sum"]);
    expect(points(sum!)).toEqual([
      ["2014-01-01T12:00:00.000", 1],
      ["2014-01-01T12:00:00.200", 5],
      ["2014-01-01T12:00:00.400", 4],
    ]);
  });

  it("aligns a 7 s granularity on multiples of 7 s since the epoch", () => {
    const t = at("2014-01-01T12:00:00");
    const s = { timestamps: Float64Array.of(t), values: Float64Array.of(1) };
    const [r] = aggregateSerie(s, 7 * MICROS_PER_SECOND, ["count"]);
    expect(r!.timestamps[0]! % (7 * MICROS_PER_SECOND)).toBe(0);
    expect(t - r!.timestamps[0]!).toBeLessThan(7 * MICROS_PER_SECOND);
    expect(t - r!.timestamps[0]!).toBeGreaterThanOrEqual(0);
  });

  it("aggregates only the points at or after start", () => {
    const [count] = aggregateSerie(
      reference,
      MICROS_PER_MINUTE,
      ["count"],
      at("2014-01-01T12:01:00"),
    );
    expect(Array.from(count!.values)).toEqual([6, 2]);
  });

  describe("NaN inputs order after every number", () => {
    const withNaN = serie([
      ["2014-01-01T12:00:00", 4],
      ["2014-01-01T12:00:01", Number.NaN],
      ["2014-01-01T12:00:02", 1],
    ]);
    it.each([
      ["mean", Number.NaN],
      ["sum", Number.NaN],
      ["std", Number.NaN],
      ["max", Number.NaN],
      ["min", 1],
      ["first", 4],
      ["last", 1],
      ["count", 3],
      ["median", 4],
      ["1pct", 1.06],
    ])("%s → %s", (method, expected) => {
      const got = valuesOf(method, withNaN)[0]!;
      if (Number.isNaN(expected)) expect(got).toBeNaN();
      else expect(got).toBeCloseTo(expected, 12);
    });
    it("min is NaN only when every input is NaN", () => {
      const allNaN = serie([
        ["2014-01-01T12:00:00", Number.NaN],
        ["2014-01-01T12:00:01", Number.NaN],
      ]);
      expect(valuesOf("min", allNaN)[0]).toBeNaN();
      const firstNaN = serie([
        ["2014-01-01T12:00:00", Number.NaN],
        ["2014-01-01T12:00:01", 7],
      ]);
      expect(valuesOf("min", firstNaN)[0]).toBe(7);
      expect(valuesOf("max", firstNaN)[0]).toBeNaN();
    });
  });
});

describe("rate:X (spec carbonara §5.1)", () => {
  const counter = serie([
    ["2014-01-01T14:33:00", 10],
    ["2014-01-01T14:34:10", 13],
    ["2014-01-01T14:34:20", 13],
    ["2014-01-01T14:34:30", 15],
    ["2014-01-01T14:34:40", 18],
    ["2014-01-01T14:34:50", 20],
  ]);

  it("reduces the deltas between consecutive raw points", () => {
    const [mean, max, p95, count] = aggregateSerie(counter, MICROS_PER_MINUTE, [
      "rate:mean",
      "rate:max",
      "rate:95pct",
      "rate:count",
    ]);
    // The 14:33 bucket holds no delta: no point.
    expect(points(mean!)).toEqual([["2014-01-01T14:34:00.000", 2]]);
    expect(Array.from(max!.values)).toEqual([3]);
    expect(p95!.values[0]).toBeCloseTo(3, 12);
    expect(Array.from(count!.values)).toEqual([5]);
    expect(mean!.method).toBe("rate:mean");
  });

  it("uses one bucket of history before start", () => {
    const [mean] = aggregateSerie(
      counter,
      MICROS_PER_MINUTE,
      ["rate:mean"],
      at("2014-01-01T14:34:00"),
    );
    expect(Array.from(mean!.values)).toEqual([2]);
  });

  it("does not handle counter resets: a reset yields a negative delta", () => {
    const reset = serie([
      ["2014-01-01T00:00:00", 100],
      ["2014-01-01T00:00:10", 2],
    ]);
    expect(valuesOf("rate:sum", reset)).toEqual([-98]);
  });

  it("mixes with plain methods in one call", () => {
    const [last, rate, sum] = aggregateSerie(counter, MICROS_PER_MINUTE, [
      "last",
      "rate:sum",
      "sum",
    ]);
    expect(Array.from(last!.values)).toEqual([10, 20]);
    expect(Array.from(rate!.values)).toEqual([10]);
    expect(Array.from(sum!.values)).toEqual([10, 79]);
  });
});

describe("one point per bucket (the shortcut of the finest granularity)", () => {
  it("gives bit for bit what each reducer gives for a one-value bucket", () => {
    const specials = [Number.NaN, -0, 0, 1.5, -2.25, Number.POSITIVE_INFINITY, -Number.MAX_VALUE];
    const values = Float64Array.from(specials);
    // One point per second, some off the bucket start, at 1 s granularity.
    const timestamps = Float64Array.from(
      specials,
      (_, i) => 1_000_000_000 + i * MICROS_PER_SECOND + (i % 2) * 7,
    );
    const methods = [
      "mean",
      "sum",
      "count",
      "min",
      "max",
      "first",
      "last",
      "median",
      "std",
      "5pct",
      "99pct",
    ];
    const results = aggregateSerie({ timestamps, values }, MICROS_PER_SECOND, methods);
    methods.forEach((method, m) => {
      // The reducer itself on each one-value bucket (what the generic path calls).
      const reducer = bucketReducer(requireAggregationMethod(method));
      const kept = specials.map((_, i) => i).filter(() => reducer.minPoints <= 1);
      const expected = kept.map((i) => reducer.reduce(values, i, i + 1, new Float64Array(1)));
      const expectedTimes = kept.map((i) => 1_000_000_000 + i * MICROS_PER_SECOND);
      expect(Array.from(results[m]!.timestamps)).toEqual(expectedTimes);
      expect(results[m]!.values.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) {
        expect(Object.is(results[m]!.values[i], expected[i])).toBe(true);
      }
    });
    expect(Object.is(results[0]!.values[1], 0)).toBe(true); // mean of −0 is +0 (0 + v)
    expect(Object.is(results[3]!.values[1], -0)).toBe(true); // min of −0 stays −0
  });
});
