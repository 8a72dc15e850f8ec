import { describe, expect, it } from "vitest";
import { evaluateOperation } from "../../../src/carbonara/aggregates/evaluate.js";
import type { Grid } from "../../../src/carbonara/aggregates/grid.js";
import { parseOperations } from "../../../src/carbonara/aggregates/parse.js";
import { UnaggregableTimeseriesError } from "../../../src/carbonara/errors.js";
import { MICROS_PER_MINUTE, MICROS_PER_SECOND } from "../../../src/carbonara/time.js";

const S = MICROS_PER_SECOND;
const INF = Number.POSITIVE_INFINITY;

/** A 1 s grid at t = 0, 1, 2, … with columns A and B (method mean). */
function grid(a: number[], b: number[] = a.map(() => NaN), times?: number[]): Grid {
  return {
    granularity: S,
    timestamps: Float64Array.from(times ?? a.map((_, i) => i), (t) => t * S),
    columns: [Float64Array.from(a), Float64Array.from(b)],
  };
}
const refs = [
  { ref: "A", method: "mean" },
  { ref: "B", method: "mean" },
];

function run(operations: unknown, g: Grid) {
  const r = evaluateOperation(parseOperations(operations), g, refs);
  return {
    granularity: r.granularity,
    times: Array.from(r.timestamps, (t) => t / S),
    columns: typeof r.columns === "number" ? r.columns : r.columns.map((c) => Array.from(c)),
  };
}

function failure(operations: unknown, g: Grid): UnaggregableTimeseriesError {
  try {
    run(operations, g);
  } catch (e) {
    if (e instanceof UnaggregableTimeseriesError) return e;
    throw e;
  }
  throw new Error("expected an evaluation error");
}

const A = ["metric", "A", "mean"];
const B = ["metric", "B", "mean"];
const AB = ["metric", ["A", "mean"], ["B", "mean"]];

describe("metric (spec carbonara §9.2)", () => {
  it("selects the listed references' columns, in reference order", () => {
    const g = grid([1, 2], [3, 4]);
    expect(run(A, g).columns).toEqual([[1, 2]]);
    expect(run(["metric", ["B", "mean"], ["A", "mean"]], g).columns).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(run(["metric", "A", "max"], g).columns).toEqual([]);
  });
});

describe("aggregate", () => {
  const g = grid([1, NaN, 4, NaN], [3, 5, 8, NaN]);

  it.each([
    ["mean", [2, 5, 6, NaN]],
    ["median", [2, 5, 6, NaN]],
    ["sum", [4, 5, 12, NaN]],
    ["min", [1, 5, 4, NaN]],
    ["max", [3, 5, 8, NaN]],
    ["count", [2, 1, 2, 0]],
    ["std", [1, 0, 2, NaN]],
    ["var", [1, 0, 4, NaN]],
  ])("%s ignores NaN per row", (method, expected) => {
    expect(run(["aggregate", method, AB], g)).toEqual({
      granularity: S,
      times: [0, 1, 2, 3],
      columns: [expected],
    });
  });

  it("rate:M differences consecutive rows and drops the first time", () => {
    expect(run(["aggregate", "rate:sum", AB], g)).toEqual({
      granularity: S,
      times: [1, 2, 3],
      columns: [[1, 7, NaN]],
    });
    expect(run(["aggregate", "rate:count", AB], g).columns).toEqual([[-1, 1, -2]]);
  });

  it("works on an empty grid", () => {
    expect(run(["aggregate", "mean", AB], grid([], []))).toMatchObject({
      times: [],
      columns: [[]],
    });
    expect(run(["aggregate", "rate:mean", AB], grid([], []))).toMatchObject({
      times: [],
      columns: [[]],
    });
  });
});

describe("rolling", () => {
  const g = grid([1, 2, 3, 4, 10], [5, NaN, NaN, 7, 1]);

  it("reduces windows of N rows per column; output starts at row N−1", () => {
    expect(run(["rolling", "mean", 2, AB], g)).toEqual({
      granularity: S,
      times: [1, 2, 3, 4],
      columns: [
        [1.5, 2.5, 3.5, 7],
        [5, NaN, 7, 4],
      ],
    });
    expect(run(["rolling", "count", 3, AB], g).columns).toEqual([
      [3, 3, 3],
      [1, 1, 2],
    ]);
    expect(run(["rolling", "max", 1, A], g).columns).toEqual([[1, 2, 3, 4, 10]]);
  });

  it("reproduces the reference rolling mean of the gabbi tests", () => {
    const m1 = grid([43.1, 12, -16, 9, 11], [2, 4, 5, 10, 15]);
    expect(run(["rolling", "mean", 2, AB], m1).columns).toEqual([
      [27.55, -2, -3.5, 10],
      [3, 4.5, 7.5, 12.5],
    ]);
  });

  it("rate:M differences the window results and drops one more time", () => {
    expect(run(["rolling", "rate:sum", 2, A], g)).toEqual({
      granularity: S,
      times: [2, 3, 4],
      columns: [[2, 2, 7]],
    });
  });

  it("accepts N equal to the length and rejects N greater", () => {
    expect(run(["rolling", "sum", 5, A], g)).toMatchObject({ times: [4], columns: [[20]] });
    const e = failure(["rolling", "sum", 6, A], g);
    expect(e.description).toEqual({
      cause: "Metrics can't being aggregated",
      reason: "Rolling window '6' is greater than serie length '5'",
      detail: [
        ["A", "mean"],
        ["B", "mean"],
      ],
    });
    expect(failure(["rolling", "mean", 1, A], grid([])).reason).toBe(
      "Rolling window '1' is greater than serie length '0'",
    );
  });
});

describe("resample", () => {
  it("re-buckets each column with the method, NaN cells still points", () => {
    const g = grid([1, 2, 3, 4], [NaN, 6, 7, 8], [0, 30, 60, 90]);
    expect(run(["resample", "mean", 60, AB], g)).toEqual({
      granularity: MICROS_PER_MINUTE,
      times: [0, 60],
      columns: [
        [1.5, 3.5],
        [NaN, 7.5],
      ],
    });
    expect(run(["resample", "count", 60, AB], g).columns).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(run(["resample", "var", 60, A], g).columns).toEqual([[0.25, 0.25]]);
  });

  it("keeps the std buckets with two points only", () => {
    const g = grid([1, 3, 5], [1, 1, 1], [0, 30, 60]);
    expect(run(["resample", "std", 60, AB], g)).toMatchObject({
      times: [0],
      columns: [[Math.SQRT2], [0]],
    });
  });
});

describe("binary operators", () => {
  const g = grid([1, -2, 0, NaN], [4, 5, 0, 1]);

  it.each([
    ["+", [3, 0, 2, NaN]],
    ["-", [-1, -4, -2, NaN]],
    ["*", [2, -4, 0, NaN]],
    ["/", [0.5, -1, 0, NaN]],
    ["**", [1, 4, 0, NaN]],
    ["%", [1, 0, 0, NaN]],
    ["==", [0, 0, 0, 0]],
    ["!=", [1, 1, 1, 1]],
    ["<", [1, 1, 1, 0]],
    ["<=", [1, 1, 1, 0]],
    [">", [0, 0, 0, 0]],
    [">=", [0, 0, 0, 0]],
    ["clip_min", [2, 2, 2, NaN]],
    ["clip_max", [1, -2, 0, NaN]],
  ])("series %s scalar", (op, expected) => {
    expect(run([op, A, 2], g)).toEqual({
      granularity: S,
      times: [0, 1, 2, 3],
      columns: [expected],
    });
  });

  it("keeps the series' times for scalar ⊕ series and applies the operator in order", () => {
    expect(run(["-", 10, A], g).columns).toEqual([[9, 12, 10, NaN]]);
    expect(run(["÷", 1, A], g).columns).toEqual([[1, -0.5, INF, NaN]]);
    expect(run(["^", 2, A], g).columns).toEqual([[2, 0.25, 1, NaN]]);
    expect(run(["ge", 0, A], g).columns).toEqual([[0, 1, 1, 0]]);
  });

  it("divides by zero the IEEE way", () => {
    expect(run(["/", AB, 0], g).columns).toEqual([
      [INF, -INF, NaN, NaN],
      [INF, INF, NaN, INF],
    ]);
  });

  it("takes the divisor's sign for modulo, like numpy", () => {
    const m = grid([7, -7, 7, -7, 6], [3, 3, -3, -3, 0]);
    const r = run(["mod", A, B], m).columns as number[][];
    expect(r[0]!.slice(0, 4)).toEqual([1, 2, -2, -1]);
    expect(r[0]![4]).toBeNaN();
    const first = (ops: unknown, g: Grid) => (run(ops, g).columns as number[][])[0]![0];
    expect(Object.is(first(["%", -6, A], grid([3])), 0)).toBe(true);
    expect(Object.is(first(["%", 6, A], grid([-3])), -0)).toBe(true);
  });

  it("follows C pow for 1 ** NaN and (-1) ** inf", () => {
    expect(run(["pow", 1, A], grid([NaN])).columns).toEqual([[1]]);
    expect(run(["pow", A, INF], grid([-1])).columns).toEqual([[1]]);
  });

  it("combines two series with identical times element-wise", () => {
    expect(run(["-", A, B], g)).toEqual({
      granularity: S,
      times: [0, 1, 2, 3],
      columns: [[-3, -7, 0, NaN]],
    });
    expect(run(["*", AB, A], g).columns).toEqual([
      [1, 4, 0, NaN],
      [4, -10, 0, NaN],
    ]);
  });

  it("rejects series ⊕ series with different times", () => {
    const e = failure(["+", ["rateofchange", A], B], g);
    expect(e.reason).toBe(
      "Can't compute timeseries with different granularity " +
        "['rateofchange', ['metric', 'A', 'mean']] <> ['metric', 'B', 'mean']",
    );
    expect(e.detail).toEqual([
      ["A", "mean"],
      ["B", "mean"],
    ]);
  });

  it("rejects series ⊕ series with different granularities", () => {
    const g4 = grid([1, 2], [3, 4], [0, 60]);
    expect(failure(["+", ["resample", "mean", 60, A], B], g4).reason).toMatch(
      /^Can't compute timeseries with different granularity/,
    );
  });

  it("computes scalar ⊕ scalar sub-trees as numbers", () => {
    expect(run(["*", A, ["+", 1, ["abs", -2]]], grid([1, 2])).columns).toEqual([[3, 6]]);
  });
});

describe("clip", () => {
  const g = grid([-5, 0, 5, NaN, 20], [0, 0, 0, 0, 0]);

  it("bounds below, or below and above", () => {
    expect(run(["clip", A, 0], g).columns).toEqual([[0, 0, 5, NaN, 20]]);
    expect(run(["clip", A, 0, 10], g).columns).toEqual([[0, 0, 5, NaN, 10]]);
    expect(run(["clip", A, -1, 1], g).columns).toEqual([[-1, 0, 1, NaN, 1]]);
  });

  it("accepts series bounds with the same times", () => {
    expect(run(["clip", A, B, 10], g).columns).toEqual([[0, 0, 5, NaN, 10]]);
  });
});

describe("unary functions and rateofchange", () => {
  const g = grid([-1.5, 0, 2.5, NaN]);

  it.each([
    ["abs", [1.5, 0, 2.5, NaN]],
    ["absolute", [1.5, 0, 2.5, NaN]],
    ["neg", [1.5, -0, -2.5, NaN]],
    ["negative", [1.5, -0, -2.5, NaN]],
    ["floor", [-2, 0, 2, NaN]],
    ["ceil", [-1, 0, 3, NaN]],
    ["cos", [Math.cos(-1.5), 1, Math.cos(2.5), NaN]],
    ["sin", [Math.sin(-1.5), 0, Math.sin(2.5), NaN]],
    ["tan", [Math.tan(-1.5), 0, Math.tan(2.5), NaN]],
  ])("%s applies element-wise", (op, expected) => {
    expect(run([op, A], g)).toEqual({ granularity: S, times: [0, 1, 2, 3], columns: [expected] });
  });

  it("rateofchange differences consecutive rows and drops the first time", () => {
    expect(run(["rateofchange", AB], grid([1, 4, 9], [0, 0, 1]))).toEqual({
      granularity: S,
      times: [1, 2],
      columns: [
        [3, 5],
        [0, 1],
      ],
    });
    expect(run(["rateofchange", A], grid([]))).toMatchObject({ times: [], columns: [[]] });
  });

  it("rejects series-only operations on a number", () => {
    for (const op of [
      ["rateofchange", 5],
      ["aggregate", "mean", 5],
      ["rolling", "mean", 1, 5],
      ["resample", "mean", 60, 5],
    ]) {
      expect(failure(["+", A, op], grid([1])).reason).toMatch(/requires a series/);
    }
  });
});
