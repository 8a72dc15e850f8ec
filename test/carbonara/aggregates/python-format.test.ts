import { describe, expect, it } from "vitest";
import {
  formatFixed,
  pythonRepr,
  pythonStr,
  pythonTypeName,
} from "../../../src/carbonara/aggregates/python-format.js";

describe("Python %f formatting", () => {
  it("formats like '%f' and '%.2f'", () => {
    expect(formatFixed(100, 6)).toBe("100.000000");
    expect(formatFixed(66.66666666666667, 2)).toBe("66.67");
    expect(formatFixed(50, 2)).toBe("50.00");
    expect(formatFixed(0, 2)).toBe("0.00");
    expect(formatFixed(99.999, 2)).toBe("100.00");
    expect(formatFixed(-0.001, 2)).toBe("-0.00");
    expect(formatFixed(2.5, 0)).toBe("2");
    expect(formatFixed(3.5, 0)).toBe("4");
  });

  it("rounds exact ties half to even (where JS toFixed rounds up)", () => {
    expect(formatFixed(0.125, 2)).toBe("0.12");
    expect(formatFixed(0.375, 2)).toBe("0.38");
    expect(formatFixed(12.5, 0)).toBe("12");
    // Not a tie: 0.145 is stored slightly below.
    expect(formatFixed(0.145, 2)).toBe("0.14");
    expect(formatFixed(1.005, 2)).toBe("1.00");
  });

  it("handles huge and non-finite values", () => {
    expect(formatFixed(1e22, 2)).toBe("10000000000000000000000.00");
    expect(formatFixed(Number.NaN, 2)).toBe("nan");
    expect(formatFixed(Number.POSITIVE_INFINITY, 6)).toBe("inf");
    expect(formatFixed(Number.NEGATIVE_INFINITY, 6)).toBe("-inf");
  });
});

describe("Python repr/str/type", () => {
  it("renders operation lists like Python", () => {
    expect(pythonRepr(["metric", "a", "mean"])).toBe("['metric', 'a', 'mean']");
    expect(pythonRepr(["+", ["metric", ["a", "mean"]], 2])).toBe(
      "['+', ['metric', ['a', 'mean']], 2.0]",
    );
    expect(pythonRepr(["it's"])).toBe(`["it's"]`);
    expect(pythonRepr([null, true, 1e-7])).toBe("[None, True, 1e-07]");
  });

  it("str() leaves strings and integers alone", () => {
    expect(pythonStr("rolling")).toBe("rolling");
    expect(pythonStr(5)).toBe("5");
    expect(pythonStr(5.5)).toBe("5.5");
    expect(pythonStr(["a"])).toBe("['a']");
  });

  it("names JSON types as Python classes", () => {
    expect(pythonTypeName({})).toBe("<class 'dict'>");
    expect(pythonTypeName("x")).toBe("<class 'str'>");
    expect(pythonTypeName([])).toBe("<class 'list'>");
  });
});
