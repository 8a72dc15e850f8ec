import { describe, expect, it } from "vitest";
import {
  nextSplitKey,
  oldestRetainedSplitKey,
  POINTS_PER_SPLIT,
  splitKey,
  splitSerie,
} from "../../src/carbonara/split-key.js";
import { MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../src/carbonara/time.js";
import { at } from "./helpers.js";

describe("split keys (spec carbonara §6.1)", () => {
  it("keys 2015-01-01T15:03 at 1 h granularity on 2014-10-07", () => {
    expect(splitKey(at("2015-01-01T15:03:00"), MICROS_PER_HOUR)).toBe(at("2014-10-07T00:00:00"));
  });
  it("keys 2015-01-01T15:03:58 at 58 s granularity on 2014-12-31T18:00", () => {
    expect(splitKey(at("2015-01-01T15:03:58"), 58 * MICROS_PER_SECOND)).toBe(
      at("2014-12-31T18:00:00"),
    );
  });
  it("spans 3600 points", () => {
    expect(POINTS_PER_SPLIT).toBe(3600);
    const key = splitKey(at("2015-01-01T15:03:58"), MICROS_PER_SECOND);
    expect(key).toBe(at("2015-01-01T15:00:00"));
    expect(nextSplitKey(key, MICROS_PER_SECOND)).toBe(at("2015-01-01T16:00:00"));
    expect(nextSplitKey(0, MICROS_PER_MINUTE)).toBe(60 * MICROS_PER_HOUR);
  });
  it("cuts a series into its splits without copying", () => {
    const g = MICROS_PER_SECOND;
    const timestamps = Float64Array.of(
      at("2015-01-01T14:59:59"),
      at("2015-01-01T15:00:00"),
      at("2015-01-01T15:59:59"),
      at("2015-01-01T18:00:00"),
    );
    const values = Float64Array.of(1, 2, 3, 4);
    const splits = splitSerie({ timestamps, values }, g);
    expect(splits.map((s) => s.key)).toEqual([
      at("2015-01-01T14:00:00"),
      at("2015-01-01T15:00:00"),
      at("2015-01-01T18:00:00"),
    ]);
    expect(splits.map((s) => Array.from(s.serie.values))).toEqual([[1], [2, 3], [4]]);
    expect(splits[1]!.serie.values.buffer).toBe(values.buffer);
    expect(splitSerie({ timestamps: new Float64Array(0), values: new Float64Array(0) }, g)).toEqual(
      [],
    );
  });
  it("retains splits back to the one holding newest − timespan", () => {
    const g = MICROS_PER_SECOND;
    expect(oldestRetainedSplitKey(at("2015-01-01T15:30:00"), MICROS_PER_HOUR, g)).toBe(
      at("2015-01-01T14:00:00"),
    );
    expect(oldestRetainedSplitKey(at("2015-01-01T15:30:00"), null, g)).toBe(
      Number.NEGATIVE_INFINITY,
    );
  });
});
