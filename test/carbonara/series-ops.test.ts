import { describe, expect, it } from "vitest";
import {
  concatSeries,
  mergeSeries,
  sliceAggregated,
  truncateToTimespan,
} from "../../src/carbonara/series-ops.js";
import { MICROS_PER_MINUTE } from "../../src/carbonara/time.js";
import { at, points, serie } from "./helpers.js";

const s = serie([
  ["2014-01-01T12:00:00", 1],
  ["2014-01-01T12:01:00", 2],
  ["2014-01-01T12:02:00", 3],
  ["2014-01-01T12:03:00", 4],
]);

describe("series operations", () => {
  it("merges with the fresh series winning on equal timestamps", () => {
    const fresh = serie([
      ["2014-01-01T11:59:00", 10],
      ["2014-01-01T12:01:00", 20],
      ["2014-01-01T12:05:00", 50],
    ]);
    expect(points(mergeSeries(s, fresh)).map(([, v]) => v)).toEqual([10, 1, 20, 3, 4, 50]);
    expect(points(mergeSeries(fresh, s)).map(([, v]) => v)).toEqual([10, 1, 2, 3, 4, 50]);
  });
  it("appends when the fresh series starts after the old one", () => {
    const fresh = serie([["2014-01-01T12:10:00", 9]]);
    expect(points(mergeSeries(s, fresh)).map(([, v]) => v)).toEqual([1, 2, 3, 4, 9]);
  });
  it("concatenates", () => {
    const a = serie([["2014-01-01T11:00:00", 0]]);
    expect(points(concatSeries([a, s])).map(([, v]) => v)).toEqual([0, 1, 2, 3, 4]);
    expect(concatSeries([]).timestamps.length).toBe(0);
  });
  it("keeps exactly `points` buckets when truncating to a timespan (spec §4.4)", () => {
    expect(points(truncateToTimespan(s, 2 * MICROS_PER_MINUTE)).map(([, v]) => v)).toEqual([3, 4]);
    expect(truncateToTimespan(s, null)).toBe(s);
  });
  it("rounds `from` down to the granularity and keeps `to` exclusive (spec §7)", () => {
    const sliced = sliceAggregated(
      s,
      MICROS_PER_MINUTE,
      at("2014-01-01T12:00:57"),
      at("2014-01-01T12:03:00"),
    );
    expect(points(sliced).map(([, v]) => v)).toEqual([1, 2, 3]);
    expect(sliceAggregated(s, MICROS_PER_MINUTE, undefined, undefined)).toBe(s);
    expect(
      points(sliceAggregated(s, MICROS_PER_MINUTE, at("2014-01-01T12:02:30"), undefined)),
    ).toHaveLength(2);
  });
});
