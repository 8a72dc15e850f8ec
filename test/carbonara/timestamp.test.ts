import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidTimestampError } from "../../src/carbonara/errors.js";
import {
  epochSecondsToMicros,
  formatTimestamp,
  parseTimestamp,
  parseTimestamps,
} from "../../src/carbonara/timestamp.js";

/** UTC calendar fields to microseconds, independently of the parser under test. */
function utc(year: number, month: number, day: number, h = 0, m = 0, s = 0, us = 0): number {
  return Date.UTC(year, month - 1, day, h, m, s) * 1000 + us;
}

const T_14_33_57 = utc(2015, 3, 6, 14, 33, 57);
const NOW = utc(2020, 1, 2, 3, 4, 5, 123_456);

const UNABLE = new InvalidTimestampError("Unable to convert timestamps");
const BEFORE_EPOCH = new InvalidTimestampError("Timestamp must be after Epoch");

describe("parseTimestamp: epoch seconds", () => {
  it.each<[unknown, number]>([
    [1425652437, T_14_33_57],
    ["1425652437", T_14_33_57],
    [" 1425652437 ", T_14_33_57],
    [1425652437.2, T_14_33_57 + 200_000],
    ["1425652437.2", T_14_33_57 + 200_000],
    ["1425652437.123456789", T_14_33_57 + 123_456],
    ["1.425652437e9", T_14_33_57],
    [0, 0],
    [true, 1_000_000],
  ])("%j", (input, expected) => {
    expect(parseTimestamp(input, NOW)).toBe(expected);
  });

  it("converts epoch floats exactly, where float math is off by a microsecond", () => {
    expect(epochSecondsToMicros(1425652437.2)).toBe(1425652437200000);
    expect(Math.floor(1.000001 * 1e6)).toBe(1_000_000);
    expect(epochSecondsToMicros(1.000001)).toBe(1_000_001);
    expect(epochSecondsToMicros(0.000001)).toBe(1);
  });

  it("refuses what is not a finite number", () => {
    expect(() => epochSecondsToMicros("abc")).toThrow(UNABLE);
    expect(() => epochSecondsToMicros(Number.NaN)).toThrow(UNABLE);
    expect(() => epochSecondsToMicros(-1)).toThrow(BEFORE_EPOCH);
  });
});

describe("parseTimestamp: ISO 8601 (numpy datetime64 grammar)", () => {
  it.each<[string, number]>([
    ["2015-03-06T14:33:57", T_14_33_57],
    ["2015-03-06 14:33:57", T_14_33_57],
    ["2015-03-06T14:33:57Z", T_14_33_57],
    ["2015-03-06T14:33:57.5", T_14_33_57 + 500_000],
    ["2015-03-06T14:33:57.123456", T_14_33_57 + 123_456],
    ["2015-03-06T14:33:57.123456789", T_14_33_57 + 123_456],
    ["2015-03-06T14:33:57.123456789012345678", T_14_33_57 + 123_456],
    ["2015-03-06T14:33:57.", T_14_33_57],
    ["2015-03-06T15:33:57+01:00", T_14_33_57],
    ["2015-03-06T13:03:57-01:30", T_14_33_57],
    ["2015-03-06T16:03:57+0130", T_14_33_57],
    ["2015-03-06T15:33:57+01", T_14_33_57],
    ["2015-03-06T14:33:57.000001Z", T_14_33_57 + 1],
    ["2015-03-06T14:33", utc(2015, 3, 6, 14, 33)],
    ["2015-03-06T14", utc(2015, 3, 6, 14)],
    ["2015-03-06", utc(2015, 3, 6)],
    ["2015-03", utc(2015, 3, 1)],
    ["2016-02-29", utc(2016, 2, 29)],
    ["2000-02-29", utc(2000, 2, 29)],
    ["  2015-03-06T14:33:57", T_14_33_57],
    ["2015-03-06T14:33:57  ", T_14_33_57],
    ["2015-03-06T14:33:57Z ", T_14_33_57],
    ["1970-01-01T00:00:00", 0],
    ["2015-03-07T00:30:00+10:00", utc(2015, 3, 6, 14, 30)],
  ])("%j", (input, expected) => {
    expect(parseTimestamp(input, NOW)).toBe(expected);
  });

  it("knows numpy's words now (to the second) and today (UTC midnight)", () => {
    expect(parseTimestamp("now", NOW)).toBe(utc(2020, 1, 2, 3, 4, 5));
    expect(parseTimestamp("NOW", NOW)).toBe(utc(2020, 1, 2, 3, 4, 5));
    expect(parseTimestamp("today", NOW)).toBe(utc(2020, 1, 2));
  });

  it.each<string>([
    "2015-03-06T14:33:57.1234567890123456789",
    "2015-13-01",
    "2015-00-01",
    "2015-02-29",
    "1900-02-29",
    "2015-04-31",
    "2015-03-06T24:00:00",
    "2015-03-06T14:60",
    "2015-03-06T14:33:60",
    "2015-3-6",
    "2015-03-06t14:33",
    "2015-03-06T14:33:57z",
    "2015-03-06T14:33:57+24:00",
    "2015-03-06T14:33:57+01:60",
    "2015-03-06T14:33:57+1",
    "2015-03-06T14:33:57+01 ",
    "2015-03-06T",
    "2015-03-06 ",
    "2015-03-",
    "2015-03-06Z",
    "2015-03-06T14:33:57 x",
    "NaT",
    "",
    "2300-01-01",
  ])("%j → Unable to convert timestamps", (input) => {
    expect(() => parseTimestamp(input, NOW)).toThrow(UNABLE);
  });
});

describe("parseTimestamp: relative to now", () => {
  it.each<[string, number]>([
    ["-5 minutes", NOW - 5 * 60_000_000],
    ["10 minutes", NOW + 10 * 60_000_000],
    ["-1h30m", NOW - 90 * 60_000_000],
    ["- 2 days", NOW - 2 * 86_400_000_000],
    ["0:00:01", NOW + 1_000_000],
  ])("%j", (input, expected) => {
    expect(parseTimestamp(input, NOW)).toBe(expected);
  });

  it("defaults now to the clock", () => {
    const before = Date.now() * 1000;
    const t = parseTimestamp("-1 minute");
    expect(t).toBeGreaterThanOrEqual(before - 60_000_000);
    expect(t).toBeLessThanOrEqual(Date.now() * 1000 - 60_000_000);
  });

  it.each<unknown>(["foobar", "500ms", "5 minutes ago", null, {}, ["2015"]])(
    "%j → Unable to convert timestamps",
    (input) => {
      expect(() => parseTimestamp(input, NOW)).toThrow(UNABLE);
    },
  );
});

describe("parseTimestamps: the first element decides the kind", () => {
  it("reads a whole list of one kind", () => {
    expect(parseTimestamps([1425652437, "1425652437.5"], NOW)).toEqual([
      T_14_33_57,
      T_14_33_57 + 500_000,
    ]);
    expect(parseTimestamps(["2015-03-06T14:33:57", "2015-03-06 14:33:58Z"], NOW)).toEqual([
      T_14_33_57,
      T_14_33_57 + 1_000_000,
    ]);
    expect(parseTimestamps(["-5 minutes", "5 minutes"], NOW)).toEqual([
      NOW - 300_000_000,
      NOW + 300_000_000,
    ]);
  });

  it("returns [] for []", () => {
    expect(parseTimestamps([], NOW)).toEqual([]);
  });

  it("reads later bare years as ISO years once the list is ISO", () => {
    expect(parseTimestamps(["2015-03-06", "2016"], NOW)).toEqual([
      utc(2015, 3, 6),
      utc(2016, 1, 1),
    ]);
  });

  it("reads later numbers as seconds from now once the list is relative", () => {
    expect(parseTimestamps(["-5 minutes", 10], NOW)).toEqual([NOW - 300_000_000, NOW + 10_000_000]);
  });

  it.each<unknown[]>([
    [1425652437, "-5 minutes"],
    [1425652437, "2015-03-06T14:33:57"],
    ["2015-03-06T14:33:57", 1425652437],
    ["2015-03-06T14:33:57", "-5 minutes"],
    ["-5 minutes", "2015-03-06T14:33:57"],
    [1425652437, null],
  ])("fails on mixed kinds: %j", (...inputs) => {
    expect(() => parseTimestamps(inputs, NOW)).toThrow(UNABLE);
  });

  it.each<unknown[]>([
    [-1],
    ["-0.000001"],
    ["1969-12-31T23:59:59"],
    ["1969-12-31T23:59:59.999999999"],
    ["1970-01-01T01:00:00+01:01"],
    ["0070-01-01"],
    ["-0100-01-01"],
    ["1000-01-01"],
    [1425652437, -5],
    ["-2700 weeks"],
  ])("fails before the epoch: %j", (...inputs) => {
    expect(() => parseTimestamps(inputs, NOW)).toThrow(BEFORE_EPOCH);
  });

  it("reports a conversion failure before an epoch failure", () => {
    expect(() => parseTimestamps([-1, "abc"], NOW)).toThrow(UNABLE);
  });

  it("accepts the epoch itself", () => {
    expect(parseTimestamps([0, "0"], NOW)).toEqual([0, 0]);
  });
});

describe("formatTimestamp", () => {
  it.each<[number, string]>([
    [T_14_33_57, "2015-03-06T14:33:57+00:00"],
    [utc(2014, 1, 1, 11, 46, 0, 200_000), "2014-01-01T11:46:00.200000+00:00"],
    [T_14_33_57 + 1, "2015-03-06T14:33:57.000001+00:00"],
    [0, "1970-01-01T00:00:00+00:00"],
    [utc(2014, 1, 3, 2, 2, 2), "2014-01-03T02:02:02+00:00"],
  ])("%d → %s", (us, expected) => {
    expect(formatTimestamp(us)).toBe(expected);
  });

  it("round-trips through parseTimestamp", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: utc(2255, 1, 1) }), (us) => {
        expect(parseTimestamp(formatTimestamp(us), NOW)).toBe(us);
      }),
    );
  });
});
