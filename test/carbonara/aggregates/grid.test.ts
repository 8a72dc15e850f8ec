import { describe, expect, it } from "vitest";
import { buildGrid, type GridOptions } from "../../../src/carbonara/aggregates/grid.js";
import { UnaggregableTimeseriesError } from "../../../src/carbonara/errors.js";
import { MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../../src/carbonara/time.js";
import type { TimeSerie } from "../../../src/carbonara/timeserie.js";
import { at, serie } from "../helpers.js";

const S = MICROS_PER_SECOND;

const a = serie([
  ["2015-03-06T14:00:01", 1],
  ["2015-03-06T14:00:02", 2],
  ["2015-03-06T14:00:03", 3],
]);
const b = serie([
  ["2015-03-06T14:00:00", 10],
  ["2015-03-06T14:00:02", 20],
  ["2015-03-06T14:00:04", 40],
]);

function grid(series: TimeSerie[], options: GridOptions, granularity = S) {
  const g = buildGrid(series, granularity, options, [["a", "mean"]]);
  return {
    times: Array.from(g.timestamps, (t) => (t - at("2015-03-06T14:00:00")) / S),
    columns: g.columns.map((c) => Array.from(c)),
  };
}

function overlapError(series: TimeSerie[], options: GridOptions): UnaggregableTimeseriesError {
  try {
    buildGrid(series, S, options, [
      ["A", "mean"],
      ["B", "max"],
    ]);
  } catch (e) {
    if (e instanceof UnaggregableTimeseriesError) return e;
    throw e;
  }
  throw new Error("expected an overlap error");
}

describe("grid (spec carbonara §9.1)", () => {
  it("unions the times and leaves missing cells NaN with fill=null/dropna", () => {
    for (const fill of ["null", "dropna"] as const) {
      expect(grid([a, b], { fill })).toEqual({
        times: [0, 1, 2, 3, 4],
        columns: [
          [NaN, 1, 2, 3, NaN],
          [10, NaN, 20, NaN, 40],
        ],
      });
    }
  });

  it("puts a numeric fill in missing cells only", () => {
    const withNan = serie([["2015-03-06T14:00:01", NaN]]);
    expect(grid([withNan, b], { fill: 0 })).toEqual({
      times: [0, 1, 2, 4],
      columns: [
        [0, NaN, 0, 0],
        [10, 0, 20, 40],
      ],
    });
  });

  it("slices from the bucket of `from` to `to` (exclusive)", () => {
    const options = {
      fill: "null" as const,
      from: at("2015-03-06T14:00:01.500"),
      to: at("2015-03-06T14:00:03"),
    };
    expect(grid([a, b], options)).toEqual({
      times: [1, 2],
      columns: [
        [1, 2],
        [NaN, 20],
      ],
    });
    const minute = grid(
      [a, b],
      { fill: "null", from: at("2015-03-06T14:00:30") },
      MICROS_PER_MINUTE,
    );
    expect(minute.times).toEqual([0, 1, 2, 3, 4]);
  });

  it("handles empty series and no series", () => {
    expect(grid([serie([]), a], { fill: "null" }).columns[0]).toEqual([NaN, NaN, NaN]);
    expect(grid([], { fill: 0 })).toEqual({ times: [], columns: [] });
  });

  describe("overlap (no fill)", () => {
    it("trims to the overlapping span when start/stop are absent, then checks the percent", () => {
      // Overlap only at 2: trimmed to [2], 100 %.
      expect(grid([a, b], { neededOverlap: 100 })).toEqual({ times: [2], columns: [[2], [20]] });
    });

    it("keeps the given bounds and reports the percent with Python formatting", () => {
      const e = overlapError([a, b], { from: at("2015-03-06T14:00:00"), neededOverlap: 100 });
      // Rows 0..2 (trimmed after the last overlap): 1 of 3.
      expect(e.description).toEqual({
        cause: "Metrics can't being aggregated",
        reason: "Less than 100.000000% of datapoints overlap in this timespan (33.33%)",
        detail: [
          ["A", "mean"],
          ["B", "max"],
        ],
      });
      const both = { from: at("2015-03-06T14:00:00"), to: at("2015-03-06T14:01:00") };
      expect(overlapError([a, b], { ...both, neededOverlap: 25.5 }).reason).toBe(
        "Less than 25.500000% of datapoints overlap in this timespan (20.00%)",
      );
      expect(grid([a, b], { ...both, neededOverlap: 20 }).times).toEqual([0, 1, 2, 3, 4]);
    });

    it("fails with 'No overlap' when no row is complete and some overlap is needed", () => {
      const c = serie([["2015-03-06T14:00:09", 1]]);
      expect(overlapError([a, c], { neededOverlap: 50 }).reason).toBe("No overlap");
      expect(overlapError([serie([]), serie([])], {}).reason).toBe("No overlap");
      // needed_overlap 0 accepts it and keeps every row (nothing to trim to).
      expect(grid([a, c], { neededOverlap: 0 }).times).toEqual([1, 2, 3, 9]);
    });

    it("counts a stored NaN as missing", () => {
      const withNan = serie([
        ["2015-03-06T14:00:02", NaN],
        ["2015-03-06T14:00:03", 5],
      ]);
      expect(grid([a, withNan], { neededOverlap: 50 })).toEqual({
        times: [3],
        columns: [[3], [5]],
      });
    });

    it("defaults needed_overlap to 100", () => {
      expect(overlapError([a, b], { from: at("2015-03-06T14:00:00") }).reason).toMatch(
        /^Less than 100.000000%/,
      );
    });
  });
});
