import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CrossBaseMethod,
  nanReducer,
  parseCrossMethod,
  type Summation,
} from "../../../src/carbonara/aggregates/reducers.js";

function reduce(method: CrossBaseMethod, values: number[], summation: Summation = "sequential") {
  const buf = Float64Array.from(values);
  return nanReducer(method, summation)(buf, 0, buf.length, new Float64Array(buf.length));
}

describe("NaN-ignoring cross-series reducers (spec carbonara §9.2)", () => {
  const row = [3, NaN, 5, 6, NaN];

  it("ignores NaN cells", () => {
    expect(reduce("mean", row)).toBeCloseTo(14 / 3, 14);
    expect(reduce("sum", row)).toBe(14);
    expect(reduce("min", row)).toBe(3);
    expect(reduce("max", row)).toBe(6);
    expect(reduce("median", row)).toBe(5);
    expect(reduce("count", row)).toBe(3);
  });

  it("uses the population std and var (ddof 0), not the sample ones", () => {
    // 3, 5, 6: mean 14/3, squared deviations sum 42/9.
    expect(reduce("var", row)).toBeCloseTo(42 / 9 / 3, 14);
    expect(reduce("std", row)).toBeCloseTo(Math.sqrt(42 / 9 / 3), 14);
    expect(reduce("std", [2, 4])).toBe(1);
    expect(reduce("var", [7])).toBe(0);
  });

  it("gives the even-length median as the mean of the middle values", () => {
    expect(reduce("median", [4, NaN, 1, 3, 2])).toBe(2.5);
    expect(reduce("median", [-1, -3])).toBe(-2);
  });

  it("reduces an all-NaN or empty row to NaN, count to 0", () => {
    for (const method of ["mean", "median", "std", "min", "max", "sum", "var"] as const) {
      expect(reduce(method, [NaN, NaN])).toBeNaN();
      expect(reduce(method, [])).toBeNaN();
    }
    expect(reduce("count", [NaN, NaN])).toBe(0);
    expect(reduce("count", [])).toBe(0);
  });

  it("keeps infinities as numbers", () => {
    expect(reduce("max", [1, Number.POSITIVE_INFINITY, NaN])).toBe(Number.POSITIVE_INFINITY);
    expect(reduce("min", [NaN, Number.NEGATIVE_INFINITY])).toBe(Number.NEGATIVE_INFINITY);
    expect(reduce("count", [Number.POSITIVE_INFINITY])).toBe(1);
  });

  it("reduces a sub-range only", () => {
    const buf = Float64Array.from([100, 1, 2, 3, 100]);
    expect(nanReducer("sum", "pairwise")(buf, 1, 4, new Float64Array(3))).toBe(6);
    expect(nanReducer("median", "pairwise")(buf, 1, 4, new Float64Array(3))).toBe(2);
  });

  it("sums pairwise like numpy for long windows", () => {
    // 0.1 × 10: sequential gives 0.9999999999999999, numpy's 8-way blocks give 1.
    const tenths = new Array(10).fill(0.1);
    expect(reduce("sum", tenths, "sequential")).toBe(0.9999999999999999);
    expect(reduce("sum", tenths, "pairwise")).toBe(1);
  });

  it("agrees with exact arithmetic within rounding for any summation (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constant(NaN)), {
          maxLength: 300,
        }),
        fc.constantFrom<Summation>("sequential", "pairwise"),
        (values, summation) => {
          const numbers = values.filter((v) => !Number.isNaN(v));
          const total = numbers.reduce((a, b) => a + b, 0);
          // Integers: every summation order is exact.
          expect(reduce("sum", values, summation)).toBe(numbers.length ? total : NaN);
          expect(reduce("count", values, summation)).toBe(numbers.length);
          if (numbers.length) {
            expect(reduce("mean", values, summation)).toBeCloseTo(total / numbers.length, 9);
            expect(reduce("min", values, summation)).toBe(Math.min(...numbers));
            expect(reduce("max", values, summation)).toBe(Math.max(...numbers));
            const m = total / numbers.length;
            const v = numbers.reduce((a, b) => a + (b - m) ** 2, 0) / numbers.length;
            expect(reduce("var", values, summation)).toBeCloseTo(v, 6);
          }
        },
      ),
    );
  });
});

describe("cross-series method names", () => {
  it("parses bases and rate: variants", () => {
    expect(parseCrossMethod("var")).toEqual({ name: "var", base: "var", rate: false });
    expect(parseCrossMethod("rate:count")).toEqual({
      name: "rate:count",
      base: "count",
      rate: true,
    });
  });

  it("rejects stored-only and unknown methods", () => {
    for (const name of ["first", "last", "95pct", "rate:", "rate:rate:mean", "Mean", ""]) {
      expect(parseCrossMethod(name)).toBeUndefined();
    }
  });
});
