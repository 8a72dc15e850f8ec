import { describe, expect, it } from "vitest";
import {
  DEFAULT_AGGREGATION_METHODS,
  isValidAggregationMethod,
  parseAggregationMethod,
  resolveAggregationMethods,
  VALID_AGGREGATION_METHODS,
} from "../../src/carbonara/aggregation-methods.js";
import { UnknownAggregationMethodError } from "../../src/carbonara/errors.js";

describe("aggregation methods", () => {
  it("lists the 216 valid methods of /v1/capabilities", () => {
    expect(VALID_AGGREGATION_METHODS).toHaveLength(216);
    expect(new Set(VALID_AGGREGATION_METHODS).size).toBe(216);
    for (const m of ["mean", "sum", "last", "max", "min", "std", "median", "first", "count"]) {
      expect(VALID_AGGREGATION_METHODS).toContain(m);
      expect(VALID_AGGREGATION_METHODS).toContain(`rate:${m}`);
    }
    expect(VALID_AGGREGATION_METHODS).toContain("1pct");
    expect(VALID_AGGREGATION_METHODS).toContain("rate:99pct");
  });

  it.each(["5pct", "95pct", "rate:mean", "rate:95pct", "median"])("accepts %s", (m) => {
    expect(isValidAggregationMethod(m)).toBe(true);
  });

  it.each(["05pct", "0pct", "100pct", "rate:rate:mean", "var", "Mean", "", "rate:", "pct"])(
    "rejects %s",
    (m) => {
      expect(isValidAggregationMethod(m)).toBe(false);
    },
  );

  it("takes a method apart", () => {
    expect(parseAggregationMethod("rate:95pct")).toEqual({
      name: "rate:95pct",
      rate: true,
      base: "pct",
      percentile: 95,
    });
    expect(parseAggregationMethod("std")).toEqual({
      name: "std",
      rate: false,
      base: "std",
      percentile: 0,
    });
  });

  describe("resolution (spec rest §3.2)", () => {
    const sorted = (l: string[]) => [...l].sort();
    it("starts from every method with *", () => {
      expect(resolveAggregationMethods(["*"])).toHaveLength(216);
      expect(sorted(resolveAggregationMethods(["*", "-mean"]))).not.toContain("mean");
      expect(resolveAggregationMethods(["*", "-mean"])).toHaveLength(215);
    });
    it("starts from the defaults when every entry is a modifier, the empty list included", () => {
      expect(sorted(resolveAggregationMethods([]))).toEqual(
        sorted([...DEFAULT_AGGREGATION_METHODS]),
      );
      expect(sorted(resolveAggregationMethods(["-mean", "+last"]))).toEqual(
        sorted(["min", "max", "sum", "std", "count", "last"]),
      );
    });
    it("starts from the plain names otherwise", () => {
      expect(sorted(resolveAggregationMethods(["max", "+95pct", "-max", "last"]))).toEqual([
        "95pct",
        "last",
      ]);
    });
    it("uses configured defaults", () => {
      expect(resolveAggregationMethods(["+max"], ["last"]).sort()).toEqual(["last", "max"]);
    });
    it("rejects unknown methods, plain or modified", () => {
      expect(() => resolveAggregationMethods(["mean", "foo"])).toThrow(
        UnknownAggregationMethodError,
      );
      expect(() => resolveAggregationMethods(["+foo"])).toThrow(UnknownAggregationMethodError);
      expect(() => resolveAggregationMethods(["+*"])).toThrow(UnknownAggregationMethodError);
    });
  });
});
