import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createArchivePolicy,
  DEFAULT_ARCHIVE_POLICIES,
} from "../../src/carbonara/archive-policy.js";
import {
  type ProcessingPlan,
  planOf,
  processingPlan,
  processMeasures,
  sortMeasures,
} from "../../src/carbonara/bound-timeserie.js";
import { mergeSeries } from "../../src/carbonara/series-ops.js";
import { MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import type { TimeSerie } from "../../src/carbonara/timeserie.js";
import { at, points, serie } from "./helpers.js";

const hourly = (backWindow: number, methods = ["mean"]): ProcessingPlan =>
  planOf({
    blockSize: MICROS_PER_HOUR,
    mutableBlocks: backWindow,
    granularities: [MICROS_PER_SECOND, MICROS_PER_MINUTE, MICROS_PER_HOUR],
    methods,
  });

/** Applies processed batches the way storage does: fresh buckets overwrite stored ones. */
class StoredAggregates {
  buffer: TimeSerie | undefined;
  readonly series = new Map<string, TimeSerie>();
  constructor(readonly plan: ProcessingPlan) {}
  post(batch: TimeSerie) {
    const result = processMeasures(this.plan, this.buffer, batch);
    this.buffer = result.buffer;
    for (const agg of result.aggregates) {
      const key = `${agg.method}@${agg.granularity}`;
      const old = this.series.get(key);
      this.series.set(key, old ? mergeSeries(old, agg) : agg);
    }
    return result;
  }
  get(method: string, granularity: number): [string, number][] {
    const s = this.series.get(`${method}@${granularity}`);
    return s ? points(s) : [];
  }
}

describe("sorting a batch (spec carbonara §4.1)", () => {
  it("sorts by timestamp and keeps the smallest value of a duplicated timestamp", () => {
    const sorted = sortMeasures(
      serie([
        ["2014-01-01T12:00:02", 1],
        ["2014-01-01T12:00:01", 9],
        ["2014-01-01T12:00:01", Number.NaN],
        ["2014-01-01T12:00:01", 4],
      ]),
    );
    expect(points(sorted)).toEqual([
      ["2014-01-01T12:00:01.000", 4],
      ["2014-01-01T12:00:02.000", 1],
    ]);
  });
  it("returns an already sorted batch as it is", () => {
    const s = serie([
      ["2014-01-01T12:00:01", 1],
      ["2014-01-01T12:00:02", 2],
    ]);
    expect(sortMeasures(s)).toBe(s);
  });
});

describe("processing measures (spec carbonara §4.2–§4.3)", () => {
  it("a late measure inside the mutable window changes its bucket's aggregate", () => {
    const store = new StoredAggregates(hourly(0));
    store.post(serie([["2014-01-01T12:00:03.000008", 2.5]]));
    store.post(serie([["2014-01-01T12:00:03.000009", 4.5]]));
    expect(store.get("mean", MICROS_PER_SECOND)).toEqual([["2014-01-01T12:00:03.000", 3.5]]);
  });

  it("a new value replaces the buffered one at the same timestamp", () => {
    const store = new StoredAggregates(hourly(0, ["sum", "count"]));
    store.post(serie([["2014-01-01T12:00:03", 2]]));
    store.post(serie([["2014-01-01T12:00:03", 7]]));
    expect(store.get("sum", MICROS_PER_MINUTE)).toEqual([["2014-01-01T12:00:00.000", 7]]);
    expect(store.get("count", MICROS_PER_MINUTE)).toEqual([["2014-01-01T12:00:00.000", 1]]);
  });

  it("drops measures older than the newest point's block (back_window 0)", () => {
    const plan = hourly(0, ["count"]);
    const first = processMeasures(plan, undefined, serie([["2014-01-01T14:34:00", 1]]));
    const late = processMeasures(
      plan,
      first.buffer,
      serie([
        ["2014-01-01T13:59:59", 1],
        ["2014-01-01T14:00:00", 1],
      ]),
    );
    expect(late.dropped).toBe(1);
    expect(late.accepted).toBe(1);
  });

  it("back_window 2 accepts two more blocks of late data", () => {
    const plan = hourly(2, ["count"]);
    const first = processMeasures(plan, undefined, serie([["2014-01-01T14:34:00", 1]]));
    expect(points(first.buffer)).toHaveLength(1);
    const late = processMeasures(
      plan,
      first.buffer,
      serie([
        ["2014-01-01T11:59:59", 1],
        ["2014-01-01T12:00:00", 1],
      ]),
    );
    expect([late.accepted, late.dropped]).toEqual([1, 1]);
  });

  it("accepts everything when there is no buffer", () => {
    const result = processMeasures(
      hourly(0, ["count"]),
      undefined,
      serie([
        ["2010-01-01T00:00:00", 1],
        ["2014-01-01T14:34:00", 1],
      ]),
    );
    expect([result.accepted, result.dropped]).toEqual([2, 0]);
  });

  it("keeps in the buffer only what may still change", () => {
    const result = processMeasures(
      hourly(1, ["count"]),
      undefined,
      serie([
        ["2014-01-01T12:59:00", 1],
        ["2014-01-01T13:00:00", 2],
        ["2014-01-01T14:34:00", 3],
      ]),
    );
    expect(points(result.buffer)).toEqual([
      ["2014-01-01T13:00:00.000", 2],
      ["2014-01-01T14:34:00.000", 3],
    ]);
  });

  it("recomputes only from the first new measure's bucket", () => {
    const plan = hourly(0, ["count"]);
    const first = processMeasures(
      plan,
      undefined,
      serie([
        ["2014-01-01T14:00:00", 1],
        ["2014-01-01T14:01:00", 1],
      ]),
    );
    const next = processMeasures(plan, first.buffer, serie([["2014-01-01T14:05:30", 1]]));
    const perMinute = next.aggregates.find((a) => a.granularity === MICROS_PER_MINUTE)!;
    expect(points(perMinute)).toEqual([["2014-01-01T14:05:00.000", 1]]);
    const perHour = next.aggregates.find((a) => a.granularity === MICROS_PER_HOUR)!;
    expect(points(perHour)).toEqual([["2014-01-01T14:00:00.000", 3]]);
  });

  it("does nothing when every measure is too late", () => {
    const plan = hourly(0, ["count"]);
    const first = processMeasures(plan, undefined, serie([["2014-01-01T14:34:00", 1]]));
    const late = processMeasures(plan, first.buffer, serie([["2014-01-01T10:00:00", 1]]));
    expect(late.aggregates).toEqual([]);
    expect(late.buffer).toBe(first.buffer);
  });

  it("gives rate:X the same result whether points arrive in one batch or several (§5.1)", () => {
    const plan = planOf({
      blockSize: MICROS_PER_MINUTE,
      mutableBlocks: 1,
      granularities: [MICROS_PER_MINUTE],
      methods: ["rate:mean", "rate:max"],
    });
    const all = serie([
      ["2014-01-01T14:33:00", 10],
      ["2014-01-01T14:34:10", 13],
      ["2014-01-01T14:34:20", 13],
      ["2014-01-01T14:34:30", 15],
      ["2014-01-01T14:34:40", 18],
      ["2014-01-01T14:34:50", 20],
    ]);
    const once = new StoredAggregates(plan);
    once.post(all);
    const piecewise = new StoredAggregates(plan);
    for (let i = 0; i < all.timestamps.length; i++) {
      piecewise.post({
        timestamps: all.timestamps.subarray(i, i + 1),
        values: all.values.subarray(i, i + 1),
      });
    }
    expect(once.get("rate:mean", MICROS_PER_MINUTE)).toEqual([["2014-01-01T14:34:00.000", 2]]);
    expect(piecewise.get("rate:mean", MICROS_PER_MINUTE)).toEqual(
      once.get("rate:mean", MICROS_PER_MINUTE),
    );
    expect(piecewise.get("rate:max", MICROS_PER_MINUTE)).toEqual([["2014-01-01T14:34:00.000", 3]]);
  });

  it("stores the same aggregates for in-order data whatever the batching", () => {
    const methods = [
      "mean",
      "sum",
      "count",
      "min",
      "max",
      "last",
      "first",
      "std",
      "median",
      "90pct",
      "rate:sum",
    ];
    const plan = planOf({
      blockSize: MICROS_PER_HOUR,
      mutableBlocks: 1,
      granularities: [MICROS_PER_SECOND * 5, MICROS_PER_MINUTE, MICROS_PER_HOUR],
      methods,
    });
    const start = at("2014-01-01T00:00:00");
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 4_000_000 }),
            fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
          ),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        (steps, cuts) => {
          let t = start;
          const timestamps = Float64Array.from(steps, ([dt]) => (t += dt));
          const values = Float64Array.from(steps, ([, v]) => v);
          const once = new StoredAggregates(plan);
          once.post({ timestamps, values });
          const batched = new StoredAggregates(plan);
          let from = 0;
          for (let c = 0; from < timestamps.length; c++) {
            const to = Math.min(timestamps.length, from + cuts[c % cuts.length]!);
            batched.post({
              timestamps: timestamps.subarray(from, to),
              values: values.subarray(from, to),
            });
            from = to;
          }
          for (const [key, s] of once.series) {
            const other = batched.series.get(key)!;
            expect(Array.from(other.timestamps), key).toEqual(Array.from(s.timestamps));
            Array.from(s.values).forEach((v, i) => {
              expect(other.values[i]!, key).toBeCloseTo(v, 6);
            });
          }
          expect(batched.series.size).toBe(once.series.size);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("processing plan of an archive policy", () => {
  it("takes block size, mutable blocks, granularities and methods from the policy", () => {
    const plan = processingPlan(DEFAULT_ARCHIVE_POLICIES.high);
    expect(plan.blockSize).toBe(MICROS_PER_HOUR);
    expect(plan.mutableBlocks).toBe(0);
    expect(plan.granularities).toEqual([MICROS_PER_SECOND, MICROS_PER_MINUTE, MICROS_PER_HOUR]);
    expect(plan.methods.map((m) => (typeof m === "string" ? m : m.name)).sort()).toEqual([
      "count",
      "max",
      "mean",
      "min",
      "std",
      "sum",
    ]);
    expect(processingPlan(DEFAULT_ARCHIVE_POLICIES.bool).mutableBlocks).toBe(3600);
  });
  it("adds one block of history when a rate method needs the previous bucket", () => {
    const policy = createArchivePolicy({
      name: "r",
      back_window: 2,
      aggregation_methods: ["rate:mean"],
      definition: [{ granularity: 60, points: 10 }],
    });
    expect(processingPlan(policy).mutableBlocks).toBe(3);
  });
});
