import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyMeasures,
  planOf,
  processMeasures,
  RawSeries,
} from "../../src/carbonara/bound-timeserie.js";
import { MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import type { AggregatedTimeSerie, TimeSerie } from "../../src/carbonara/timeserie.js";
import { at } from "./helpers.js";

/** Same bits, value by value (NaN equals NaN, −0 differs from +0). */
function expectSameSeries(
  actual: readonly AggregatedTimeSerie[],
  expected: readonly AggregatedTimeSerie[],
) {
  expect(actual.map((a) => `${a.method}@${a.granularity}`)).toEqual(
    expected.map((e) => `${e.method}@${e.granularity}`),
  );
  actual.forEach((a, k) => {
    const e = expected[k]!;
    const key = `${e.method}@${e.granularity}`;
    expect(Array.from(a.timestamps), key).toEqual(Array.from(e.timestamps));
    const same = Array.from(a.values).every((v, i) => Object.is(v, e.values[i]));
    expect(same ? [] : [Array.from(a.values), Array.from(e.values)], key).toEqual([]);
  });
}

const value = fc.oneof(
  { weight: 10, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, -0, 0, Number.POSITIVE_INFINITY, -1e300) },
);

/** Batches of (step in µs, value): mostly in order, sometimes stepping back (late data). */
const batches = fc.array(
  fc.array(fc.tuple(fc.integer({ min: -20_000_000, max: 400_000_000 }), value), {
    minLength: 1,
    maxLength: 60,
  }),
  { minLength: 1, maxLength: 25 },
);

describe("the raw buffer's fold of its newest bucket (BucketFold)", () => {
  for (const [title, methods, granularities, mutableBlocks] of [
    [
      "foldable methods only, granularities dividing the block",
      ["mean", "sum", "count", "min", "max", "first", "last"],
      [MICROS_PER_SECOND, MICROS_PER_MINUTE, MICROS_PER_HOUR],
      0,
    ],
    [
      "mixed with order statistics and rates, a granularity not dividing the block, back window",
      ["max", "std", "mean", "median", "rate:sum", "last", "90pct", "count", "min"],
      [7 * MICROS_PER_SECOND, 11 * MICROS_PER_MINUTE, MICROS_PER_HOUR],
      1,
    ],
    [
      "buckets straddling the block boundary the buffer is trimmed at",
      ["sum", "min", "first"],
      [11 * MICROS_PER_MINUTE, MICROS_PER_HOUR],
      0,
    ],
  ] as const) {
    it(`gives every cycle the very bits of a full re-reduction: ${title}`, () => {
      const plan = planOf({ blockSize: MICROS_PER_HOUR, mutableBlocks, granularities, methods });
      fc.assert(
        fc.property(batches, (list) => {
          const raw = new RawSeries();
          let buffer: TimeSerie | undefined;
          let t = at("2014-01-01T00:00:00");
          for (const batch of list) {
            const timestamps = Float64Array.from(batch, ([dt]) => (t = Math.max(0, t + dt)));
            const measures = { timestamps, values: Float64Array.from(batch, ([, v]) => v) };
            // The reference: a copy of the buffer without folds, every bucket reduced whole.
            const expected = processMeasures(plan, buffer, measures);
            const actual = applyMeasures(plan, raw, measures);
            expectSameSeries(actual.aggregates, expected.aggregates);
            expect(Array.from(raw.view().timestamps)).toEqual(
              Array.from(expected.buffer.timestamps),
            );
            buffer = expected.buffer;
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it("folds only the new points once the bucket's state is kept", () => {
    const plan = planOf({
      blockSize: MICROS_PER_HOUR,
      mutableBlocks: 0,
      granularities: [MICROS_PER_SECOND, MICROS_PER_HOUR],
      methods: ["mean", "max"],
    });
    const raw = new RawSeries();
    const t0 = at("2014-01-01T00:00:00");
    let n = 0;
    for (let cycle = 0; cycle < 3; cycle++) {
      const timestamps = Float64Array.from({ length: 100 }, () => t0 + n++ * MICROS_PER_SECOND);
      applyMeasures(plan, raw, { timestamps, values: timestamps.map((x) => x % 7) });
      const fold = raw.folds.get(MICROS_PER_HOUR)!;
      expect(fold.start).toBe(t0);
      expect(fold.count).toBe(n);
      expect(fold.through).toBe(timestamps[99]);
    }
    // Late data merged into the buffer: the folds are dropped, then rebuilt from the buffer.
    const late = {
      timestamps: Float64Array.of(t0 + 5 * MICROS_PER_SECOND),
      values: Float64Array.of(99),
    };
    const result = applyMeasures(plan, raw, late);
    expect(raw.folds.get(MICROS_PER_HOUR)!.count).toBe(n);
    const hourMax = result.aggregates.find(
      (a) => a.granularity === MICROS_PER_HOUR && a.method === "max",
    )!;
    expect(Array.from(hourMax.values)).toEqual([99]);
  });
});
