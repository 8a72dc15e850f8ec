import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidTimespanError } from "../../src/carbonara/errors.js";
import {
  formatPythonFloat,
  formatSeconds,
  formatTimedelta,
  parsePositiveTimespan,
  parsePythonFloat,
  parseTimespan,
} from "../../src/carbonara/timespan.js";

const S = 1_000_000;
const MIN = 60 * S;
const H = 60 * MIN;
const DAY = 24 * H;

describe("parseTimespan: numbers are seconds", () => {
  it.each<[unknown, number]>([
    [60, 60 * S],
    [0.5, 500_000],
    ["0.5", 500_000],
    ["60", 60 * S],
    [" 60 ", 60 * S],
    ["+60", 60 * S],
    ["-60", -60 * S],
    ["1e3", 1000 * S],
    ["1.5E2", 150 * S],
    [".5", 500_000],
    ["5.", 5 * S],
    ["1_000", 1000 * S],
    [0.1, 100_000],
    ["0.0000019", 1],
    ["-0.0000019", -1],
    [1e-7, 0],
    [true, S],
    [false, 0],
  ])("%j → %d µs", (input, expected) => {
    expect(parseTimespan(input)).toBe(expected);
  });
});

describe("parseTimespan: pytimeparse expressions", () => {
  it.each<[string, number]>([
    ["1h30m", H + 30 * MIN],
    ["5hr34m56s", 5 * H + 34 * MIN + 56 * S],
    ["2 days, 4:13:02", 2 * DAY + 4 * H + 13 * MIN + 2 * S],
    ["1.5h", 90 * MIN],
    ["30 min", 30 * MIN],
    ["4:13", 4 * MIN + 13 * S],
    ["1:02:03", H + 2 * MIN + 3 * S],
    ["1:02:03:04", DAY + 2 * H + 3 * MIN + 4 * S],
    ["1-02:03:04", DAY + 2 * H + 3 * MIN + 4 * S],
    [":22", 22 * S],
    [":22.5", 22.5 * S],
    ["4:13.25", 253.25 * S],
    ["1 minute, 24 secs", 84 * S],
    ["1m24s", 84 * S],
    ["1.2 minutes", 72 * S],
    ["1.2 seconds", 1.2 * S],
    ["1m24.5s", 84.5 * S],
    ["3 weeks 2 days", 23 * DAY],
    ["1w", 7 * DAY],
    ["2wks", 14 * DAY],
    ["1 week, 1 day, 1 hour, 1 minute, 1 second", 8 * DAY + H + MIN + S],
    ["1 d/2 h", DAY + 2 * H],
    ["3 dys", 3 * DAY],
    ["2 hrs", 2 * H],
    ["5 mins", 5 * MIN],
    ["10 seconds", 10 * S],
    ["10 sec", 10 * S],
    ["1 HOUR", H],
    ["1H", H],
    ["7 days, 0:00:00", 7 * DAY],
    ["365 days, 0:00:00", 365 * DAY],
    ["0:00:03.600000", 3_600_000],
    ["  5m  ", 5 * MIN],
  ])("%j → %d µs", (input, expected) => {
    expect(parseTimespan(input)).toBe(expected);
  });

  it.each<[string, number]>([
    ["-5 minutes", -5 * MIN],
    ["- 1 minute", -MIN],
    ["+ 1 minute", MIN],
    ["-1h30m", -(H + 30 * MIN)],
    ["-4:13", -253 * S],
  ])("takes a sign: %j → %d µs", (input, expected) => {
    expect(parseTimespan(input)).toBe(expected);
  });

  it("truncates fractional minutes/hours to whole seconds when seconds are whole, as pytimeparse does", () => {
    expect(parseTimespan("0.01m")).toBe(0);
    expect(parseTimespan("1.0001m")).toBe(60 * S);
    expect(parseTimespan("0.01m1s")).toBe(S);
    // A fractional seconds part switches to exact addition.
    expect(parseTimespan("0.01m0.5s")).toBe(1.1 * S);
  });
});

describe("parseTimespan: refused input", () => {
  it.each<unknown>([
    "500ms",
    "1 month",
    "1y",
    "30m1h",
    "1h30",
    "1.2.3h",
    ".h",
    "",
    "   ",
    "foobar",
    "5 minutes ago",
    "--5m",
    "12:3",
    "nan",
    "inf",
    "-Infinity",
    "1e999",
    "1e16",
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    undefined,
    {},
    [60],
  ])("%j → Unable to parse timespan", (input) => {
    expect(() => parseTimespan(input)).toThrow(InvalidTimespanError);
    expect(() => parseTimespan(input)).toThrow("Unable to parse timespan");
  });
});

describe("parsePositiveTimespan", () => {
  it("returns positive spans", () => {
    expect(parsePositiveTimespan("1 day")).toBe(DAY);
  });

  it.each<unknown>([0, "0", "-1", "-5 minutes", "0.0000001", "0.01m", false])(
    "%j → Timespan must be positive",
    (input) => {
      expect(() => parsePositiveTimespan(input)).toThrow(
        new InvalidTimespanError("Timespan must be positive"),
      );
    },
  );

  it("reports unparseable input before positivity", () => {
    expect(() => parsePositiveTimespan("-foo")).toThrow("Unable to parse timespan");
  });
});

describe("parsePythonFloat", () => {
  it("keeps the exact decimal", () => {
    expect(parsePythonFloat("1425652437.2")).toEqual({
      negative: false,
      coefficient: 14256524372n,
      exponent: -1,
    });
    expect(parsePythonFloat("-1_5e-2")).toEqual({ negative: true, coefficient: 15n, exponent: -2 });
  });

  it("tells non-finite spellings and non-numbers apart", () => {
    expect(parsePythonFloat("Infinity")).toBe("non-finite");
    expect(parsePythonFloat("-nan")).toBe("non-finite");
    expect(parsePythonFloat("1__0")).toBeUndefined();
    expect(parsePythonFloat("_1")).toBeUndefined();
    expect(parsePythonFloat(".")).toBeUndefined();
    expect(parsePythonFloat("0x10")).toBeUndefined();
  });
});

describe("formatTimedelta (Python str(timedelta))", () => {
  it.each<[number, string]>([
    [0, "0:00:00"],
    [S, "0:00:01"],
    [3_600_000, "0:00:03.600000"],
    [1, "0:00:00.000001"],
    [59 * MIN + 58 * S, "0:59:58"],
    [H, "1:00:00"],
    [23 * H + 59 * MIN + 59 * S, "23:59:59"],
    [DAY, "1 day, 0:00:00"],
    [2 * DAY + 4 * H + 13 * MIN + 2 * S, "2 days, 4:13:02"],
    [7 * DAY, "7 days, 0:00:00"],
    [365 * DAY, "365 days, 0:00:00"],
    [-S, "-1 day, 23:59:59"],
    [-1, "-1 day, 23:59:59.999999"],
    [-DAY, "-1 day, 0:00:00"],
    [-2 * DAY - S, "-3 days, 23:59:59"],
  ])("%d µs → %s", (us, expected) => {
    expect(formatTimedelta(us)).toBe(expected);
  });
});

describe("formatSeconds / formatPythonFloat (Python repr(float))", () => {
  it.each<[number, string]>([
    [S, "1.0"],
    [60 * S, "60.0"],
    [500_000, "0.5"],
    [3_600_000, "3.6"],
    [365 * DAY, "31536000.0"],
    [100, "0.0001"],
    [1, "1e-06"],
    [12, "1.2e-05"],
    [0, "0.0"],
    [-S, "-1.0"],
  ])("%d µs → %s", (us, expected) => {
    expect(formatSeconds(us)).toBe(expected);
  });

  it("switches to scientific notation from 1e16", () => {
    expect(formatPythonFloat(1e15)).toBe("1000000000000000.0");
    expect(formatPythonFloat(1e16)).toBe("1e+16");
    expect(formatPythonFloat(1.5e22)).toBe("1.5e+22");
    expect(formatPythonFloat(Number.NaN)).toBe("nan");
    expect(formatPythonFloat(Number.NEGATIVE_INFINITY)).toBe("-inf");
  });
});

describe("printed durations read back", () => {
  it("parseTimespan(formatTimedelta(us)) === us for non-negative spans", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (us) => {
        expect(parseTimespan(formatTimedelta(us))).toBe(us);
      }),
    );
  });

  it("parseTimespan(formatSeconds(us)) === us for whole milliseconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (ms) => {
        expect(parseTimespan(formatSeconds(ms * 1000))).toBe(ms * 1000);
      }),
    );
  });
});
