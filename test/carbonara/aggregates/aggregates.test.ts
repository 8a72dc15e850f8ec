import { describe, expect, it } from "vitest";
import { aggregateSerie } from "../../../src/carbonara/aggregate.js";
import {
  type AggregatesReference,
  type AggregatesResult,
  evaluateAggregates,
  type ResultBlock,
} from "../../../src/carbonara/aggregates/aggregates.js";
import type { GridOptions } from "../../../src/carbonara/aggregates/grid.js";
import { parseOperations } from "../../../src/carbonara/aggregates/parse.js";
import { UnaggregableTimeseriesError } from "../../../src/carbonara/errors.js";
import { MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../../src/carbonara/time.js";
import type { TimeSerie } from "../../../src/carbonara/timeserie.js";
import { serie } from "../helpers.js";

const S = MICROS_PER_SECOND;

/** The stored aggregates of raw points for a policy of `granularities` and one method. */
function reference(
  ref: string,
  raw: TimeSerie,
  granularities: number[],
  method = "mean",
): AggregatesReference {
  return {
    ref,
    method,
    series: granularities.map((g) => aggregateSerie(raw, g, [method])[0]!),
  };
}

type Row = [string, number, number];

function rows(blocks: ResultBlock[]): Row[] {
  return blocks.flatMap((b) =>
    Array.from(
      b.timestamps,
      (t, i): Row => [
        new Date(t / 1000).toISOString().replace(".000Z", "+00:00"),
        b.granularity / S,
        b.values[i]!,
      ],
    ),
  );
}

function compute<R extends AggregatesReference>(
  ops: unknown,
  refs: R[],
  options: GridOptions = {},
): AggregatesResult<R> {
  return evaluateAggregates(parseOperations(ops), refs, options);
}

function aggregatedRows(result: AggregatesResult<AggregatesReference>): Row[] {
  if (!result.aggregated) throw new Error("expected an aggregated result");
  return rows(result.blocks);
}

function perReference(result: AggregatesResult<AggregatesReference>): Record<string, Row[]> {
  if (result.aggregated) throw new Error("expected one series per reference");
  return Object.fromEntries(
    result.series.map(({ reference: r, blocks }) => [`${r.ref}/${r.method}`, rows(blocks)]),
  );
}

describe("deprecated endpoint reference example (spec carbonara §9.2)", () => {
  // Two metrics with a 1 s & 300 s policy; reaggregation mean, needed_overlap 100, no fill.
  const A = reference(
    "A",
    serie([
      ["2014-01-01T14:33:57", 43.1],
      ["2014-01-01T14:34:12", 12],
    ]),
    [S, 300 * S],
  );
  const B = reference(
    "B",
    serie([
      ["2014-01-01T14:33:57", 3.1],
      ["2014-01-01T14:34:12", 2],
      ["2014-01-01T14:35:12", 5],
    ]),
    [S, 300 * S],
  );
  const ops = ["aggregate", "mean", ["metric", ["A", "mean"], ["B", "mean"]]];

  it("gives 15.05 / 23.1 / 7.0, trimming B's points after the last overlap", () => {
    const result = compute(ops, [A, B], { fill: undefined, neededOverlap: 100 });
    expect(aggregatedRows(result)).toEqual([
      ["2014-01-01T14:30:00+00:00", 300, 15.05],
      ["2014-01-01T14:33:57+00:00", 1, 23.1],
      ["2014-01-01T14:34:12+00:00", 1, 7],
    ]);
  });

  it("with fill=0 keeps the 14:35 rows at 2.5", () => {
    const result = compute(ops, [A, B], { fill: 0 });
    expect(aggregatedRows(result)).toEqual([
      ["2014-01-01T14:30:00+00:00", 300, 15.05],
      ["2014-01-01T14:35:00+00:00", 300, 2.5],
      ["2014-01-01T14:33:57+00:00", 1, 23.1],
      ["2014-01-01T14:34:12+00:00", 1, 7],
      ["2014-01-01T14:35:12+00:00", 1, 2.5],
    ]);
  });

  it("fails when start and stop keep non-overlapping rows in", () => {
    const from = Date.parse("2014-01-01T14:30:00Z") * 1000;
    const to = Date.parse("2014-01-01T14:40:00Z") * 1000;
    // 300 s first: 14:30 overlaps, 14:35 (B only) does not.
    expect(() => compute(ops, [A, B], { from, to, neededOverlap: 100 })).toThrow(
      "Less than 100.000000% of datapoints overlap in this timespan (50.00%)",
    );
    // A start alone still trims after the last overlap.
    expect(aggregatedRows(compute(ops, [A, B], { from, neededOverlap: 100 }))).toHaveLength(3);
  });
});

// gnocchi's aggregates-with-metric-ids gabbi data: policy 1 s & 60 s.
const metric1 = reference(
  "m1",
  serie([
    ["2015-03-06T14:33:57", 43.1],
    ["2015-03-06T14:34:12", 12],
    ["2015-03-06T14:34:15", -16],
    ["2015-03-06T14:35:12", 9],
    ["2015-03-06T14:35:15", 11],
  ]),
  [S, MICROS_PER_MINUTE],
);
const metric2 = reference(
  "m2",
  serie([
    ["2015-03-06T14:33:57", 2],
    ["2015-03-06T14:34:12", 4],
    ["2015-03-06T14:34:15", 5],
    ["2015-03-06T14:35:12", 10],
    ["2015-03-06T14:35:15", 15],
  ]),
  [S, MICROS_PER_MINUTE],
);
const metric4 = reference(
  "m4",
  serie([
    ["2017-04-06T14:33:57", 20],
    ["2017-04-06T14:34:12", 10],
  ]),
  [S, MICROS_PER_MINUTE],
);
const both = "(metric (m1 mean) (m2 mean))";
const dropna: GridOptions = { fill: "dropna" };

describe("/v1/aggregates reference results", () => {
  it("returns one series per reference for a plain metric list, granularities descending", () => {
    expect(perReference(compute(both, [metric1, metric2], dropna))).toEqual({
      "m1/mean": [
        ["2015-03-06T14:33:00+00:00", 60, 43.1],
        ["2015-03-06T14:34:00+00:00", 60, -2],
        ["2015-03-06T14:35:00+00:00", 60, 10],
        ["2015-03-06T14:33:57+00:00", 1, 43.1],
        ["2015-03-06T14:34:12+00:00", 1, 12],
        ["2015-03-06T14:34:15+00:00", 1, -16],
        ["2015-03-06T14:35:12+00:00", 1, 9],
        ["2015-03-06T14:35:15+00:00", 1, 11],
      ],
      "m2/mean": [
        ["2015-03-06T14:33:00+00:00", 60, 2],
        ["2015-03-06T14:34:00+00:00", 60, 4.5],
        ["2015-03-06T14:35:00+00:00", 60, 12.5],
        ["2015-03-06T14:33:57+00:00", 1, 2],
        ["2015-03-06T14:34:12+00:00", 1, 4],
        ["2015-03-06T14:34:15+00:00", 1, 5],
        ["2015-03-06T14:35:12+00:00", 1, 10],
        ["2015-03-06T14:35:15+00:00", 1, 15],
      ],
    });
  });

  it("slices with start and stop", () => {
    const from = Date.parse("2015-03-06T14:34:00Z") * 1000;
    const to = Date.parse("2015-03-06T14:35:13Z") * 1000;
    const r = perReference(compute(both, [metric1, metric2], { ...dropna, from, to }));
    expect(r["m1/mean"]).toEqual([
      ["2015-03-06T14:34:00+00:00", 60, -2],
      ["2015-03-06T14:35:00+00:00", 60, 10],
      ["2015-03-06T14:34:12+00:00", 1, 12],
      ["2015-03-06T14:34:15+00:00", 1, -16],
      ["2015-03-06T14:35:12+00:00", 1, 9],
    ]);
  });

  it("aggregates mean across metrics: 22.55, 1.25, 11.25, …", () => {
    const r = aggregatedRows(compute(`(aggregate mean ${both})`, [metric1, metric2], dropna));
    expect(r.map(([, g, v]) => [g, v])).toEqual([
      [60, 22.55],
      [60, 1.25],
      [60, 11.25],
      [1, 22.55],
      [1, 8],
      [1, -5.5],
      [1, 9.5],
      [1, 13],
    ]);
  });

  it("subtracts one metric from another (aggregated): 41.1, -6.5, -2.5, …", () => {
    const r = aggregatedRows(
      compute("(- (metric m1 mean) (metric m2 mean)))", [metric1, metric2], dropna),
    );
    expect(r.map(([, , v]) => v)).toEqual([41.1, -6.5, -2.5, 41.1, 8, -21, -1, -4]);
  });

  it("nests unary operators over an aggregate", () => {
    const r = aggregatedRows(
      compute(`(negative (absolute (aggregate mean ${both})))`, [metric1, metric2], dropna),
    );
    expect(r.map(([, , v]) => v)).toEqual([-22.55, -1.25, -11.25, -22.55, -8, -5.5, -9.5, -13]);
  });

  it("adds a scalar per reference", () => {
    const r = perReference(compute(`(+ ${both} 2.0)`, [metric1, metric2], dropna));
    expect(r["m1/mean"]!.map(([, , v]) => v)).toEqual([45.1, 0, 12, 45.1, 14, -14, 11, 13]);
    expect(r["m2/mean"]!.map(([, , v]) => v)).toEqual([4, 6.5, 14.5, 4, 6, 7, 12, 17]);
  });

  it("resamples the 1 s series to 60 s with the resample granularity on the rows", () => {
    const only1s = [metric1, metric2].map((m) => ({ ...m, series: [m.series[0]!] }));
    const r = perReference(compute(`(resample mean 60 ${both})`, only1s, dropna));
    expect(r["m1/mean"]).toEqual([
      ["2015-03-06T14:33:00+00:00", 60, 43.1],
      ["2015-03-06T14:34:00+00:00", 60, -2],
      ["2015-03-06T14:35:00+00:00", 60, 10],
    ]);
  });

  it("with fill=123 fills the missing cells only", () => {
    const later = reference(
      "m1",
      serie([
        ["2015-03-06T14:33:57", 43.1],
        ["2015-03-06T14:37:00", 15],
      ]),
      [MICROS_PER_MINUTE],
    );
    const r = perReference(
      compute(both, [later, { ...metric2, series: [metric2.series[1]!] }], { fill: 123 }),
    );
    expect(r["m2/mean"]!.map(([, , v]) => v)).toEqual([2, 4.5, 12.5, 123]);
    expect(r["m1/mean"]!.map(([, , v]) => v)).toEqual([43.1, 123, 123, 15]);
  });

  it("with the default dropna, series without overlap come back whole", () => {
    const r = perReference(compute("(metric (m1 mean) (m4 mean))", [metric1, metric4], dropna));
    expect(r["m1/mean"]).toHaveLength(8);
    expect(r["m4/mean"]).toEqual([
      ["2017-04-06T14:33:00+00:00", 60, 20],
      ["2017-04-06T14:34:00+00:00", 60, 10],
      ["2017-04-06T14:33:57+00:00", 1, 20],
      ["2017-04-06T14:34:12+00:00", 1, 10],
    ]);
  });

  it("with fill=null keeps the NaN cells", () => {
    const r = perReference(
      compute("(metric (m1 mean) (m4 mean))", [metric1, metric4], { fill: "null" }),
    );
    // 60 s: 3 + 2 rows, 1 s: 5 + 2 rows; m4 is missing from 3 + 5 of them.
    expect(r["m4/mean"]).toHaveLength(5 + 7);
    expect(r["m4/mean"]!.filter(([, , v]) => Number.isNaN(v))).toHaveLength(8);
    expect(r["m1/mean"]!.filter(([, , v]) => Number.isNaN(v))).toHaveLength(4);
  });

  it("fails with 'No overlap' when the overlap is required", () => {
    const error = (() => {
      try {
        compute("(metric (m1 mean) (m4 mean))", [metric1, metric4], { neededOverlap: 10 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnaggregableTimeseriesError);
    expect((error as UnaggregableTimeseriesError).description).toEqual({
      cause: "Metrics can't being aggregated",
      reason: "No overlap",
      detail: [
        ["m1", "mean"],
        ["m4", "mean"],
      ],
    });
  });
});

describe("output shaping", () => {
  const one = reference(
    "x",
    serie([
      ["2015-01-01T00:00:00", 0],
      ["2015-01-01T00:00:01", 2],
      ["2015-01-01T00:00:02", -1],
    ]),
    [S],
  );

  it("drops NaN and ±inf with fill=dropna (division by zero)", () => {
    const r = perReference(compute(["/", ["metric", "x", "mean"], 0], [one], dropna));
    expect(r["x/mean"]).toEqual([]);
    const kept = perReference(compute(["/", ["metric", "x", "mean"], 0], [one], { fill: "null" }));
    expect(kept["x/mean"]!.map(([, , v]) => v)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it("lists a reference without points with no rows", () => {
    const empty: AggregatesReference = { ref: "e", method: "mean", series: [] };
    const r = compute("(metric (x mean) (e mean))", [one, empty], dropna);
    expect(perReference(r)).toEqual({
      "x/mean": rows(r.aggregated ? [] : r.series[0]!.blocks),
      "e/mean": [],
    });
  });

  it("selects every series sharing a pattern (resource mode)", () => {
    const r1 = { ...reference("cpu.*", serie([["2015-01-01T00:00:00", 1]]), [S]), resource: "r1" };
    const r2 = { ...reference("cpu.*", serie([["2015-01-01T00:00:00", 3]]), [S]), resource: "r2" };
    const result = compute(["metric", "cpu.*", "mean"], [r1, r2], dropna);
    expect(result.aggregated).toBe(false);
    if (!result.aggregated) {
      expect(result.series.map((s) => [s.reference.resource, s.blocks[0]!.values[0]])).toEqual([
        ["r1", 1],
        ["r2", 3],
      ]);
    }
    expect(
      aggregatedRows(compute(["aggregate", "sum", ["metric", "cpu.*", "mean"]], [r1, r2], dropna)),
    ).toEqual([["2015-01-01T00:00:00+00:00", 1, 4]]);
  });

  it("computes every granularity in descending order", () => {
    const multi = reference(
      "x",
      serie([
        ["2015-01-01T00:00:00", 1],
        ["2015-01-01T00:01:30", 3],
      ]),
      [S, 3600 * S, MICROS_PER_MINUTE],
    );
    const r = aggregatedRows(
      compute(["aggregate", "max", ["metric", "x", "mean"]], [multi], dropna),
    );
    expect(r.map(([, g]) => g)).toEqual([3600, 60, 60, 1, 1]);
  });

  it("shows only the first column of a multi-column series ⊕ series", () => {
    const y = reference("y", serie([["2015-01-01T00:00:00", 10]]), [S]);
    const z = reference("z", serie([["2015-01-01T00:00:00", 20]]), [S]);
    const w = reference("w", serie([["2015-01-01T00:00:00", 1]]), [S]);
    const result = compute(
      ["-", ["metric", ["y", "mean"], ["z", "mean"]], ["metric", "w", "mean"]],
      [y, z, w],
      dropna,
    );
    expect(aggregatedRows(result)).toEqual([["2015-01-01T00:00:00+00:00", 1, 9]]);
  });

  it("reports rolling windows longer than the series with the references", () => {
    expect(() => compute(["rolling", "mean", 4, ["metric", "x", "mean"]], [one], dropna)).toThrow(
      "Rolling window '4' is greater than serie length '3'",
    );
  });
});
