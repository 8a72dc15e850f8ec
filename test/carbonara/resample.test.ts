import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregateSerie } from "../../src/carbonara/aggregate.js";
import { UnsupportedResampleError } from "../../src/carbonara/errors.js";
import {
  type CalendarLetter,
  calendarPeriodStart,
  isCalendarLetter,
  nextCalendarPeriodStart,
  resampleCalendar,
  resampleSerie,
} from "../../src/carbonara/resample.js";
import { floorTime, MICROS_PER_DAY, MICROS_PER_MINUTE } from "../../src/carbonara/time.js";
import { at, points, serie } from "./helpers.js";

// Spec carbonara §8.1: 1 s means.
const seconds = serie([
  ["2015-03-06T14:33:57", 43.1],
  ["2015-03-06T14:34:12", 12],
  ["2015-03-06T14:34:15", 16],
  ["2015-03-06T14:35:12", 9],
  ["2015-03-06T14:35:15", 11],
]);

// Spec carbonara §8.2: daily means.
const daily = serie([
  ["2015-03-01T00:00:00", 10],
  ["2015-03-06T00:00:00", 12],
  ["2015-04-01T00:00:00", 2],
  ["2015-04-06T00:00:00", 4],
  ["2015-10-06T00:00:00", 7],
  ["2016-01-06T00:00:00", 12],
  ["2016-02-06T00:00:00", 4],
]);

const day = (iso: string) => `${iso}T00:00:00.000`;

describe("fixed resampling (spec carbonara §8.1)", () => {
  it("resamples the reference 1 s means to 60 s: 43.1, 14.0, 10.0", () => {
    const result = resampleSerie(seconds, "mean", MICROS_PER_MINUTE);
    expect(points(result)).toEqual([
      ["2015-03-06T14:33:00.000", 43.1],
      ["2015-03-06T14:34:00.000", 14],
      ["2015-03-06T14:35:00.000", 10],
    ]);
    expect(result.granularity).toBe(MICROS_PER_MINUTE);
    expect(result.method).toBe("mean");
  });

  it("applies the method to the aggregated values (max of maxes, count of counts)", () => {
    expect(Array.from(resampleSerie(seconds, "max", MICROS_PER_MINUTE).values)).toEqual([
      43.1, 16, 11,
    ]);
    expect(Array.from(resampleSerie(seconds, "count", MICROS_PER_MINUTE).values)).toEqual([
      1, 2, 2,
    ]);
    expect(Array.from(resampleSerie(seconds, "sum", MICROS_PER_MINUTE).values)).toEqual([
      43.1, 28, 20,
    ]);
    expect(Array.from(resampleSerie(seconds, "median", MICROS_PER_MINUTE).values)).toEqual([
      43.1, 14, 10,
    ]);
  });

  it("uses the sample std, so single-point buckets disappear", () => {
    const result = resampleSerie(seconds, "std", MICROS_PER_MINUTE);
    expect(points(result)).toEqual([
      ["2015-03-06T14:34:00.000", Math.SQRT2 * 2],
      ["2015-03-06T14:35:00.000", Math.SQRT2],
    ]);
  });

  it("differentiates rate:X again (original quirk)", () => {
    // Deltas: 12-43.1 @14:34:12, 4 @14:34:15, -7 @14:35:12, 2 @14:35:15.
    const result = resampleSerie(seconds, "rate:max", MICROS_PER_MINUTE);
    expect(points(result)).toEqual([
      ["2015-03-06T14:34:00.000", 4],
      ["2015-03-06T14:35:00.000", 2],
    ]);
  });

  it("computes var as the population variance (and rate:var over the deltas)", () => {
    expect(Array.from(resampleSerie(seconds, "var", MICROS_PER_MINUTE).values)).toEqual([0, 4, 1]);
    const rate = resampleSerie(seconds, "rate:var", MICROS_PER_MINUTE);
    expect(points(rate).map(([t]) => t)).toEqual([
      "2015-03-06T14:34:00.000",
      "2015-03-06T14:35:00.000",
    ]);
    const d1 = 12 - 43.1;
    const mean = (d1 + 4) / 2;
    expect(rate.values[0]).toBeCloseTo(((d1 - mean) ** 2 + (4 - mean) ** 2) / 2, 10);
    expect(rate.values[1]).toBe(20.25); // deltas -7, 2
  });

  it("returns an empty series for an empty input", () => {
    const empty = serie([]);
    for (const method of ["mean", "std", "rate:mean", "var", "rate:var"]) {
      const result = resampleSerie(empty, method, MICROS_PER_MINUTE);
      expect(result.timestamps.length).toBe(0);
      expect(result.values.length).toBe(0);
    }
  });

  it("keeps NaN aggregates as points (mean with a NaN is NaN)", () => {
    const withNan = serie([
      ["2015-03-06T14:34:12", 12],
      ["2015-03-06T14:34:15", Number.NaN],
      ["2015-03-06T14:35:12", 9],
    ]);
    const result = resampleSerie(withNan, "mean", MICROS_PER_MINUTE);
    expect(Array.from(result.values)).toEqual([Number.NaN, 9]);
    expect(Array.from(resampleSerie(withNan, "count", MICROS_PER_MINUTE).values)).toEqual([2, 1]);
  });

  it("rejects an unknown method", () => {
    expect(() => resampleSerie(seconds, "bogus", MICROS_PER_MINUTE)).toThrow(
      "Unknown aggregation method 'bogus'",
    );
  });

  it("matches a naive group-by of the points (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 1, max: 500 }),
        (secs, step) => {
          const times = Float64Array.from(secs.sort((a, b) => a - b).map((s) => s * 1e6));
          const values = Float64Array.from(times, (_t, i) => (i * 7) % 13);
          const g = step * 1e6;
          const result = resampleSerie({ timestamps: times, values }, "sum", g);
          const expected = new Map<number, number>();
          times.forEach((t, i) => {
            const b = floorTime(t, g);
            expected.set(b, (expected.get(b) ?? 0) + values[i]!);
          });
          expect(Array.from(result.timestamps)).toEqual([...expected.keys()]);
          expect(Array.from(result.values)).toEqual([...expected.values()]);
        },
      ),
    );
  });

  it("equals aggregating the aggregated points (same code path as the write side)", () => {
    const [direct] = aggregateSerie(seconds, MICROS_PER_MINUTE, ["min"]);
    expect(resampleSerie(seconds, "min", MICROS_PER_MINUTE)).toEqual(direct);
  });
});

describe("calendar resampling (spec carbonara §8.2)", () => {
  const resample = (letter: CalendarLetter) => points(resampleCalendar(daily, "mean", letter));

  it("Y: 2015 → 7.0, 2016 → 8.0", () => {
    expect(resample("Y")).toEqual([
      [day("2015-01-01"), 7],
      [day("2016-01-01"), 8],
    ]);
  });

  it("H: half years", () => {
    expect(resample("H")).toEqual([
      [day("2015-01-01"), 7],
      [day("2015-07-01"), 7],
      [day("2016-01-01"), 8],
    ]);
  });

  it("Q: 11, 3, 7, 8", () => {
    expect(resample("Q")).toEqual([
      [day("2015-01-01"), 11],
      [day("2015-04-01"), 3],
      [day("2015-10-01"), 7],
      [day("2016-01-01"), 8],
    ]);
  });

  it("M: months", () => {
    expect(resample("M")).toEqual([
      [day("2015-03-01"), 11],
      [day("2015-04-01"), 3],
      [day("2015-10-01"), 7],
      [day("2016-01-01"), 12],
      [day("2016-02-01"), 4],
    ]);
  });

  it("W: weeks starting on Sunday", () => {
    expect(resample("W")).toEqual([
      [day("2015-03-01"), 11],
      [day("2015-03-29"), 2],
      [day("2015-04-05"), 4],
      [day("2015-10-04"), 7],
      [day("2016-01-03"), 12],
      [day("2016-01-31"), 4],
    ]);
  });

  it("labels the output granularity with the letter and keeps the method", () => {
    const result = resampleCalendar(daily, "max", "Q");
    expect(result.granularity).toBe("Q");
    expect(result.method).toBe("max");
    expect(Array.from(result.values)).toEqual([12, 4, 7, 12]);
  });

  it("rejects rate: methods", () => {
    expect(() => resampleCalendar(daily, "rate:mean", "M")).toThrow(UnsupportedResampleError);
  });

  it("drops periods too small for the method (std of one point)", () => {
    const result = resampleCalendar(daily, "std", "M");
    expect(points(result).map(([t]) => t)).toEqual([day("2015-03-01"), day("2015-04-01")]);
    expect(result.values[0]).toBeCloseTo(Math.SQRT2, 12);
  });

  it("handles an empty series", () => {
    expect(resampleCalendar(serie([]), "mean", "Y").timestamps.length).toBe(0);
  });

  it("computes period starts and ends in UTC", () => {
    const t = at("2015-08-19T23:59:59.999999"); // a Wednesday
    expect(calendarPeriodStart(t, "Y")).toBe(at("2015-01-01T00:00:00"));
    expect(calendarPeriodStart(t, "H")).toBe(at("2015-07-01T00:00:00"));
    expect(calendarPeriodStart(t, "Q")).toBe(at("2015-07-01T00:00:00"));
    expect(calendarPeriodStart(t, "M")).toBe(at("2015-08-01T00:00:00"));
    expect(calendarPeriodStart(t, "W")).toBe(at("2015-08-16T00:00:00"));
    expect(nextCalendarPeriodStart(at("2015-10-01T00:00:00"), "Q")).toBe(at("2016-01-01T00:00:00"));
    expect(nextCalendarPeriodStart(at("2015-07-01T00:00:00"), "H")).toBe(at("2016-01-01T00:00:00"));
    expect(nextCalendarPeriodStart(at("2015-12-01T00:00:00"), "M")).toBe(at("2016-01-01T00:00:00"));
    // A Sunday is its own week start; before the epoch too (1969-12-28 was a Sunday).
    expect(calendarPeriodStart(at("2015-03-01T12:00:00"), "W")).toBe(at("2015-03-01T00:00:00"));
    expect(calendarPeriodStart(at("1969-12-31T12:00:00"), "W")).toBe(at("1969-12-28T00:00:00"));
  });

  it("puts every point in the period that contains it (property)", () => {
    const letters: CalendarLetter[] = ["Y", "H", "Q", "M", "W"];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 * 365 }),
        fc.integer({ min: 0, max: MICROS_PER_DAY - 1 }),
        fc.constantFrom(...letters),
        (d, us, letter) => {
          const t = (d - 1000 * 365) * MICROS_PER_DAY + us;
          const start = calendarPeriodStart(t, letter);
          const end = nextCalendarPeriodStart(start, letter);
          expect(start).toBeLessThanOrEqual(t);
          expect(t).toBeLessThan(end);
          expect(calendarPeriodStart(end, letter)).toBe(end);
          expect(Math.abs(start % MICROS_PER_DAY)).toBe(0);
        },
      ),
    );
  });

  it("recognizes the calendar letters only", () => {
    expect(["Y", "H", "Q", "M", "W"].every(isCalendarLetter)).toBe(true);
    expect(isCalendarLetter("D")).toBe(false);
    expect(isCalendarLetter("60")).toBe(false);
  });
});
